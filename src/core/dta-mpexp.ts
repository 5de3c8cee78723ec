/**
 * W&W's master-data export "dta-mpexp": `;`-separated, a header line, dates
 * DD.MM.YYYY, country as numeric ISO (756). The standard encoding is
 * ISO-8859-1; each line is decoded on its own (UTF-8 when valid), as for IDX.
 * One row per unit and utilisation period. Pure; no I/O.
 *
 * W&W's own sample has data rows one field shorter than the header (a
 * facility-manager column is missing, so the columns after it are shifted).
 * Columns are read by header position, and only those up to
 * property_manager1_* are used, so such a short tail is tolerated.
 */
import {floorFromLevel, splitStreet} from './swiss-address.js'
import {parse as parseCsv} from 'csv-parse/sync'
import {swissDate} from './swiss-date.js'
import {decodeLine, splitLines} from './text-decoding.js'
import type {ParseProblem} from './parse-problem.js'
import {detailFields, vacancyStatus, type ObjectCategory, type UnitDetails, type Vacancy} from './vacancy.js'

/** Columns melon-immotop needs; a file without one of them is refused. */
export const REQUIRED_COLUMNS = [
  'property_id',
  'property_name',
  'unit_adress_street_name',
  'unit_adress_postcode',
  'unit_adress_city',
  'unit_adress_country',
  'unit_id',
  'unit_name',
  'unit_type',
  'unit_square_meter',
  'unit_level',
  'utilisation_period_start',
  'utilisation_period_end',
] as const

const OPTIONAL_COLUMNS = ['property_manager1_name', 'property_manager1_email', 'property_manager1_phone1', 'user1_name', 'user1_prename', 'user1_companyname'] as const

export interface DtaRow {
  line: number
  values: Record<string, string>
}

export interface DtaParse {
  header: string[]
  rows: DtaRow[]
  problems: ParseProblem[]
}

/**
 * Parses the export as CSV (`;`, `"` quotes around fields that hold `;`, `"`
 * or a line end), after decoding each physical line on its own (UTF-8 when
 * valid, else Windows-1252). Problems name the line where a record starts.
 */
export function parseDtaMpexp(buffer: Buffer): DtaParse {
  const text = splitLines(buffer)
    .map((bytes) => decodeLine(bytes).text)
    .join('\n')
    .replace(/^\uFEFF/, '')
  let records: Array<{record: string[]; info: {lines: number}; raw: string}>
  try {
    records = parseCsv(text, {delimiter: ';', relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true, raw: true}) as unknown as typeof records
  } catch (error) {
    const line = (error as {lines?: number}).lines ?? 1
    return {header: [], rows: [], problems: [{line, message: `is not valid CSV: ${(error as Error).message.replace(/^Invalid Record Length: |^CsvError: /, '').slice(0, 120)}`}]}
  }
  // The line a record starts on: where it ends, less the line ends inside it.
  const startLine = (r: (typeof records)[number]) => r.info.lines - (r.raw.replace(/\n$/, '').match(/\n/g)?.length ?? 0)
  const problems: ParseProblem[] = []
  const first = records[0]
  if (!first) return {header: [], rows: [], problems: [{line: 1, message: 'the file is empty'}]}
  const header = first.record.map((h) => h.trim())
  const headerLine = startLine(first)
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c))
  if (missing.length > 0) {
    return {header, rows: [], problems: [{line: headerLine, field: missing.join(', '), message: `missing from the header; is this a dta-mpexp export?`}]}
  }
  const lastNeeded = Math.max(...[...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS].map((c) => header.indexOf(c)))
  const rows: DtaRow[] = []
  for (const entry of records.slice(1)) {
    const cells = entry.record
    const line = startLine(entry)
    if (cells.length <= lastNeeded || cells.length > header.length) {
      problems.push({line, message: `has ${cells.length} fields; the header has ${header.length}`})
      continue
    }
    const values: Record<string, string> = {}
    header.forEach((name, index) => {
      values[name] = (cells[index] ?? '').trim()
    })
    rows.push({line, values})
  }
  return {header, rows, problems}
}

const COUNTRY: Record<string, string> = {'756': 'CH', '438': 'LI', '276': 'DE', '40': 'AT', '040': 'AT', '250': 'FR', '380': 'IT'}

export function countryFromNumeric(code: string): string | null {
  if (/^[A-Za-z]{2}$/.test(code)) return code.toUpperCase()
  return COUNTRY[code.trim()] ?? null
}

/** "3 1/2-Zimmerwohnung" → 3.5, "4,5-ZWG" → 4.5, "2-Zimmerwohnung" → 2, "Parkplatz" → null. */
export function roomsFromText(text: string): number | null {
  const m = /(\d+)(?:\s*(?:1\/2|½)|[.,](\d))?\s*-?\s*(?:Zi|ZWG|Zimmer)/i.exec(text)
  if (!m) return null
  return Number(m[1]) + (m[2] ? Number(`0.${m[2]}`) : /1\/2|½/.test(m[0]) ? 0.5 : 0)
}

const KINDS: Array<[RegExp, ObjectCategory, string]> = [
  [/attika/i, 'apartment', 'attic_flat'],
  [/maisonette/i, 'apartment', 'maisonette'],
  [/studio/i, 'apartment', 'studio'],
  [/zimmerwohnung|wohnung|zwg/i, 'apartment', 'flat'],
  [/einfamilienhaus|efh/i, 'house', 'single_house'],
  [/reihenhaus/i, 'house', 'row_house'],
  [/einstellhalle|tiefgarage|ehp/i, 'parking', 'underground_slot'],
  [/garage/i, 'parking', 'single_garage'],
  [/parkplatz|abstellplatz|\bpp\b/i, 'parking', 'open_slot'],
  [/büro|buero/i, 'commercial', 'office'],
  [/gewerbe|laden|verkauf|atelier/i, 'commercial', 'commercial'],
]

export function kindFromUnitType(text: string): {category: ObjectCategory; typeKey: string} | null {
  for (const [pattern, category, typeKey] of KINDS) if (pattern.test(text)) return {category, typeKey}
  return null
}

export type DtaOutcome =
  | {kind: 'vacancy'; line: number; reference: string; vacancy: Vacancy}
  | {kind: 'let'; line: number; reference: string}
  | {kind: 'invalid'; line: number; reference: string; problem: ParseProblem}

/** A unit's key in dta-mpexp: `<property_id>.<unit_id>`, i.e. `<liegenschaft>.<objekt>` (the file has no mandant number). */
export function dtaUnitKey(row: DtaRow): string {
  return `${row.values.property_id}.${row.values.unit_id}`
}

/** What a dta-mpexp row says about its unit: type, rooms, area, floor. It carries no rent or description. */
export function dtaDetails(row: DtaRow): UnitDetails | ParseProblem {
  const v = row.values
  const problem = (field: string, message: string): ParseProblem => ({line: row.line, field, message})
  if (!/^\d+$/.test(v.property_id!) || !/^\d+$/.test(v.unit_id!)) return problem('property_id / unit_id', `"${v.property_id}" / "${v.unit_id}" must be numbers`)
  const kind = kindFromUnitType(`${v.unit_type} ${v.unit_name}`)
  if (!kind) return problem('unit_type', `"${v.unit_type}" is not a kind of unit melon-immotop can map (flat, house, parking, office)`)
  const level = v.unit_level === '' ? null : Number(v.unit_level)
  if (level !== null && !Number.isInteger(level)) return problem('unit_level', `"${v.unit_level}" is not a whole number`)
  const area = !v.unit_square_meter ? null : Number(v.unit_square_meter.replace(',', '.'))
  if (area !== null && !Number.isFinite(area)) return problem('unit_square_meter', `"${v.unit_square_meter}" is not a number`)
  const floor = floorFromLevel(level)
  return {
    category: kind.category,
    typeKey: kind.typeKey,
    rooms: roomsFromText(`${v.unit_type} ${v.unit_name}`),
    areaM2: area || null,
    floorLabel: floor.label,
    floorNum: floor.num,
    rent: null,
    description: null,
    yearOfConstruction: null,
  }
}

const isProblem = (value: UnitDetails | ParseProblem): value is ParseProblem => 'message' in value

/**
 * Groups the rows by unit, applies the vacancy rule to its utilisation
 * periods, and maps vacant units. `mandant` makes the unit reference.
 */
export function vacanciesFromDta(rows: DtaRow[], options: {mandant: number; today: string}): DtaOutcome[] {
  const units = new Map<string, DtaRow[]>()
  for (const row of rows) units.set(dtaUnitKey(row), [...(units.get(dtaUnitKey(row)) ?? []), row])
  return [...units].map(([key, unitRows]) => unitOutcome(`${options.mandant}.${key}`, unitRows, options.today))
}

/** One unit (all its rows): vacant with its listing, let, or invalid with the field. */
function unitOutcome(reference: string, unitRows: DtaRow[], today: string): DtaOutcome {
  const first = unitRows[0]!
  const v = first.values
  const invalid = (row: DtaRow, field: string, message: string): DtaOutcome => ({kind: 'invalid', line: row.line, reference, problem: {line: row.line, field, message}})
  if (!/^\d+$/.test(v.property_id!) || !/^\d+$/.test(v.unit_id!)) return invalid(first, 'property_id / unit_id', `"${v.property_id}" / "${v.unit_id}" must be numbers`)
  const periods = utilisationPeriods(unitRows)
  if ('problem' in periods) return invalid(periods.row, 'utilisation_period_start / _end', periods.problem)
  const status = vacancyStatus(periods, today)
  if (!status.vacant) return {kind: 'let', line: first.line, reference}
  const details = dtaDetails(first)
  if (isProblem(details)) return {kind: 'invalid', line: first.line, reference, problem: details}
  const country = countryFromNumeric(v.unit_adress_country ?? '')
  if (!country) return invalid(first, 'unit_adress_country', `"${v.unit_adress_country}" is not a known numeric country code (756 is CH)`)
  return {kind: 'vacancy', line: first.line, reference, vacancy: dtaVacancy(reference, v, details, country, status.availableFrom)}
}

/** The unit's utilisation periods, or the first row whose dates are not dates. */
function utilisationPeriods(unitRows: DtaRow[]): Array<{from: string | null; to: string | null}> | {row: DtaRow; problem: string} {
  const periods: Array<{from: string | null; to: string | null}> = []
  for (const row of unitRows) {
    try {
      const from = swissDate(row.values.utilisation_period_start ?? '')
      const to = swissDate(row.values.utilisation_period_end ?? '')
      if (from !== null || to !== null) periods.push({from, to})
    } catch (error) {
      return {row, problem: (error as Error).message}
    }
  }
  return periods
}

function dtaVacancy(reference: string, v: Record<string, string>, details: UnitDetails, country: string, availableFrom: string | null): Vacancy {
  const street = splitStreet(v.unit_adress_street_name ?? '')
  const manager = (v.property_manager1_name ?? '').trim()
  const [mFirst, ...mRest] = manager.split(/\s+/)
  return {
    unitRef: reference,
    source: 'dta-mpexp',
    title: v.unit_type ? `${v.unit_type}, ${v.unit_name}` : v.unit_name!,
    ...detailFields(details),
    availability: availableFrom ? {kind: 'from_date', date: availableFrom} : {kind: 'immediately'},
    building: {
      title: v.property_name || v.unit_adress_street_name!,
      street: street.street,
      houseNumber: street.houseNumber,
      postalCode: v.unit_adress_postcode!,
      city: v.unit_adress_city!,
      countryCode: country,
      yearOfConstruction: null,
    },
    contact: manager ? {firstName: mRest.length ? mFirst! : '', surname: mRest.length ? mRest.join(' ') : mFirst!, email: v.property_manager1_email || null, phone: v.property_manager1_phone1 || null} : null,
  }
}
