/**
 * A details file: an IDX 3.01 or dta-mpexp export of Immotop 2 whose records
 * give rooms, area, floor, type (and, for IDX, rent and description) of the
 * units that Immotop 2's REST views find vacant. The views carry none of
 * these. The format is detected from the content.
 *
 * Matching is by unit reference:
 * - IDX: ref_property.ref_house.ref_object is `<mandant>.<liegenschaft>.<objekt>`
 *   (numeric parts compared as numbers);
 * - dta-mpexp: property_id.unit_id is `<liegenschaft>.<objekt>`. The file has no
 *   mandant number, so a key that fits units of two mandants is ambiguous and
 *   is not applied (reported instead of guessed).
 */
import {dtaDetails, dtaUnitKey} from '../../core/dta-mpexp.js'
import {catchProblem, idxDetails, idxOffer, idxReference, isProblem, normalizeReference, parseIdxLine} from '../../core/idx.js'
import type {ParseProblem} from '../../core/parse-problem.js'
import type {UnitDetails} from '../../core/vacancy.js'
import {InvalidInputError} from '../../errors.js'
import {linesOf, readDtaRows, readHead, readLineBatches} from './export-files.js'

export type DetailsFormat = 'idx' | 'dta-mpexp'

export interface DetailsIndex {
  file: string
  format: DetailsFormat
  /** IDX: full reference → details. */
  byReference: Map<string, UnitDetails>
  /** dta-mpexp: `<liegenschaft>.<objekt>` → details. */
  byUnitKey: Map<string, UnitDetails>
  problems: ParseProblem[]
}

export type DetailsMatch = {kind: 'found'; details: UnitDetails} | {kind: 'none'} | {kind: 'ambiguous'; reason: string}

/** IDX when the first non-empty line is an IDX 3.01 record; dta-mpexp when it is a header with property_id and unit_id. */
export function detectFormat(buffer: Buffer): DetailsFormat | null {
  const head = buffer.subarray(0, 4096).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart()
  if (head.startsWith('IDX3.01#')) return 'idx'
  const firstLine = head.split(/\r?\n/, 1)[0] ?? ''
  if (firstLine.includes(';') && /(^|;)property_id(;|$)/.test(firstLine) && /(^|;)unit_id(;|$)/.test(firstLine)) return 'dta-mpexp'
  return null
}

export async function readDetailsFile(file: string): Promise<DetailsIndex> {
  const what = 'details file (immotop.detailsFile or --details)'
  const format = detectFormat(await readHead(file, what))
  if (!format) {
    throw new InvalidInputError('DETAILS_FORMAT', `${file} is neither an IDX 3.01 file nor a dta-mpexp export.`, 'Point immotop.detailsFile (or --details) at Immotop 2\'s IDX 3.01 portal export or its dta-mpexp master-data export.')
  }
  const index: DetailsIndex = {file, format, byReference: new Map(), byUnitKey: new Map(), problems: []}
  // Both read as a stream: only the details of each unit are kept.
  if (format === 'idx') {
    for await (const batch of readLineBatches(file, what)) {
      for (const {line, bytes} of linesOf(batch)) {
        const record = parseIdxLine(bytes, line)
        if (record === null) continue
        if (!('ends' in record)) {
          index.problems.push(record)
          continue
        }
        const offer = idxOffer(record)
        if (typeof offer !== 'string') index.problems.push(offer)
        if (offer !== 'RENT') continue
        const details = catchProblem(() => idxDetails(record, offer))
        if (isProblem(details)) index.problems.push(details)
        else index.byReference.set(normalizeReference(idxReference(record)), details)
      }
    }
    return index
  }
  for await (const item of readDtaRows(file, what)) {
    if ('broken' in item) {
      // Invalid CSV: nothing of the file is used.
      index.byUnitKey.clear()
      index.problems = [item.broken]
      break
    }
    if ('problem' in item) {
      index.problems.push(item.problem)
      continue
    }
    const key = dtaUnitKey(item.row)
    if (index.byUnitKey.has(key)) continue
    const details = dtaDetails(item.row)
    if ('message' in details) index.problems.push(details)
    else index.byUnitKey.set(key, details)
  }
  return index
}

/**
 * The details of one unit. `siblings` are the other unit references read
 * from REST: a dta-mpexp key that fits more than one of them is ambiguous.
 */
export function detailsFor(index: DetailsIndex, unitRef: string, siblings: readonly string[]): DetailsMatch {
  if (index.format === 'idx') {
    const details = index.byReference.get(unitRef)
    return details ? {kind: 'found', details} : {kind: 'none'}
  }
  const key = unitRef.split('.').slice(1).join('.')
  const details = index.byUnitKey.get(key)
  if (!details) return {kind: 'none'}
  const others = siblings.filter((s) => s !== unitRef && s.split('.').slice(1).join('.') === key)
  if (others.length > 0) {
    return {kind: 'ambiguous', reason: `${index.file}: dta-mpexp unit ${key} fits ${[unitRef, ...others].join(' and ')} (the export has no mandant number)`}
  }
  return {kind: 'found', details}
}
