/**
 * Realistic Swiss seed data for the sandbox. Dates are relative to the day the
 * sandbox starts, so that "vacant" means the same thing whenever it runs.
 *
 * Immotop 2, mandant 1 "Immobilien Muster AG":
 *   Liegenschaft 10001 Wohnüberbauung Sonnenhof, Seestrasse 112, 8800 Thalwil
 *     1011 3.5 Zi. let (no end)            → not vacant
 *     1012 4.5 Zi. tenancy ended           → vacant now
 *     1013 2.5 Zi. tenancy ends, no successor → vacant from end + 1
 *     1014 3.5 Zi. ended, successor signed → not vacant
 *     1901 Einstellhallenplatz, never let  → vacant now
 *   Liegenschaft 10002 Geschäftshaus Bahnhofplatz, Bahnhofplatz 3, 3011 Bern
 *     2001 Büro let, 2002 5.5 Zi. Attika vacant, 2003 Parkplatz let
 */
import type {LiegenschaftRow, MandantRow, MieterRow, MitarbeiterRow, ObjektRow, VerhaeltnisRow} from '../contracts/immotop-wire.js'
import type {Person} from '../contracts/melon-wire.js'
import {addDays} from '../core/swiss-address.js'

export interface ImmotopData {
  GetDmsMandant: MandantRow[]
  GetDmsLiegenschaft: LiegenschaftRow[]
  GetDmsObjekt: ObjektRow[]
  GetDmsVerhaeltnis: VerhaeltnisRow[]
  GetDmsMieter: MieterRow[]
  GetDmsMitarbeiter: MitarbeiterRow[]
}

const net = (day: string) => `${day}T00:00:00`

export function immotopSeed(today: string): ImmotopData {
  const obj = (
    s: number,
    liegenschaft: number,
    nr: number,
    bez: string,
    objektart: string,
    zimmer: number | null,
    flaeche: number | null,
    etage: number | null,
    nettomiete: number,
    nebenkosten: number,
    kaution: number | null,
  ): ObjektRow => ({
    s_seqnr: s,
    nr,
    bez,
    liegenschaft_nr: liegenschaft,
    mandant_nr: 1,
    gueltigvon: net('1987-04-01'),
    gueltigbis: null,
    objektart,
    zimmer,
    flaeche,
    etage,
    nettomiete,
    nebenkosten,
    kaution,
  })
  let vSeq = 5000
  const tenancy = (liegenschaft: number, objekt: number, mieter: number, from: string, to: string | null): VerhaeltnisRow => ({
    s_seqnr: ++vSeq,
    nr: vSeq - 4000,
    mandant_nr: 1,
    liegenschaft_nr: liegenschaft,
    objekt_nr: objekt,
    mieter_nr: mieter,
    gueltigvon: net(from),
    gueltigbis: to ? net(to) : null,
    mandanttyp_rolle: 'Mieter',
  })
  return {
    GetDmsMandant: [{s_seqnr: 101, nr: 1, bez: 'Immobilien Muster AG'}],
    GetDmsLiegenschaft: [
      {s_seqnr: 201, nr: 10001, bez: 'Wohnüberbauung Sonnenhof', mandant_nr: 1, strasse: 'Seestrasse 112', plzort: '8800 Thalwil', mitarbeiter: 7, baujahr: 1987},
      {s_seqnr: 202, nr: 10002, bez: 'Geschäftshaus Bahnhofplatz', mandant_nr: 1, strasse: 'Bahnhofplatz 3', plzort: '3011 Bern', mitarbeiter: 8, baujahr: 1962},
    ],
    GetDmsObjekt: [
      obj(301, 10001, 1011, '3.5-Zimmerwohnung 1. OG links', 'Wohnung', 3.5, 82, 1, 1980, 220, 5940),
      obj(302, 10001, 1012, '4.5-Zimmerwohnung 2. OG rechts', 'Wohnung', 4.5, 104.5, 2, 2450, 280, 7350),
      obj(303, 10001, 1013, '2.5-Zimmerwohnung Dachgeschoss', 'Wohnung', 2.5, 61, 99, 1690, 180, 5070),
      obj(304, 10001, 1014, '3.5-Zimmerwohnung Erdgeschoss', 'Wohnung', 3.5, 79, 0, 1890, 210, 5670),
      obj(305, 10001, 1901, 'Einstellhallenplatz 1', 'Einstellhallenplatz', null, 12.5, -1, 160, 0, null),
      obj(306, 10002, 2001, 'Büro 1. OG', 'Büro', null, 145, 1, 3200, 420, 9600),
      obj(307, 10002, 2002, '5.5-Zimmer-Attikawohnung', 'Attikawohnung', 5.5, 148, 99, 3850, 390, 11550),
      obj(308, 10002, 2003, 'Parkplatz 7', 'Parkplatz', null, null, 0, 90, 0, null),
    ],
    GetDmsVerhaeltnis: [
      tenancy(10001, 1011, 801, '2019-10-01', null),
      tenancy(10001, 1012, 802, '2015-04-01', addDays(today, -57)),
      tenancy(10001, 1013, 803, '2021-07-01', addDays(today, 66)),
      tenancy(10001, 1014, 804, '2018-01-01', addDays(today, -26)),
      tenancy(10001, 1014, 805, addDays(today, 5), null),
      tenancy(10002, 2001, 806, '2012-01-01', null),
      tenancy(10002, 2003, 807, '2020-05-01', null),
    ],
    GetDmsMieter: [
      {s_seqnr: 801, nr: 801, mandant_nr: 1, name: 'Huber', vorname: 'Peter'},
      {s_seqnr: 802, nr: 802, mandant_nr: 1, name: 'Zürcher', vorname: 'Ruth'},
      {s_seqnr: 803, nr: 803, mandant_nr: 1, name: 'Rossi', vorname: 'Elena'},
      {s_seqnr: 804, nr: 804, mandant_nr: 1, name: 'Schmid', vorname: 'Urs'},
      {s_seqnr: 805, nr: 805, mandant_nr: 1, name: 'Nguyen', vorname: 'Minh'},
      {s_seqnr: 806, nr: 806, mandant_nr: 1, name: 'Treuhand Aare GmbH', vorname: null},
      {s_seqnr: 807, nr: 807, mandant_nr: 1, name: 'Frei', vorname: 'Martin'},
    ],
    GetDmsMitarbeiter: [
      {s_seqnr: 7, nr: 7, name: 'Brunner', vorname: 'Sandra', email: 'sandra.brunner@muster-immo.ch', telefon: '+41 44 720 11 22'},
      {s_seqnr: 8, nr: 8, name: 'Keller', vorname: 'Thomas', email: 'thomas.keller@muster-immo.ch', telefon: '+41 31 310 44 55'},
    ],
  }
}

export interface SeedTenant {
  contractStatus: 'without_contract' | 'with_contract'
  unit: string
  householdType: string
  moveInOffsetDays: number
  persons: Person[]
}

const person = (
  role: 'main' | 'co',
  salutation: string,
  first: string,
  surname: string,
  born: string,
  nationality: string,
  language: string,
  marital: Person['marital_status'],
  street: string,
  nr: string,
  plz: string,
  city: string,
  job: string,
  employer: string,
  homeTown: string | null,
): Person => ({
  role,
  salutation,
  first_name: first,
  surname,
  date_of_birth: born,
  nationality_code: nationality,
  language,
  marital_status: marital,
  email: `${first}.${surname}@example.ch`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
  phone: '+41 79 555 ' + String(10 + first.length * 7).padStart(2, '0') + ' ' + String(10 + surname.length * 3).padStart(2, '0'),
  address: {street, house_number: nr, postal_code: plz, city, country_code: 'CH'},
  job_title: job,
  employer,
  home_town: homeTown,
})

export const SEED_TENANTS: SeedTenant[] = [
  {
    contractStatus: 'without_contract',
    unit: '1.10001.1012',
    householdType: 'couple',
    moveInOffsetDays: 36,
    persons: [
      person('main', 'Frau', 'Laura', 'Meier', '1989-03-14', 'CH', 'de', 'married', 'Dorfstrasse', '8', '8810', 'Horgen', 'Pflegefachfrau HF', 'Spital Zimmerberg', 'Wädenswil ZH'),
      person('co', 'Herr', 'Jonas', 'Meier', '1987-11-02', 'CH', 'de', 'married', 'Dorfstrasse', '8', '8810', 'Horgen', 'Informatiker EFZ', 'Zürcher Kantonalbank', 'Horgen ZH'),
    ],
  },
  {
    contractStatus: 'without_contract',
    unit: '1.10002.2002',
    householdType: 'single',
    moveInOffsetDays: 66,
    persons: [person('main', 'Herr', 'Marco', 'Bernasconi', '1979-07-21', 'CH', 'it', 'divorced', 'Via Nassa', '21', '6900', 'Lugano', 'Architekt', 'Studio Bernasconi SA', 'Lugano TI')],
  },
  {
    contractStatus: 'without_contract',
    unit: '1.10001.1013',
    householdType: 'single_parent',
    moveInOffsetDays: 67,
    persons: [person('main', 'Frau', 'Aylin', 'Demir', '1992-05-30', 'DE', 'de', 'single', 'Langstrasse', '150', '8004', 'Zürich', 'Apothekerin', 'TopPharm Apotheke', null)],
  },
  {
    contractStatus: 'with_contract',
    unit: '1.10001.1011',
    householdType: 'single',
    moveInOffsetDays: -400,
    persons: [person('main', 'Herr', 'Peter', 'Huber', '1970-01-09', 'CH', 'de', 'single', 'Seestrasse', '112', '8800', 'Thalwil', 'Schreiner', 'Holzbau Huber', 'Thalwil ZH')],
  },
]

const FIRST = ['Anna', 'Luca', 'Sara', 'Noah', 'Mia', 'Leon', 'Lea', 'David', 'Nina', 'Simon', 'Julia', 'Fabio']
const LAST = ['Müller', 'Keller', 'Weber', 'Schneider', 'Fischer', 'Baumann', 'Gerber', 'Brunner', 'Steiner', 'Moser', 'Graf', 'Wyss']

/** A generated tenant for POST /_sandbox/tenants; `n` makes it deterministic. */
export function generatedTenant(n: number, unit: string, persons: number): SeedTenant {
  const list: Person[] = []
  for (let i = 0; i < persons; i++) {
    const first = FIRST[(n * 5 + i * 7) % FIRST.length]!
    const last = LAST[(n * 3) % LAST.length]!
    list.push(
      person(i === 0 ? 'main' : 'co', i % 2 ? 'Herr' : 'Frau', first, last, `19${70 + ((n + i) % 30)}-0${1 + (n % 9)}-1${n % 10}`, 'CH', 'de', persons > 1 ? 'married' : 'single', 'Musterweg', String(1 + (n % 90)), '8000', 'Zürich', 'Kaufmann/-frau EFZ', 'Muster AG', 'Zürich ZH'),
    )
  }
  return {contractStatus: 'without_contract', unit, householdType: persons > 1 ? 'family' : 'single', moveInOffsetDays: 30 + (n % 60), persons: list}
}
