/**
 * The sandbox's Immotop 2 data as the two file formats real installations
 * send: W&W's dta-mpexp export and an IDX 3.01 portal feed. Same units and
 * references as the REST views, so all three sources can be compared.
 */
import iconv from 'iconv-lite'
import {vacancyStatus} from '../core/vacancy.js'
import type {ImmotopData} from './seed.js'

/** W&W's dta-mpexp header, as in github.com/wwimmo/ww-dta-mpexp. */
export const DTA_MPEXP_HEADER = (
  'customer_id;property_id;property_name;group_id;group_name;unit_adress_street_name;unit_adress_postcode;unit_adress_city;unit_adress_country;' +
  'unit_id;unit_name;unit_type;unit_square_meter;unit_level;utilisation_period_start;utilisation_period_end;contract_type;' +
  [1, 2, 3, 4].map((n) => `user${n}_id;user${n}_name;user${n}_prename;user${n}_companyname;user${n}_email;user${n}_phone1;user${n}_phone2;user${n}_adress;user${n}_adress_street_name;user${n}_adress_postcode;user${n}_adress_city;user${n}_adress_country`).join(';') +
  ';property_manager1_name;property_manager1_email;property_manager1_phone1;property_manager1_phone2;property_manager2_name;property_manager2_email;property_manager2_phone1;property_manager2_phone2;' +
  'facility_manager_name;facility_manager_email;facility_manager_phone1;facility_manager_phone2;owner_name;owner_email;owner_phone1;owner_phone2;timestamp_export'
).split(';')

const chDate = (iso: string | null | undefined) => (iso ? `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}` : '')

function unitType(objektart: string, zimmer: number | null): string {
  if (zimmer === null) return objektart
  const rooms = Number.isInteger(zimmer) ? String(zimmer) : `${Math.floor(zimmer)} 1/2`
  return objektart === 'Wohnung' ? `${rooms}-Zimmerwohnung` : `${rooms}-Zimmer-${objektart}`
}

/** dta-mpexp: ISO-8859-1, `;`, CRLF, one row per unit and tenancy (a vacant unit without any tenancy has one empty row). */
export function dtaMpexpExport(data: ImmotopData, exportedOn: string): Buffer {
  const lines = [DTA_MPEXP_HEADER.join(';')]
  for (const objekt of data.GetDmsObjekt) {
    const liegenschaft = data.GetDmsLiegenschaft.find((l) => l.nr === objekt.liegenschaft_nr)!
    const manager = data.GetDmsMitarbeiter.find((m) => m.nr === liegenschaft.mitarbeiter)
    const [postcode, ...city] = (liegenschaft.plzort ?? '').split(' ')
    const tenancies = data.GetDmsVerhaeltnis.filter((v) => v.liegenschaft_nr === objekt.liegenschaft_nr && v.objekt_nr === objekt.nr)
    for (const tenancy of tenancies.length ? tenancies : [null]) {
      const mieter = tenancy ? data.GetDmsMieter.find((m) => m.nr === tenancy.mieter_nr) : undefined
      const row: Record<string, string> = {
        customer_id: 'SANDBOX-0001',
        property_id: String(liegenschaft.nr),
        property_name: liegenschaft.bez,
        group_id: '1',
        group_name: liegenschaft.bez,
        unit_adress_street_name: liegenschaft.strasse ?? '',
        unit_adress_postcode: postcode ?? '',
        unit_adress_city: city.join(' '),
        unit_adress_country: '756',
        unit_id: String(objekt.nr),
        unit_name: objekt.bez,
        unit_type: unitType(objekt.objektart, objekt.zimmer),
        unit_square_meter: objekt.flaeche === null ? '' : String(objekt.flaeche),
        unit_level: objekt.etage === null ? '' : String(objekt.etage),
        utilisation_period_start: chDate(tenancy?.gueltigvon),
        utilisation_period_end: chDate(tenancy?.gueltigbis),
        contract_type: tenancy ? '1' : '',
        user1_id: mieter ? String(mieter.nr) : '',
        user1_name: mieter && mieter.vorname ? mieter.name : '',
        user1_prename: mieter?.vorname ?? '',
        user1_companyname: mieter && !mieter.vorname ? mieter.name : '',
        property_manager1_name: manager ? `${manager.vorname} ${manager.name}` : '',
        property_manager1_email: manager?.email ?? '',
        property_manager1_phone1: manager?.telefon ?? '',
        timestamp_export: chDate(exportedOn),
      }
      lines.push(DTA_MPEXP_HEADER.map((column) => (row[column] ?? '').replace(/[;\r\n]/g, ' ')).join(';'))
    }
  }
  return iconv.encode(lines.join('\r\n') + '\r\n', 'latin1')
}

const IDX_CATEGORY: Record<string, [string, string]> = {
  Wohnung: ['APPT', '1'],
  Attikawohnung: ['APPT', '3'],
  Einstellhallenplatz: ['PARK', '5'],
  Parkplatz: ['PARK', '1'],
}

/**
 * IDX 3.01: the vacant units, 183 fields each followed by `#`, CRLF. Lines
 * alternate between UTF-8 and ISO-8859-1, as feeds assembled by several
 * tools do.
 */
export function idxExport(data: ImmotopData, today: string): Buffer {
  const chunks: Buffer[] = []
  let index = 0
  for (const objekt of data.GetDmsObjekt) {
    const tenancies = data.GetDmsVerhaeltnis.filter((v) => v.liegenschaft_nr === objekt.liegenschaft_nr && v.objekt_nr === objekt.nr)
    const status = vacancyStatus(tenancies.map((t) => ({from: t.gueltigvon?.slice(0, 10) ?? null, to: t.gueltigbis?.slice(0, 10) ?? null})), today)
    const kind = IDX_CATEGORY[objekt.objektart]
    if (!status.vacant || !kind) continue
    const liegenschaft = data.GetDmsLiegenschaft.find((l) => l.nr === objekt.liegenschaft_nr)!
    const manager = data.GetDmsMitarbeiter.find((m) => m.nr === liegenschaft.mitarbeiter)
    const [zip, ...city] = (liegenschaft.plzort ?? '').split(' ')
    const f: string[] = Array.from({length: 183}, () => '')
    const set = (n: number, v: string | number | null | undefined) => {
      f[n - 1] = v === null || v === undefined ? '' : String(v).replace(/#/g, ' ')
    }
    set(1, 'IDX3.01')
    set(2, 'ImmoTop2 Sandbox')
    set(3, kind[0])
    set(4, kind[1])
    set(5, 'RENT')
    set(6, objekt.mandant_nr)
    set(7, objekt.liegenschaft_nr)
    set(8, objekt.nr)
    set(9, liegenschaft.strasse)
    set(10, zip)
    set(11, city.join(' '))
    set(12, zip?.startsWith('8') ? 'ZH' : 'BE')
    set(13, 'CH')
    set(16, status.availableFrom ? chDate(status.availableFrom) : chDate(today))
    set(17, `${objekt.bez}, ${liegenschaft.bez}`)
    set(18, `<B>${objekt.bez}</B><BR>Schöne Lage, nahe öffentlicher Verkehr.<BR><LI>Waschturm</LI><LI>Keller</LI>`)
    set(19, objekt.nettomiete + objekt.nebenkosten)
    set(20, objekt.nettomiete)
    set(21, objekt.nebenkosten)
    set(22, 'MONTHLY')
    set(23, 'CHF')
    set(25, objekt.etage)
    set(26, objekt.zimmer)
    set(28, objekt.flaeche)
    set(32, liegenschaft.baujahr)
    set(69, 'sandbox')
    set(70, 'Immobilien Muster AG')
    set(77, manager?.telefon)
    set(80, manager?.email)
    set(82, manager ? `${manager.vorname} ${manager.name}` : '')
    set(83, manager?.telefon)
    set(84, manager?.email)
    set(178, `${chDate(today)} 08:00:00`)
    const line = f.map((v) => `${v}#`).join('') + '\r\n'
    chunks.push(index++ % 2 === 0 ? Buffer.from(line, 'utf8') : iconv.encode(line, 'latin1'))
  }
  return Buffer.concat(chunks)
}
