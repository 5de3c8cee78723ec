/**
 * Reads vacancies from one of the three sources: Immotop 2's REST views, a
 * dta-mpexp export, or an IDX 3.01 file. File problems are collected with
 * file, line and field; unless skipInvalid is set, any problem stops the run
 * before anything is published.
 */
import {readFile} from 'node:fs/promises'
import type {ImmotopRestClient} from '../adapters/immotop-rest.js'
import {parseDtaMpexp, vacanciesFromDta} from '../core/dta-mpexp.js'
import {parseIdx, vacancyFromIdx, type ParseProblem} from '../core/idx.js'
import {formatUnitRef, parseUnitRef} from '../core/unit-ref.js'
import {vacancyFromImmotop, type Vacancy, type VacancySource} from '../core/vacancy.js'
import {AppError, InvalidInputError, NotFoundError, UsageError, toAppError} from '../errors.js'

export interface SourceSpec {
  kind: VacancySource
  /** For dta-mpexp and idx. */
  file?: string
  /** Named references; empty means every vacancy of the source. */
  refs: string[]
  includeSale: boolean
  skipInvalid: boolean
  mandant: number
  today: string
}

export interface SourceResult {
  source: VacancySource
  vacancies: Array<{reference: string; vacancy: Vacancy; line?: number}>
  /** Records deliberately not published (SALE, not vacant), with the reason. */
  skipped: Array<{reference: string; reason: string; line?: number}>
  /** Records that could not be read; only returned with skipInvalid. */
  invalid: Array<{reference: string | null; problem: string; line?: number}>
  /** Named references that failed for a reason of their own (not vacant, unknown unit). */
  failed: Array<{reference: string; error: AppError}>
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

async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError('INPUT_UNREADABLE', `Cannot read ${file} (${code === 'ENOENT' ? 'no such file' : code ?? 'error'}).`, 'Check the path of the export file.')
  }
}

export async function readVacancies(spec: SourceSpec, deps: {immotop?: ImmotopRestClient}): Promise<SourceResult> {
  const result: SourceResult = {source: spec.kind, vacancies: [], skipped: [], invalid: [], failed: []}
  if (spec.kind === 'rest') return readRest(spec, deps.immotop!, result)
  const file = spec.file!
  const buffer = await readInput(file)
  const problems: ParseProblem[] = []
  const found = new Map<string, {line?: number}>()
  if (spec.kind === 'idx') {
    const parsed = parseIdx(buffer)
    problems.push(...parsed.problems)
    for (const record of parsed.records) {
      const outcome = vacancyFromIdx(record, {includeSale: spec.includeSale, today: spec.today})
      found.set(outcome.reference, {line: record.line})
      if (outcome.kind === 'vacancy') result.vacancies.push({reference: outcome.reference, vacancy: outcome.vacancy, line: record.line})
      else if (outcome.kind === 'skipped') result.skipped.push({reference: outcome.reference, reason: outcome.reason, line: record.line})
      else problems.push(outcome.problem)
    }
    if (parsed.records.length === 0 && parsed.problems.length === 0) problems.push({line: 1, message: 'the file holds no IDX 3.01 record'})
  } else {
    const parsed = parseDtaMpexp(buffer)
    problems.push(...parsed.problems)
    for (const outcome of vacanciesFromDta(parsed.rows, {mandant: spec.mandant, today: spec.today})) {
      found.set(outcome.reference, {line: outcome.line})
      if (outcome.kind === 'vacancy') result.vacancies.push({reference: outcome.reference, vacancy: outcome.vacancy, line: outcome.line})
      else if (outcome.kind === 'let') result.skipped.push({reference: outcome.reference, reason: 'not vacant: it has a current tenancy without end, or a successor', line: outcome.line})
      else problems.push(outcome.problem)
    }
    if (parsed.rows.length === 0 && parsed.problems.length === 0) problems.push({line: 2, message: 'the file holds a header but no unit'})
  }
  stopOnProblems(file, problems, spec.skipInvalid)
  result.invalid = problems.map((p) => ({reference: null, problem: describe(file, p), line: p.line}))
  if (spec.refs.length > 0) {
    const wanted = spec.kind === 'dta-mpexp' ? spec.refs.map((r) => formatUnitRef(parseUnitRef(r, spec.mandant))) : spec.refs
    const unknown = wanted.find((ref) => !found.has(ref))
    if (unknown) {
      throw new NotFoundError('UNKNOWN_REFERENCE', `${file} has no record with reference ${unknown}.`, spec.kind === 'idx' ? 'An IDX reference is ref_property.ref_house.ref_object (fields 6 to 8).' : 'A dta-mpexp unit is <mandant>.<property_id>.<unit_id>.')
    }
    const keep = (ref: string) => wanted.includes(ref)
    result.vacancies = result.vacancies.filter((v) => keep(v.reference))
    result.skipped = result.skipped.filter((s) => keep(s.reference))
  }
  return result
}

async function readRest(spec: SourceSpec, immotop: ImmotopRestClient, result: SourceResult): Promise<SourceResult> {
  if (spec.refs.length > 0) {
    for (const text of spec.refs) {
      const ref = parseUnitRef(text, spec.mandant)
      const reference = formatUnitRef(ref)
      try {
        result.vacancies.push({reference, vacancy: vacancyFromImmotop(await immotop.unitRows(ref), spec.today)})
      } catch (error) {
        result.failed.push({reference, error: toAppError(error)})
      }
    }
    return result
  }
  for (const rows of await immotop.mandantUnits(spec.mandant)) {
    const reference = formatUnitRef({mandant: rows.objekt.mandant_nr, liegenschaft: rows.objekt.liegenschaft_nr, objekt: rows.objekt.nr})
    try {
      result.vacancies.push({reference, vacancy: vacancyFromImmotop(rows, spec.today)})
    } catch (error) {
      const app = toAppError(error)
      if (app.code === 'UNIT_NOT_VACANT') result.skipped.push({reference, reason: 'not vacant'})
      else result.failed.push({reference, error: app})
    }
  }
  return result
}
