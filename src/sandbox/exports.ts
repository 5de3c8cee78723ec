/**
 * The sandbox's Immotop 2 data as the two file formats real installations
 * send: W&W's dta-mpexp export (every unit of the letting mandants) and an IDX
 * 3.01 portal feed (their vacant units). Same units and references as the REST
 * views; rooms, area, floor, type and rent come from UNIT_DETAILS, which the
 * views do not carry. Either file is a details file for `publish --details`.
 */
import iconv from 'iconv-lite'
import {vacancyStatus} from '../core/vacancy.js'
import {UNIT_DETAILS, type ImmotopData, type SbObjekt} from './seed.js'

/** W&W's dta-mpexp header, as in github.com/wwimmo/ww-dta-mpexp. */
export const DTA_MPEXP_HEADER = (
  'customer_id;property_id;property_name;group_id;group_name;unit_adress_street_name;unit_adress_postcode;unit_adress_city;unit_adress_country;' +
  'unit_id;unit_name;unit_type;unit_square_meter;unit_level;utilisation_period_start;utilisation_period_end;contract_type;' +
  [1, 2, 3, 4].map((n) => `user${n}_id;user${n}_name;user${n}_prename;user${n}_companyname;user${n}_email;user${n}_phone1;user${n}_phone2;user${n}_adress;user${n}_adress_street_name;user${n}_adress_postcode;user${n}_adress_city;user${n}_adress_country`).join(';') +
  ';property_manager1_name;property_manager1_email;property_manager1_phone1;property_manager1_phone2;property_manager2_name;property_manager2_email;property_manager2_phone1;property_manager2_phone2;' +
  'facility_manager_name;facility_manager_email;facility_manager_phone1;facility_manager_phone2;owner_name;owner_email;owner_phone1;owner_phone2;timestamp_export'
).split(';')

const chDate = (iso: string | null | undefined) => (iso ? `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}` : '')

const unitRef = (o: SbObjekt) => `${o.mandant_nr}.${o.liegenschaft_nr}.${o.nr}`

function unitType(label: string, rooms: number | null): string {
  if (rooms === null) return label
  const text = Number.isInteger(rooms) ? String(rooms) : `${Math.floor(rooms)} 1/2`
  return label === 'Wohnung' ? `${text}-Zimmerwohnung` : `${text}-Zimmer-${label}`
}

/**
 * Units of the letting mandants (V) that have portal details. Deactivated
 * units (gueltigbis past) are left out; units valid only from a later day too,
 * unless `future` (a portal feed announces them). The sandbox's assumption:
 * W&W does not document what its exports hold.
 */
function lettingUnits(data: ImmotopData, today: string, future: boolean): SbObjekt[] {
  const letting = new Set(data.GetDmsMandant.filter((m) => m.mandanttypcode === 'V').map((m) => m.nr))
  const ended = (o: SbObjekt) => Boolean(o.gueltigbis && o.gueltigbis.slice(0, 10) < today)
  const later = (o: SbObjekt) => Boolean(o.gueltigvon && o.gueltigvon.slice(0, 10) > today)
  return data.GetDmsObjekt.filter((o) => letting.has(o.mandant_nr) && UNIT_DETAILS[unitRef(o)] && !ended(o) && (future || !later(o)))
}

/** dta-mpexp: ISO-8859-1, `;`, CRLF, one row per unit and tenancy (a unit without any tenancy has one empty row). */
export function dtaMpexpExport(data: ImmotopData, exportedOn: string): Buffer {
  const lines = [DTA_MPEXP_HEADER.join(';')]
  for (const objekt of lettingUnits(data, exportedOn, false)) {
    const details = UNIT_DETAILS[unitRef(objekt)]!
    const liegenschaft = data.GetDmsLiegenschaft.find((l) => l.mandant_nr === objekt.mandant_nr && l.nr === objekt.liegenschaft_nr)!
    const manager = data.GetDmsMitarbeiter.find((m) => m.s_seqnr === liegenschaft.mitarbeiter_seqnr)
    const [postcode, ...city] = liegenschaft.plzort.split(' ')
    const tenancies = data.GetDmsVerhaeltnis.filter((v) => v.mandant_nr === objekt.mandant_nr && v.liegenschaft_nr === objekt.liegenschaft_nr && v.objekt_nr === objekt.nr && v.mandanttyp_rolle === 'Mieter')
    for (const tenancy of tenancies.length ? tenancies : [null]) {
      const mieter = tenancy ? data.GetDmsMieter.find((m) => m.nr === tenancy.mieter_nr) : undefined
      const [surname, ...prename] = (mieter?.bez ?? '').split(' ')
      const company = mieter && /GmbH|AG\b/.test(mieter.bez ?? '')
      const row: Record<string, string> = {
        customer_id: 'SANDBOX-0001',
        property_id: String(liegenschaft.nr),
        property_name: liegenschaft.bez,
        group_id: String(objekt.mandant_nr),
        group_name: liegenschaft.bez,
        unit_adress_street_name: liegenschaft.strasse,
        unit_adress_postcode: postcode ?? '',
        unit_adress_city: city.join(' '),
        unit_adress_country: '756',
        unit_id: String(objekt.nr),
        unit_name: objekt.bez,
        unit_type: unitType(details.label, details.rooms),
        unit_square_meter: details.area === null ? '' : String(details.area),
        unit_level: details.level === null ? '' : String(details.level),
        utilisation_period_start: chDate(tenancy?.gueltigvon),
        utilisation_period_end: chDate(tenancy?.gueltigbis),
        contract_type: tenancy ? '1' : '',
        user1_id: mieter ? String(mieter.nr) : '',
        user1_name: mieter && !company ? surname! : '',
        user1_prename: mieter && !company ? prename.join(' ') : '',
        user1_companyname: company ? (mieter!.bez ?? '') : '',
        property_manager1_name: manager ? `${manager.vorname} ${manager.name}` : '',
        property_manager1_email: manager?.email ?? '',
        property_manager1_phone1: manager?.festnetz ?? manager?.mobile ?? '',
        timestamp_export: chDate(exportedOn),
      }
      lines.push(DTA_MPEXP_HEADER.map((column) => (row[column] ?? '').replace(/[;\r\n]/g, ' ')).join(';'))
    }
  }
  return iconv.encode(lines.join('\r\n') + '\r\n', 'latin1')
}

/**
 * IDX 3.01: the vacant, active units, 183 fields each followed by `#`, CRLF.
 * Lines alternate between UTF-8 and ISO-8859-1, as feeds assembled by several
 * tools do. The refs are mandant, Liegenschaft and Objekt number.
 */
export function idxExport(data: ImmotopData, today: string): Buffer {
  const chunks: Buffer[] = []
  let index = 0
  for (const objekt of lettingUnits(data, today, true)) {
    const tenancies = data.GetDmsVerhaeltnis.filter((v) => v.mandant_nr === objekt.mandant_nr && v.liegenschaft_nr === objekt.liegenschaft_nr && v.objekt_nr === objekt.nr && v.mandanttyp_rolle === 'Mieter')
    const status = vacancyStatus(tenancies.map((t) => ({from: t.gueltigvon.slice(0, 10), to: t.gueltigbis?.slice(0, 10) ?? null})), today)
    if (!status.vacant) continue
    const details = UNIT_DETAILS[unitRef(objekt)]!
    const liegenschaft = data.GetDmsLiegenschaft.find((l) => l.mandant_nr === objekt.mandant_nr && l.nr === objekt.liegenschaft_nr)!
    const manager = data.GetDmsMitarbeiter.find((m) => m.s_seqnr === liegenschaft.mitarbeiter_seqnr)
    const mandant = data.GetDmsMandant.find((m) => m.nr === objekt.mandant_nr)!
    const [zip, ...city] = liegenschaft.plzort.split(' ')
    const validFrom = objekt.gueltigvon?.slice(0, 10)
    const from = [status.availableFrom, validFrom && validFrom > today ? validFrom : null].filter((d): d is string => Boolean(d)).sort().at(-1)
    const f: string[] = Array.from({length: 183}, () => '')
    const set = (n: number, v: string | number | null | undefined) => {
      f[n - 1] = v === null || v === undefined ? '' : String(v).replace(/#/g, ' ')
    }
    set(1, 'IDX3.01')
    set(2, 'ImmoTop2 Sandbox')
    set(3, details.idx[0])
    set(4, details.idx[1])
    set(5, 'RENT')
    set(6, objekt.mandant_nr)
    set(7, objekt.liegenschaft_nr)
    set(8, objekt.nr)
    set(9, liegenschaft.strasse)
    set(10, zip)
    set(11, city.join(' '))
    set(12, zip?.startsWith('8') ? 'ZH' : zip?.startsWith('63') ? 'ZG' : 'BE')
    set(13, 'CH')
    set(16, chDate(from ?? today))
    set(17, `${objekt.bez}, ${liegenschaft.bez}`)
    set(18, `<B>${objekt.bez}</B><BR>Schöne Lage, nahe öffentlicher Verkehr.<BR><LI>Waschturm</LI><LI>Keller</LI>`)
    set(19, details.net + details.extra)
    set(20, details.net)
    set(21, details.extra)
    set(22, 'MONTHLY')
    set(23, 'CHF')
    set(25, details.level)
    set(26, details.rooms)
    set(28, details.area)
    set(32, details.yearBuilt)
    set(69, 'sandbox')
    set(70, mandant.bez)
    set(77, manager?.festnetz ?? manager?.mobile)
    set(80, manager?.email)
    set(82, manager ? `${manager.vorname} ${manager.name}` : '')
    set(83, manager?.festnetz ?? manager?.mobile)
    set(178, `${chDate(today)} 08:00:00`)
    const line = f.map((v) => `${v}#`).join('') + '\r\n'
    chunks.push(index++ % 2 === 0 ? Buffer.from(line, 'utf8') : iconv.encode(line, 'latin1'))
  }
  return Buffer.concat(chunks)
}
