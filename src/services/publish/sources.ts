/**
 * Reads vacancies from one of the three sources: Immotop 2's REST views (every
 * configured letting mandant, with details from a details file), a dta-mpexp
 * export, or an IDX 3.01 file. File problems are collected with file, line and
 * field; unless skipInvalid is set, any problem stops the run before anything
 * is published.
 */
import {configuredMandants, isLettingMandant} from '../../core/mandants.js'
import type {ImmotopRestClient} from '../../adapters/immotop-rest.js'
import {singleMandant, type AppConfig} from '../../config/schema.js'
import {missingGatedColumns} from '../../wire/immotop-wire.js'
import {DtaUnits} from '../../core/dta-mpexp.js'
import {idxAgency, idxReference, parseIdxLine, vacancyFromIdx} from '../../core/idx.js'
import type {ParseProblem} from '../../core/parse-problem.js'
import {managedBy} from '../../core/listing.js'
import {formatUnitRef, parseUnitRef} from '../../core/unit-ref.js'
import {mergeDetails, missingDetails, vacancyFromImmotop, type ImmotopUnitRows, type Vacancy, type VacancySource} from '../../core/vacancy.js'
import {AppError, ConfigError, IntegrityError, InvalidInputError, NotFoundError, UsageError, toAppError} from '../../errors.js'
import {detailsFor, readDetailsFile, type DetailsIndex} from './details-file.js'
import {linesOf, readDtaRows, readLineBatches} from './export-files.js'

export interface SourceSpec {
  kind: VacancySource
  /** For dta-mpexp and idx. */
  file?: string
  /** For rest: an IDX 3.01 or dta-mpexp export that gives the units' details. */
  detailsFile?: string
  /** Named references; empty means every vacancy of the source. */
  refs: string[]
  includeSale: boolean
  skipInvalid: boolean
  /** For rest: the mandants to read, or "all" letting mandants (mandanttypcode in mandantTypes). */
  mandants: number[] | 'all'
  mandantTypes: string[]
  /** The mandant of two-part references and of dta-mpexp units, when there is exactly one. */
  defaultMandant?: number
  /** For an empty IDX file (withdraw the feed): whose listings; needed when several IDX feeds publish. */
  agency?: string
  /** Withdrawing is asked for: an empty IDX file may then withdraw its feed. */
  prune: boolean
  today: string
}

/**
 * The source as the config names it, with a command's overrides: the one
 * place where publish and sync turn settings into what to read.
 */
export function sourceSpecFromConfig(
  config: AppConfig,
  overrides: {kind?: VacancySource; file?: string; detailsFile?: string; mandant?: number; refs?: string[]; includeSale?: boolean; skipInvalid?: boolean; prune?: boolean; agency?: string; today: string},
): SourceSpec {
  const configured = config.immotop.mandant
  return {
    kind: overrides.kind ?? config.publish.source,
    file: overrides.file ?? config.publish.file,
    detailsFile: overrides.detailsFile ?? config.immotop.detailsFile,
    refs: overrides.refs ?? [],
    includeSale: overrides.includeSale || config.publish.includeSale,
    skipInvalid: overrides.skipInvalid ?? false,
    mandants: overrides.mandant !== undefined ? [overrides.mandant] : configuredMandants(configured),
    mandantTypes: config.immotop.mandantTypes,
    defaultMandant: overrides.mandant ?? singleMandant(configured),
    agency: overrides.agency,
    prune: overrides.prune ?? false,
    today: overrides.today,
  }
}

export type VacancyEntry = {reference: string; vacancy: Vacancy; line?: number}

export interface SourceResult {
  source: VacancySource
  vacancies: VacancyEntry[]
  /**
   * Large files (IDX): the vacancies are not held but read again, as a stream,
   * when published; `vacancies` stays empty and `vacantRefs` names them in order.
   */
  stream?: () => AsyncIterable<VacancyEntry>
  vacantRefs?: string[]
  /** Records deliberately not published (SALE, not vacant, deactivated), with the reason. */
  skipped: Array<{reference: string; reason: string; line?: number}>
  /** Records that could not be read; only returned with skipInvalid. */
  invalid: Array<{reference: string | null; problem: string; line?: number}>
  /** Named references that failed for a reason of their own (not vacant, unknown unit). */
  failed: Array<{reference: string; error: AppError}>
  /**
   * The listings this read speaks for, which prune may withdraw when they are
   * no longer vacant: same source (and IDX feed), and for REST a mandant that
   * was read.
   */
  owns: (listing: {reference_number: string; managed_by: string | null}) => boolean
  /** A listing this source owns but whose unit its read could not judge (prune keeps it, as a failed item with this error). */
  unjudged?: (listing: {reference_number: string}) => AppError | null
  /** REST vacancies published without (some) details, and the listing fields they lack. */
  withoutDetails: Array<{reference: string; missing: string[]; reason?: string}>
  /** REST: the mandants read. */
  mandants: number[]
  /** IDX: the file holds no record, which in IDX (a full load) means "withdraw every listing of this feed". */
  emptyFeed: boolean
}

const describe = (file: string, p: ParseProblem) => `${file}:${p.line}: ${p.field ? `${p.field} ` : ''}${p.message}`

function stopOnProblems(file: string, problems: ParseProblem[], skipInvalid: boolean): void {
  if (problems.length === 0 || skipInvalid) return
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : ''
  throw new InvalidInputError(
    'INVALID_RECORD',
    `${describe(file, problems[0]!)}${more}. Nothing was published.`,
    'Correct the file, or pass --skip-invalid to publish the valid records and list the others.',
  )
}

function emptyResult(kind: VacancySource): SourceResult {
  return {source: kind, vacancies: [], skipped: [], invalid: [], failed: [], owns: () => false, withoutDetails: [], mandants: [], emptyFeed: false}
}

export async function readVacancies(spec: SourceSpec, deps: {immotop?: ImmotopRestClient}): Promise<SourceResult> {
  if (spec.kind === 'rest') return readRest(spec, deps.immotop!)
  return spec.kind === 'idx' ? readIdxFile(spec) : readDtaFile(spec)
}

/**
 * The line where each record key (agency_id + reference) first appears. Kept
 * per agency, keyed by the reference string itself, which the list of vacant
 * references shares: a feed keeps about 80 bytes per record (a 500 MB feed
 * has some 850,000 records).
 */
class FirstLines {
  private readonly byAgency = new Map<string, Map<string, number>>()

  get(agency: string, reference: string): number | undefined {
    return this.byAgency.get(agency)?.get(reference)
  }

  set(agency: string, reference: string, line: number): void {
    let lines = this.byAgency.get(agency)
    if (!lines) this.byAgency.set(agency, (lines = new Map()))
    lines.set(reference, line)
  }
}

/** What the first pass over an IDX file gathers: no vacancy, only what checks and orders them. */
interface IdxFirstPass {
  problems: ParseProblem[]
  found: Map<string, {line?: number}>
  agencies: Set<string>
  firstLines: FirstLines
  vacantRefs: string[]
  skipped: SourceResult['skipped']
  records: number
  /** Records whose key an earlier line had (only --skip-invalid goes on with them). */
  repeats: number
}

/** One line of the first pass: checked, its key noted, and the reference of a vacancy kept (not the vacancy). */
function checkIdxLine(pass: IdxFirstPass, spec: SourceSpec, bytes: Buffer, line: number): void {
  const record = parseIdxLine(bytes, line)
  if (record === null) return
  if (!('ends' in record)) {
    pass.problems.push(record)
    return
  }
  pass.records++
  const agency = idxAgency(record)
  const reference = idxReference(record)
  pass.agencies.add(agency)
  const first = pass.firstLines.get(agency, reference)
  if (first !== undefined) {
    pass.problems.push({line: record.line, field: 'agency_id + ref_property.ref_house.ref_object', message: `repeats the record key of line ${first}; each unit appears once in a feed`})
    pass.repeats++
    return
  }
  pass.firstLines.set(agency, reference, record.line)
  // The description cannot make a record invalid: the second pass writes it.
  const outcome = vacancyFromIdx(record, {includeSale: spec.includeSale, today: spec.today, describe: false})
  // Only named references need looking up (memory stays lower for a whole feed).
  if (spec.refs.length > 0) pass.found.set(reference, {line: record.line})
  // The same string as the key's: one copy per record.
  if (outcome.kind === 'vacancy') pass.vacantRefs.push(reference)
  else if (outcome.kind === 'skipped') pass.skipped.push({reference: outcome.reference, reason: outcome.reason, line: record.line})
  else pass.problems.push(outcome.problem)
}

async function readIdxFile(spec: SourceSpec): Promise<SourceResult> {
  const result = emptyResult('idx')
  const file = spec.file!
  const pass: IdxFirstPass = {problems: [], found: new Map(), agencies: new Set(), firstLines: new FirstLines(), vacantRefs: [], skipped: result.skipped, records: 0, repeats: 0}
  const {problems, found, agencies, firstLines, vacantRefs} = pass
  // First pass, as a stream: check every record and note the vacant ones; no vacancy is held (the second pass reads them).
  for await (const batch of readLineBatches(file)) {
    for (const {line, bytes} of linesOf(batch)) checkIdxLine(pass, spec, bytes, line)
  }
  const records = pass.records
  result.vacantRefs = vacantRefs
  // Without repeated keys every record is its key's first: the second pass need not look each one up.
  const firsts = pass.repeats > 0 ? firstLines : null
  result.stream = () => idxVacancies(file, spec, firsts, result.vacantRefs!, spec.refs.length > 0)
  result.emptyFeed = records === 0 && problems.length === 0
  if (result.emptyFeed && !spec.prune) {
    throw new InvalidInputError(
      'EMPTY_FEED',
      `${file} holds no IDX 3.01 record. In IDX an empty file means "withdraw every listing of this feed"; nothing was changed.`,
      'If that is meant, run publish --from-idx with --all --prune (it asks first; --agency names the feed when several publish). Otherwise check the export.',
    )
  }
  if (result.emptyFeed && spec.agency !== undefined) agencies.add(spec.agency)
  // Per spec the key is agency_id + refs: each agency's feed owns its own listings.
  const owners = new Set([...agencies].map((agency) => managedBy('idx', agency || undefined)))
  result.owns = (listing) => owners.has(listing.managed_by ?? '')
  stopOnProblems(file, problems, spec.skipInvalid)
  result.invalid = problems.map((p) => ({reference: null, problem: describe(file, p), line: p.line}))
  keepNamed(result, spec.refs, found, file, 'An IDX reference is ref_property.ref_house.ref_object (fields 6 to 8).')
  return result
}

/**
 * The second pass over an IDX file: the vacancies the first pass found, in
 * its order, built again one at a time (`inFirstPassOrder` refuses a file
 * that changed between the two passes).
 */
function idxVacancies(file: string, spec: SourceSpec, firstLines: FirstLines | null, expected: string[], named: boolean): AsyncGenerator<VacancyEntry> {
  async function* built(): AsyncGenerator<VacancyEntry & {line: number}> {
    for await (const batch of readLineBatches(file)) {
      for (const {line, bytes} of linesOf(batch)) {
        const record = parseIdxLine(bytes, line)
        // A repeat the first pass skipped is skipped again; one the file gained since breaks the order check.
        if (record === null || !('ends' in record) || (firstLines && firstLines.get(idxAgency(record), idxReference(record)) !== line)) continue
        const outcome = vacancyFromIdx(record, {includeSale: spec.includeSale, today: spec.today})
        if (outcome.kind === 'vacancy') yield {reference: outcome.reference, vacancy: outcome.vacancy, line}
      }
    }
  }
  return inFirstPassOrder(file, built(), expected, named)
}

/**
 * The vacancies a second pass built, checked against the first pass: the
 * same references in the same order (only the named ones, if `named`). A file
 * that changed between the two passes is refused before the first vacancy
 * that differs is published.
 */
async function* inFirstPassOrder(file: string, built: AsyncIterable<VacancyEntry & {line: number}>, expected: string[], named: boolean): AsyncGenerator<VacancyEntry> {
  // Without named references every vacancy is expected: no second set of all of them.
  const wanted = named ? new Set(expected) : null
  let next = 0
  for await (const entry of built) {
    if (wanted && !wanted.has(entry.reference)) continue
    if (entry.reference !== expected[next]) throw changedWhileReading(file, entry.line)
    next++
    yield entry
  }
  if (next !== expected.length) throw changedWhileReading(file, null)
}

function changedWhileReading(file: string, line: number | null): InvalidInputError {
  return new InvalidInputError('INPUT_CHANGED', `${file} changed while it was being published${line ? ` (line ${line})` : ''}; what was published before stays, nothing after it was sent.`, 'Publish again once the export is complete (write it aside and move it in).')
}

async function readDtaFile(spec: SourceSpec): Promise<SourceResult> {
  const result = emptyResult('dta-mpexp')
  const file = spec.file!
  const mandant = spec.defaultMandant
  if (mandant === undefined) {
    throw new UsageError('MANDANT_NEEDED', `${file}: a dta-mpexp export carries no mandant number, and immotop.mandant names more than one.`, 'Pass --mandant <nr> for the mandant this export belongs to, or use the file as a details file with REST (--details).')
  }
  // First pass, as a stream: every row checked, each unit reduced to what decides its outcome; no row is kept.
  const units = new DtaUnits({mandant, today: spec.today})
  let problems: ParseProblem[] = []
  let rows = 0
  let broken = false
  for await (const item of readDtaRows(file)) {
    if ('broken' in item) {
      problems = [item.broken]
      broken = true
      break
    }
    if ('problem' in item) problems.push(item.problem)
    else {
      rows++
      units.add(item.row)
    }
  }
  const found = new Map<string, {line?: number}>()
  const vacantRefs: string[] = []
  if (!broken) {
    for (const outcome of units.outcomes()) {
      // Only named references need looking up.
      if (spec.refs.length > 0) found.set(outcome.reference, {line: outcome.line})
      if (outcome.kind === 'vacancy') vacantRefs.push(outcome.reference)
      else if (outcome.kind === 'let') result.skipped.push({reference: outcome.reference, reason: 'not vacant: it has a current tenancy without end, or a successor', line: outcome.line})
      else problems.push(outcome.problem)
    }
  }
  if (rows === 0 && problems.length === 0) problems.push({line: 2, message: 'the file holds a header but no unit'})
  result.vacantRefs = vacantRefs
  result.stream = () => dtaVacancies(file, units, result.vacantRefs!, spec.refs.length > 0)
  const owner = managedBy('dta-mpexp')
  const prefix = `${mandant}.`
  result.owns = (listing) => listing.managed_by === owner && listing.reference_number.startsWith(prefix)
  stopOnProblems(file, problems, spec.skipInvalid)
  result.invalid = problems.map((p) => ({reference: null, problem: describe(file, p), line: p.line}))
  const wanted = spec.refs.map((r) => formatUnitRef(parseUnitRef(r, mandant)))
  keepNamed(result, wanted, found, file, 'A dta-mpexp unit is <mandant>.<property_id>.<unit_id>.')
  return result
}

/**
 * The second pass over a dta-mpexp export: each vacant unit built from its
 * first row, in the first pass's order (`inFirstPassOrder`); a row that no
 * longer fits its unit means the file changed.
 */
function dtaVacancies(file: string, units: DtaUnits, expected: string[], named: boolean): AsyncGenerator<VacancyEntry> {
  async function* built(): AsyncGenerator<VacancyEntry & {line: number}> {
    for await (const item of readDtaRows(file)) {
      if (!('row' in item)) continue
      const vacancy = units.vacancyOf(item.row)
      if (vacancy === null) continue
      if ('message' in vacancy) throw changedWhileReading(file, item.row.line)
      yield {...vacancy, line: item.row.line}
    }
  }
  return inFirstPassOrder(file, built(), expected, named)
}

/** With named references: every one must be in the file, and only they are kept. */
function keepNamed(result: SourceResult, wanted: string[], found: Map<string, unknown>, file: string, fix: string): void {
  if (wanted.length === 0) return
  const unknown = wanted.find((ref) => !found.has(ref))
  if (unknown) throw new NotFoundError('UNKNOWN_REFERENCE', `${file} has no record with reference ${unknown}.`, fix)
  result.vacancies = result.vacancies.filter((v) => wanted.includes(v.reference))
  if (result.vacantRefs) result.vacantRefs = result.vacantRefs.filter((reference) => wanted.includes(reference))
  result.skipped = result.skipped.filter((s) => wanted.includes(s.reference))
}

/** The mandants to read: the configured ones, or every mandant of a letting type. */
export async function resolveMandants(immotop: ImmotopRestClient, mandants: number[] | 'all', types: string[]): Promise<number[]> {
  if (mandants !== 'all') return mandants
  const letting = (await immotop.mandants()).filter((m) => isLettingMandant(m, types)).map((m) => m.nr)
  if (letting.length === 0) {
    throw new ConfigError('NO_LETTING_MANDANT', `Immotop 2 has no mandant of type ${types.join(', ')} (immotop.mandant is "all").`, 'Set immotop.mandant to the mandant numbers to publish, or immotop.mandantTypes to the types that let (V Vermietung, G Genossenschaft).')
  }
  return letting.sort((a, b) => a - b)
}

/** Objekt rows without gueltigvon come from a server older than 2.7.19: say so once, naming the version. */
function assertObjektColumns(rows: ImmotopUnitRows[]): void {
  const first = rows[0]
  if (!first) return
  const missing = missingGatedColumns('GetDmsObjekt', first.objekt as Record<string, unknown>).filter((m) => m.column === 'gueltigvon' || m.column === 'gueltigbis')
  if (missing.length === 0) return
  throw new IntegrityError(
    'IMMOTOP_TOO_OLD',
    `Immotop 2 answers GetDmsObjekt without ${missing.map((m) => m.column).join(' and ')}, columns that Immotop 2 has since version ${missing[0]!.version}; without them a deactivated unit cannot be told from a vacant one.`,
    `Ask W&W to update Immotop 2 to ${missing[0]!.version} or newer (melon's interface requires the current version); \`melon-immotop doctor\` shows which columns the server has.`,
  )
}

/**
 * The units of `result.mandants`. What the REST user may not see shows as
 * nothing, so nothing it did not see is taken as gone: a unit whose
 * Liegenschaft is not listed is a failed item, and the listings of a mandant
 * read without any unit are `unjudged` (prune keeps them). Units in Immotop 2
 * are deactivated (gueltigbis), not deleted.
 */
async function readMandants(immotop: ImmotopRestClient, result: SourceResult): Promise<ImmotopUnitRows[]> {
  const rows: ImmotopUnitRows[] = []
  const blind = new Set<number>()
  for (const mandant of result.mandants) {
    const read = await immotop.mandantRead(mandant)
    if (read.units.length === 0 && read.withoutLiegenschaft.length === 0) blind.add(mandant)
    rows.push(...read.units)
    for (const objekt of read.withoutLiegenschaft) {
      const reference = formatUnitRef({mandant: objekt.mandant_nr, liegenschaft: objekt.liegenschaft_nr, objekt: objekt.nr})
      result.failed.push({
        reference,
        error: new IntegrityError(
          'UNIT_WITHOUT_LIEGENSCHAFT',
          `Immotop 2 answered GetDmsObjekt with unit ${reference}, but GetDmsLiegenschaft has no Liegenschaft ${objekt.liegenschaft_nr} of mandant ${objekt.mandant_nr}; the unit was not published, and its listing is left as it is.`,
          'Check that the REST user (immotop.user) may read every Liegenschaft of this mandant in Immotop 2 (W&W sets the rights); then publish again.',
        ),
      })
    }
  }
  result.unjudged = (listing) => {
    const mandant = Number(listing.reference_number.split('.')[0])
    if (!blind.has(mandant)) return null
    return new IntegrityError(
      'MANDANT_READ_EMPTY',
      `Immotop 2 answered GetDmsObjekt without any unit of mandant ${mandant}; the listing ${listing.reference_number} was not withdrawn (a read that shows no unit is taken for missing rights, not for every unit gone).`,
      `Check that the REST user (immotop.user) may read mandant ${mandant} in Immotop 2 (W&W sets the rights). If the mandant really has no unit any more, withdraw its listings with \`melon-immotop unpublish\`.`,
    )
  }
  return rows
}

async function readRest(spec: SourceSpec, immotop: ImmotopRestClient): Promise<SourceResult> {
  const result = emptyResult('rest')
  const details = spec.detailsFile ? await readDetailsFile(spec.detailsFile) : null
  if (details) {
    stopOnProblems(details.file, details.problems, spec.skipInvalid)
    result.invalid = details.problems.map((p) => ({reference: null, problem: `details: ${describe(details.file, p)}`, line: p.line}))
  }
  const rows: ImmotopUnitRows[] = []
  if (spec.refs.length > 0) {
    for (const text of spec.refs) {
      const ref = parseUnitRef(text, spec.defaultMandant)
      try {
        rows.push(await immotop.unitRows(ref))
      } catch (error) {
        result.failed.push({reference: formatUnitRef(ref), error: toAppError(error)})
      }
    }
    result.mandants = [...new Set(rows.map((r) => r.objekt.mandant_nr))]
  } else {
    result.mandants = await resolveMandants(immotop, spec.mandants, spec.mandantTypes)
    rows.push(...(await readMandants(immotop, result)))
  }
  assertObjektColumns(rows)
  const owner = managedBy('rest')
  const read = new Set(result.mandants)
  result.owns = (listing) => listing.managed_by === owner && read.has(Number(listing.reference_number.split('.')[0]))
  const named = spec.refs.length > 0
  const references = rows.map((r) => formatUnitRef({mandant: r.objekt.mandant_nr, liegenschaft: r.objekt.liegenschaft_nr, objekt: r.objekt.nr}))
  rows.forEach((unit, index) => {
    const reference = references[index]!
    try {
      const vacancy = withDetails(vacancyFromImmotop(unit, spec.today), details, references, result)
      result.vacancies.push({reference, vacancy})
    } catch (error) {
      const app = toAppError(error)
      if (!named && app.code === 'UNIT_NOT_VACANT') result.skipped.push({reference, reason: 'not vacant'})
      else if (!named && app.code === 'UNIT_INACTIVE') result.skipped.push({reference, reason: 'deactivated in Immotop 2 (Objekt gültig bis is past)'})
      else result.failed.push({reference, error: app})
    }
  })
  return result
}

function withDetails(vacancy: Vacancy, index: DetailsIndex | null, references: readonly string[], result: SourceResult): Vacancy {
  const match = index ? detailsFor(index, vacancy.unitRef, references) : ({kind: 'none'} as const)
  const merged = match.kind === 'found' ? mergeDetails(vacancy, match.details) : vacancy
  // A described unit may rightly have no rooms (a parking space); only a rent the file cannot give (dta-mpexp) is missing then.
  const missing = match.kind === 'found' ? missingDetails(merged).filter((field) => field === 'rent') : missingDetails(merged)
  if (missing.length > 0) result.withoutDetails.push({reference: vacancy.unitRef, missing, ...(match.kind === 'ambiguous' ? {reason: match.reason} : {})})
  return merged
}
