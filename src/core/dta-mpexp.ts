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
import {detailFields, TenancyFold, type ObjectCategory, type UnitDetails, type Vacancy} from './vacancy.js'

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
const USED_COLUMNS: readonly string[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]

export interface DtaRow {
  line: number
  /** The columns melon-immotop uses (REQUIRED_COLUMNS and OPTIONAL_COLUMNS present in the header); the rest is not kept. */
  values: Record<string, string>
}

export interface DtaParse {
  header: string[]
  rows: DtaRow[]
  problems: ParseProblem[]
}

/**
 * How csv-parse reads the export: `;`, `"` quotes around fields that hold `;`,
 * `"` or a line end. Line numbers are counted from each record's raw text
 * (csv-parse's own `info` costs the garbage collector dearly on a stream), so
 * empty lines come through and are skipped here.
 */
export const DTA_CSV = {delimiter: ';', relax_column_count: true, relax_quotes: true, raw: true} as const

/** One record as csv-parse gives it with DTA_CSV: its fields and its text, line end included. */
export interface CsvRecord {
  record: string[]
  raw: string
}

/** A CSV syntax error (csv-parse's, with the line it reached): the whole file is refused with it. */
export function csvProblem(error: unknown): ParseProblem {
  const line = (error as {lines?: number}).lines ?? 1
  return {line, message: `is not valid CSV: ${(error as Error).message.replace(/^Invalid Record Length: |^CsvError: /, '').slice(0, 120)}`}
}

/**
 * The rows of an export from its CSV records in file order, the first being
 * the header: the same for a whole file (parseDtaMpexp) and a stream. A row
 * keeps only the columns used. A header without a required column refuses
 * the file (`refused`); nothing after it is read.
 */
export class DtaRowReader {
  header: string[] = []
  refused: ParseProblem | null = null
  private seenHeader = false
  /** The line the next record starts on. */
  private nextLine = 1
  private used: Array<[string, number]> = []
  private lastNeeded = 0

  read(entry: CsvRecord): DtaRow | ParseProblem | null {
    if (this.refused) return null
    const line = this.nextLine
    for (let at = entry.raw.indexOf('\n'); at !== -1; at = entry.raw.indexOf('\n', at + 1)) this.nextLine++
    // An empty line.
    if (entry.record.length === 1 && entry.record[0] === '') return null
    if (!this.seenHeader) {
      this.seenHeader = true
      this.header = entry.record.map((h) => h.trim())
      const missing = REQUIRED_COLUMNS.filter((c) => !this.header.includes(c))
      if (missing.length > 0) return (this.refused = {line, field: missing.join(', '), message: `missing from the header; is this a dta-mpexp export?`})
      this.used = USED_COLUMNS.map((c) => [c, this.header.indexOf(c)] as [string, number]).filter(([, index]) => index >= 0)
      this.lastNeeded = Math.max(...this.used.map(([, index]) => index))
      return null
    }
    const cells = entry.record
    if (cells.length <= this.lastNeeded || cells.length > this.header.length) return {line, message: `has ${cells.length} fields; the header has ${this.header.length}`}
    const values: Record<string, string> = {}
    for (const [name, index] of this.used) values[name] = (cells[index] ?? '').trim()
    return {line, values}
  }

  /** After the last record: a file without even a header is empty. */
  end(): ParseProblem | null {
    return this.seenHeader ? null : {line: 1, message: 'the file is empty'}
  }
}

/**
 * Parses a whole export in memory (decoding each physical line on its own:
 * UTF-8 when valid, else Windows-1252). Files are read as a stream instead
 * (services/publish/export-files.ts, readDtaRows); this is the same reading at once.
 */
export function parseDtaMpexp(buffer: Buffer): DtaParse {
  const text = splitLines(buffer)
    .map((bytes) => decodeLine(bytes).text)
    .join('\n')
    .replace(/^\uFEFF/, '')
  let records: CsvRecord[]
  try {
    records = parseCsv(text, DTA_CSV) as unknown as CsvRecord[]
  } catch (error) {
    return {header: [], rows: [], problems: [csvProblem(error)]}
  }
  const reader = new DtaRowReader()
  const rows: DtaRow[] = []
  const problems: ParseProblem[] = []
  for (const record of records) {
    const read = reader.read(record)
    if (read === null) continue
    if ('values' in read) rows.push(read)
    else problems.push(read)
  }
  const empty = reader.end()
  if (empty) problems.push(empty)
  return {header: reader.header, rows, problems}
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
  const units = new DtaUnits(options)
  for (const row of rows) units.add(row)
  const byLine = new Map(rows.map((row) => [row.line, row]))
  return [...units.outcomes()].map((outcome): DtaOutcome => {
    if (outcome.kind !== 'vacancy') return outcome
    const built = units.vacancyOf(byLine.get(outcome.line)!) as {vacancy: Vacancy}
    return {...outcome, vacancy: built.vacancy}
  })
}

/** What is kept of one unit while its rows come: no row, only what decides its outcome (about 100 bytes). */
class UnitState extends TenancyFold {
  /** The unit's first row, which gives its details. */
  readonly line: number
  /** Ids that are not numbers (first row), else the first row whose dates are not dates. */
  early: ParseProblem | null = null
  /** What makes the first row unmappable (type, level, area, country), should the unit be vacant. */
  readonly details: ParseProblem | null
  availableFrom: string | null = null

  constructor(row: DtaRow, today: string) {
    super(today)
    this.line = row.line
    const v = row.values
    if (!/^\d+$/.test(v.property_id!) || !/^\d+$/.test(v.unit_id!)) this.early = {line: row.line, field: 'property_id / unit_id', message: `"${v.property_id}" / "${v.unit_id}" must be numbers`}
    const mapped = mapRow(row)
    this.details = 'message' in mapped ? mapped : null
  }
}

/**
 * The units of an export as its rows come, in any order: memory grows with the
 * units, not the rows, and a row is not kept. `outcomes()` then says what
 * each unit is, in the order units first appear; a vacancy is built from its
 * first row (`vacancyOf`), read again.
 */
export class DtaUnits {
  /** By `<property_id>.<unit_id>`. */
  private readonly units = new Map<string, UnitState>()
  private readonly vacantAt = new Map<number, string>()

  constructor(private readonly options: {mandant: number; today: string}) {}

  add(row: DtaRow): void {
    const key = dtaUnitKey(row)
    let unit = this.units.get(key)
    if (!unit) this.units.set(key, (unit = new UnitState(row, this.options.today)))
    if (unit.early) return
    try {
      const from = swissDate(row.values.utilisation_period_start ?? '')
      const to = swissDate(row.values.utilisation_period_end ?? '')
      if (from !== null || to !== null) unit.add({from, to})
    } catch (error) {
      unit.early = {line: row.line, field: 'utilisation_period_start / _end', message: (error as Error).message}
    }
  }

  /** Each unit: invalid (the first problem in the order ids, dates, vacancy, details), let, or vacant. */
  *outcomes(): Generator<{kind: 'vacancy'; line: number; reference: string} | {kind: 'let'; line: number; reference: string} | {kind: 'invalid'; line: number; reference: string; problem: ParseProblem}> {
    for (const [key, unit] of this.units) {
      const reference = `${this.options.mandant}.${key}`
      const {line, early} = unit
      if (early) {
        yield {kind: 'invalid', line: early.line, reference, problem: early}
        continue
      }
      const status = unit.status()
      if (!status.vacant) yield {kind: 'let', line, reference}
      else if (unit.details) yield {kind: 'invalid', line, reference, problem: unit.details}
      else {
        unit.availableFrom = status.availableFrom
        this.vacantAt.set(line, key)
        yield {kind: 'vacancy', line, reference}
      }
    }
  }

  /**
   * The vacancy whose unit begins on this row, once `outcomes()` found it
   * vacant; null for any other row. A row that no longer fits (the file
   * changed) is a problem.
   */
  vacancyOf(row: DtaRow): {reference: string; vacancy: Vacancy} | ParseProblem | null {
    const key = this.vacantAt.get(row.line)
    if (key === undefined) return null
    const reference = `${this.options.mandant}.${key}`
    if (dtaUnitKey(row) !== key) return {line: row.line, message: `holds unit ${this.options.mandant}.${dtaUnitKey(row)}, where ${reference} was`}
    const mapped = mapRow(row)
    if ('message' in mapped) return mapped
    return {reference, vacancy: dtaVacancy(reference, row.values, mapped.details, mapped.country, this.units.get(key)!.availableFrom)}
  }
}

/** A row's unit as a listing needs it (details, country), or why it cannot be mapped (type, level, area, country). */
function mapRow(row: DtaRow): {details: UnitDetails; country: string} | ParseProblem {
  const details = dtaDetails(row)
  if (isProblem(details)) return details
  const v = row.values
  const country = countryFromNumeric(v.unit_adress_country ?? '')
  if (!country) return {line: row.line, field: 'unit_adress_country', message: `"${v.unit_adress_country}" is not a known numeric country code (756 is CH)`}
  return {details, country}
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
