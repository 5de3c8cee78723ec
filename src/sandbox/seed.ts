/**
 * Realistic Swiss seed data for the sandbox. Dates are relative to the day the
 * sandbox starts, so that "vacant" means the same thing whenever it runs.
 *
 * The views carry exactly W&W's documented columns (the sandbox's own row
 * types below, written from W&W's `_views/*.md`, not from the client's
 * schemas). Rooms, area, floor, type and rent are not in the views: they live
 * in `UNIT_DETAILS`, which only the sandbox's IDX and dta-mpexp exports show,
 * as Immotop 2's own exports do.
 *
 * Mandant 1 "Immobilien Muster AG" (V, letting):
 *   Liegenschaft 10001 Wohnüberbauung Sonnenhof, Seestrasse 112, 8800 Thalwil
 *     1011 3.5 Zi. let (no end)               → not vacant
 *     1012 4.5 Zi. tenancy ended              → vacant now
 *     1013 2.5 Zi. tenancy ends, no successor → vacant from end + 1
 *     1014 3.5 Zi. ended, successor signed    → not vacant
 *     1015 1.5 Zi. deactivated (gueltigbis past) → never published
 *     1016 4.5 Zi. new, valid from today + 45 → vacant from that day
 *     1901 Einstellhallenplatz, never let     → vacant now
 *   Liegenschaft 10002 Geschäftshaus Bahnhofplatz, Bahnhofplatz 3, 3011 Bern
 *     2001 Büro let, 2002 5.5 Zi. Attika vacant, 2003 Parkplatz let
 * Mandant 2 "Pensionskasse Seeblick" (V, letting):
 *   Liegenschaft 20001 Wohnhaus Seeblick, Seeweg 5, 6300 Zug
 *     1 3.5 Zi. tenancy ended → vacant; 2 2.5 Zi. let
 * Mandant 3 "STWEG Rebhalde" (S, condominium owners): two flats with
 *   Eigentümer relationships; not a letting mandant, so `mandant: all` skips it.
 */
import {addDays} from '../core/swiss-address.js'
import type {Person} from '../wire/melon-wire.js'

/** `insts`/`updts` since 2.6.32. */
interface Stamps {
  insts: string
  updts: string
}

export interface SbMandant extends Stamps {
  s_seqnr: number
  nr: number
  bez: string
  mandanttypcode: 'V' | 'S' | 'G'
  person_seqnr: number
  person_nr: number
  name1: string
  name2: string | null
  strasse: string | null
  Plz: string
  postfach: string | null
  ort: string
  land: string | null
  istmwstpflichtig: number | null
  defaultzahlstelle_seqnr: number | null
  gueltigvon: string
  gueltigbis: string | null
}

export interface SbLiegenschaft extends Stamps {
  s_seqnr: number
  nr: number
  bez: string
  mandant_seqnr: number
  mandant_nr: number
  lieggruppenk_seqnr: number | null
  grundbuchanmerkung: string | null
  strasse: string
  plzort: string
  mitarbeiter_seqnr: number | null
  mitarbeiter: string | null
  mitarbeiter2_seqnr: number | null
  mitarbeiter2: string | null
  buchhalter_seqnr: number | null
  buchhalter: string | null
  buchhalter2_seqnr: number | null
  buchhalter2: string | null
  gueltigvon?: string
  gueltigbis?: string | null
}

export interface SbObjekt extends Stamps {
  s_seqnr: number
  nr: number
  bez: string
  liegenschaft_seqnr: number
  liegenschaft_nr: number
  mandant_seqnr: number
  mandant_nr: number
  /** 2.7.19: absent when the sandbox plays an older version. */
  gueltigvon?: string
  gueltigbis?: string | null
}

export interface SbVerhaeltnis extends Stamps {
  s_seqnr: number
  gueltigvon: string
  gueltigbis: string | null
  objekt_seqnr: number
  objekt_nr: number
  liegenschaft_seqnr: number
  liegenschaft_nr: number
  mandant_seqnr: number
  mandant_nr: number
  verhaeltnisstatus_nr: number
  mieter_seqnr: number
  mieter_nr: number
  mandanttyp_rolle: 'Mieter' | 'Eigentümer'
  mandanttyp_code: 'V' | 'S' | 'G'
}

export interface SbMieter extends Stamps {
  s_seqnr: number
  nr: number
  bez: string | null
  mandant_seqnr: number
  mandant_nr: number
  IstAktiv?: number
}

export interface SbMitarbeiter extends Stamps {
  s_seqnr: number
  nr: number
  vorname: string | null
  name: string | null
  festnetz: string | null
  mobile: string | null
  fax: string | null
  email: string | null
  geschlecht: string | null
}

export interface ImmotopData {
  GetDmsMandant: SbMandant[]
  GetDmsLiegenschaft: SbLiegenschaft[]
  GetDmsObjekt: SbObjekt[]
  GetDmsVerhaeltnis: SbVerhaeltnis[]
  GetDmsMieter: SbMieter[]
  GetDmsMitarbeiter: SbMitarbeiter[]
}

/** What Immotop 2 keeps about a unit outside the DMS views, and shows in its portal exports. */
export interface SbUnitDetails {
  /** IDX 3.01 category and type code; `label` is the German kind dta-mpexp writes. */
  idx: [string, number]
  label: string
  rooms: number | null
  area: number | null
  /** dta-mpexp unit_level: 0 ground floor, 99 roof, -1 first basement. */
  level: number | null
  net: number
  extra: number
  deposit: number | null
  yearBuilt: number
}

const net = (day: string) => `${day}T00:00:00`
const stamp = (day: string) => ({insts: `${day}T08:15:00`, updts: `${day}T08:15:00`})

/** Portal details per unit reference: exported by the sandbox's IDX and dta-mpexp files, never by the views. */
export const UNIT_DETAILS: Record<string, SbUnitDetails> = {
  '1.10001.1011': {idx: ['APPT', 1], label: 'Wohnung', rooms: 3.5, area: 82, level: 1, net: 1980, extra: 220, deposit: 5940, yearBuilt: 1987},
  '1.10001.1012': {idx: ['APPT', 1], label: 'Wohnung', rooms: 4.5, area: 104.5, level: 2, net: 2450, extra: 280, deposit: 7350, yearBuilt: 1987},
  '1.10001.1013': {idx: ['APPT', 1], label: 'Wohnung', rooms: 2.5, area: 61, level: 99, net: 1690, extra: 180, deposit: 5070, yearBuilt: 1987},
  '1.10001.1014': {idx: ['APPT', 1], label: 'Wohnung', rooms: 3.5, area: 79, level: 0, net: 1890, extra: 210, deposit: 5670, yearBuilt: 1987},
  '1.10001.1015': {idx: ['APPT', 5], label: 'Studio', rooms: 1.5, area: 34, level: -1, net: 890, extra: 120, deposit: 2670, yearBuilt: 1987},
  '1.10001.1016': {idx: ['APPT', 1], label: 'Wohnung', rooms: 4.5, area: 112, level: 3, net: 2690, extra: 290, deposit: 8070, yearBuilt: 2026},
  '1.10001.1901': {idx: ['PARK', 5], label: 'Einstellhallenplatz', rooms: null, area: 12.5, level: -1, net: 160, extra: 0, deposit: null, yearBuilt: 1987},
  '1.10002.2001': {idx: ['INDUS', 1], label: 'Büro', rooms: null, area: 145, level: 1, net: 3200, extra: 420, deposit: 9600, yearBuilt: 1962},
  '1.10002.2002': {idx: ['APPT', 3], label: 'Attikawohnung', rooms: 5.5, area: 148, level: 99, net: 3850, extra: 390, deposit: 11550, yearBuilt: 1962},
  '1.10002.2003': {idx: ['PARK', 1], label: 'Parkplatz', rooms: null, area: null, level: 0, net: 90, extra: 0, deposit: null, yearBuilt: 1962},
  '2.20001.1': {idx: ['APPT', 1], label: 'Wohnung', rooms: 3.5, area: 88, level: 1, net: 2280, extra: 240, deposit: 6840, yearBuilt: 2004},
  '2.20001.2': {idx: ['APPT', 1], label: 'Wohnung', rooms: 2.5, area: 64, level: 2, net: 1790, extra: 190, deposit: 5370, yearBuilt: 2004},
}

const MANDANTEN: Array<[number, number, string, 'V' | 'S' | 'G', string, string, string]> = [
  [101, 1, 'Immobilien Muster AG', 'V', 'Seestrasse 110', '8800', 'Thalwil'],
  [102, 2, 'Pensionskasse Seeblick', 'V', 'Seeweg 1', '6300', 'Zug'],
  [103, 3, 'STWEG Rebhalde', 'S', 'Rebhaldenweg 2', '8700', 'Küsnacht'],
]

/** The views as W&W documents them; `version` below 2.7.19 drops that version's columns. */
export function immotopSeed(today: string, options: {version?: string} = {}): ImmotopData {
  const gated = versionAtLeast(options.version ?? '2.7.23', '2.7.19')
  const created = addDays(today, -400)
  const mandants: SbMandant[] = MANDANTEN.map(([s, nr, bez, typ, strasse, plz, ort]) => ({
    s_seqnr: s,
    nr,
    bez,
    mandanttypcode: typ,
    person_seqnr: 9000 + nr,
    person_nr: 900 + nr,
    name1: bez,
    name2: null,
    strasse,
    Plz: plz,
    postfach: null,
    ort,
    land: 'CH',
    istmwstpflichtig: 0,
    defaultzahlstelle_seqnr: null,
    gueltigvon: net('2000-01-01'),
    gueltigbis: null,
    ...stamp(created),
  }))
  const mandantSeq = (nr: number) => MANDANTEN.find((m) => m[1] === nr)![0]
  const mitarbeiter: SbMitarbeiter[] = [
    {s_seqnr: 7, nr: 7, vorname: 'Sandra', name: 'Brunner', festnetz: '+41 44 720 11 22', mobile: '+41 79 720 11 22', fax: null, email: 'sandra.brunner@muster-immo.ch', geschlecht: 'W', ...stamp(created)},
    {s_seqnr: 8, nr: 8, vorname: 'Thomas', name: 'Keller', festnetz: '+41 31 310 44 55', mobile: null, fax: '+41 31 310 44 56', email: 'thomas.keller@muster-immo.ch', geschlecht: 'M', ...stamp(created)},
    {s_seqnr: 9, nr: 9, vorname: 'Nadia', name: 'Frei', festnetz: null, mobile: '+41 78 600 90 90', fax: null, email: 'nadia.frei@pk-seeblick.ch', geschlecht: 'W', ...stamp(created)},
  ]
  const lieg = (s: number, mandant: number, nr: number, bez: string, strasse: string, plzort: string, manager: SbMitarbeiter | null): SbLiegenschaft => ({
    s_seqnr: s,
    nr,
    bez,
    mandant_seqnr: mandantSeq(mandant),
    mandant_nr: mandant,
    lieggruppenk_seqnr: null,
    grundbuchanmerkung: null,
    strasse,
    plzort,
    mitarbeiter_seqnr: manager?.s_seqnr ?? null,
    mitarbeiter: manager ? `${manager.vorname} ${manager.name}` : null,
    mitarbeiter2_seqnr: null,
    mitarbeiter2: null,
    buchhalter_seqnr: null,
    buchhalter: null,
    buchhalter2_seqnr: null,
    buchhalter2: null,
    ...(gated ? {gueltigvon: net('1987-04-01'), gueltigbis: null} : {}),
    ...stamp(created),
  })
  const liegenschaften = [
    lieg(201, 1, 10001, 'Wohnüberbauung Sonnenhof', 'Seestrasse 112', '8800 Thalwil', mitarbeiter[0]!),
    lieg(202, 1, 10002, 'Geschäftshaus Bahnhofplatz', 'Bahnhofplatz 3', '3011 Bern', mitarbeiter[1]!),
    lieg(203, 2, 20001, 'Wohnhaus Seeblick', 'Seeweg 5', '6300 Zug', mitarbeiter[2]!),
    lieg(204, 3, 30001, 'STWEG Rebhalde', 'Rebhaldenweg 2', '8700 Küsnacht', null),
  ]
  const liegOf = (nr: number) => liegenschaften.find((l) => l.nr === nr)!
  const obj = (s: number, liegenschaft: number, nr: number, bez: string, validity: {from?: string; to?: string | null} = {}): SbObjekt => ({
    s_seqnr: s,
    nr,
    bez,
    liegenschaft_seqnr: liegOf(liegenschaft).s_seqnr,
    liegenschaft_nr: liegenschaft,
    mandant_seqnr: liegOf(liegenschaft).mandant_seqnr,
    mandant_nr: liegOf(liegenschaft).mandant_nr,
    ...(gated ? {gueltigvon: net(validity.from ?? '1987-04-01'), gueltigbis: validity.to ? net(validity.to) : null} : {}),
    ...stamp(validity.from && validity.from > created ? addDays(today, -3) : created),
  })
  const objekte = [
    obj(301, 10001, 1011, '3.5-Zimmerwohnung 1. OG links'),
    obj(302, 10001, 1012, '4.5-Zimmerwohnung 2. OG rechts'),
    obj(303, 10001, 1013, '2.5-Zimmerwohnung Dachgeschoss'),
    obj(304, 10001, 1014, '3.5-Zimmerwohnung Erdgeschoss'),
    obj(309, 10001, 1015, '1.5-Zimmer-Studio Souterrain', {to: addDays(today, -90)}),
    obj(310, 10001, 1016, '4.5-Zimmerwohnung 3. OG (Aufstockung)', {from: addDays(today, 45)}),
    obj(305, 10001, 1901, 'Einstellhallenplatz 1'),
    obj(306, 10002, 2001, 'Büro 1. OG'),
    obj(307, 10002, 2002, '5.5-Zimmer-Attikawohnung'),
    obj(308, 10002, 2003, 'Parkplatz 7'),
    obj(311, 20001, 1, '3.5-Zimmerwohnung 1. OG'),
    obj(312, 20001, 2, '2.5-Zimmerwohnung 2. OG'),
    obj(313, 30001, 1, 'Stockwerkeinheit 1 (4.5 Zi.)'),
    obj(314, 30001, 2, 'Stockwerkeinheit 2 (3.5 Zi.)'),
  ]
  const objOf = (liegenschaft: number, nr: number) => objekte.find((o) => o.liegenschaft_nr === liegenschaft && o.nr === nr)!
  const mieter: SbMieter[] = []
  const verhaeltnisse: SbVerhaeltnis[] = []
  let vSeq = 5000
  const relation = (liegenschaft: number, objekt: number, person: [number, string], from: string, to: string | null, rolle: 'Mieter' | 'Eigentümer' = 'Mieter') => {
    const o = objOf(liegenschaft, objekt)
    const [mieterNr, bez] = person
    if (!mieter.some((m) => m.nr === mieterNr)) {
      mieter.push({s_seqnr: mieterNr, nr: mieterNr, bez, mandant_seqnr: o.mandant_seqnr, mandant_nr: o.mandant_nr, ...(gated ? {IstAktiv: to === null || to >= today ? 1 : 0} : {}), ...stamp(created)})
    }
    verhaeltnisse.push({
      s_seqnr: ++vSeq,
      gueltigvon: net(from),
      gueltigbis: to ? net(to) : null,
      objekt_seqnr: o.s_seqnr,
      objekt_nr: o.nr,
      liegenschaft_seqnr: o.liegenschaft_seqnr,
      liegenschaft_nr: o.liegenschaft_nr,
      mandant_seqnr: o.mandant_seqnr,
      mandant_nr: o.mandant_nr,
      verhaeltnisstatus_nr: 1,
      mieter_seqnr: mieterNr,
      mieter_nr: mieterNr,
      mandanttyp_rolle: rolle,
      mandanttyp_code: MANDANTEN.find((m) => m[1] === o.mandant_nr)![3],
      ...stamp(from < created ? created : from),
    })
  }
  relation(10001, 1011, [801, 'Huber Peter'], '2019-10-01', null)
  relation(10001, 1012, [802, 'Zürcher Ruth'], '2015-04-01', addDays(today, -57))
  relation(10001, 1013, [803, 'Rossi Elena'], '2021-07-01', addDays(today, 66))
  relation(10001, 1014, [804, 'Schmid Urs'], '2018-01-01', addDays(today, -26))
  relation(10001, 1014, [805, 'Nguyen Minh'], addDays(today, 5), null)
  relation(10002, 2001, [806, 'Treuhand Aare GmbH'], '2012-01-01', null)
  relation(10002, 2003, [807, 'Frei Martin'], '2020-05-01', null)
  relation(20001, 1, [811, 'Lüthi Beat'], '2010-10-01', addDays(today, -12))
  relation(20001, 2, [812, 'Kälin Sabine'], '2016-03-01', null)
  relation(30001, 1, [821, 'Widmer-Bär Ursula'], '2008-06-01', null, 'Eigentümer')
  relation(30001, 2, [822, 'Gerber Hans'], '2008-06-01', null, 'Eigentümer')
  return {
    GetDmsMandant: mandants,
    GetDmsLiegenschaft: liegenschaften,
    GetDmsObjekt: objekte,
    GetDmsVerhaeltnis: verhaeltnisse,
    GetDmsMieter: mieter,
    GetDmsMitarbeiter: mitarbeiter,
  }
}

/** A tenancy created in Immotop 2 after the seed (POST /_sandbox/tenancies): what the contract staff do. */
export interface TenancySpec {
  unit: string
  from: string
  to: string | null
  /** The new Mieter's display name (v_DmsMieter bez); null when not given. */
  name: string | null
}

/** Adds a Mieter and its Mieter-Verhältnis on the unit, created at `insts` (local time, as Immotop 2 writes it). Null for an unknown unit. */
export function addTenancy(data: ImmotopData, spec: TenancySpec, insts: string): {tenancy: number; mieter: number} | null {
  const [m, l, o] = spec.unit.split('.').map(Number)
  const objekt = data.GetDmsObjekt.find((x) => x.mandant_nr === m && x.liegenschaft_nr === l && x.nr === o)
  if (!objekt) return null
  const mieterNr = Math.max(900, ...data.GetDmsMieter.map((x) => x.s_seqnr)) + 1
  const tenancy = Math.max(5000, ...data.GetDmsVerhaeltnis.map((x) => x.s_seqnr)) + 1
  const gated = data.GetDmsMieter.some((x) => 'IstAktiv' in x)
  data.GetDmsMieter.push({s_seqnr: mieterNr, nr: mieterNr, bez: spec.name, mandant_seqnr: objekt.mandant_seqnr, mandant_nr: objekt.mandant_nr, ...(gated ? {IstAktiv: 1} : {}), insts, updts: insts})
  data.GetDmsVerhaeltnis.push({
    s_seqnr: tenancy,
    gueltigvon: net(spec.from),
    gueltigbis: spec.to ? net(spec.to) : null,
    objekt_seqnr: objekt.s_seqnr,
    objekt_nr: objekt.nr,
    liegenschaft_seqnr: objekt.liegenschaft_seqnr,
    liegenschaft_nr: objekt.liegenschaft_nr,
    mandant_seqnr: objekt.mandant_seqnr,
    mandant_nr: objekt.mandant_nr,
    verhaeltnisstatus_nr: 1,
    mieter_seqnr: mieterNr,
    mieter_nr: mieterNr,
    mandanttyp_rolle: 'Mieter',
    mandanttyp_code: MANDANTEN.find((x) => x[1] === objekt.mandant_nr)![3],
    insts,
    updts: insts,
  })
  return {tenancy, mieter: mieterNr}
}

/** "2.7.18" >= "2.7.19"? Numeric per part. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number)
  const b = minimum.split('.').map(Number)
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  }
  return true
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

/** A generated tenant for POST /_sandbox/tenants; `n` makes it deterministic. `main` names the main person (the others keep the household's generated surname unless one is given). */
export function generatedTenant(n: number, unit: string, persons: number, main: {surname?: string; firstName?: string} = {}): SeedTenant {
  const list: Person[] = []
  for (let i = 0; i < persons; i++) {
    const first = (i === 0 ? main.firstName : undefined) ?? FIRST[(n * 5 + i * 7) % FIRST.length]!
    const last = main.surname ?? LAST[(n * 3) % LAST.length]!
    list.push(
      person(i === 0 ? 'main' : 'co', i % 2 ? 'Herr' : 'Frau', first, last, `19${70 + ((n + i) % 30)}-0${1 + (n % 9)}-1${n % 10}`, 'CH', 'de', persons > 1 ? 'married' : 'single', 'Musterweg', String(1 + (n % 90)), '8000', 'Zürich', 'Kaufmann/-frau EFZ', 'Muster AG', 'Zürich ZH'),
    )
  }
  return {contractStatus: 'without_contract', unit, householdType: persons > 1 ? 'family' : 'single', moveInOffsetDays: 30 + (n % 60), persons: list}
}
