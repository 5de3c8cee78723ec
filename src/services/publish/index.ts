/**
 * Publish vacancies to melon and keep each listing in step with its unit:
 * created, updated (only what changed), unchanged (no write at all), and, with
 * prune, withdrawn when the unit is no longer vacant. Listings the tool did
 * not create are never withdrawn by prune.
 */
import type {Ledger} from '../../state/ledger.js'
import {createHash, randomUUID} from 'node:crypto'
import type {MelonClient} from '../../adapters/melon-client.js'
import type {Listing, ListingInput} from '../../wire/melon-wire.js'
import {changedListingFields, listingFromVacancy, managedBy} from '../../core/listing.js'
import type {VacancySource} from '../../core/vacancy.js'
import {swissToday} from '../../core/swiss-date.js'
import {UsageError, toAppError} from '../../errors.js'
import type {ImmotopRestClient} from '../../adapters/immotop-rest.js'
import {readVacancies, type SourceResult, type SourceSpec} from './sources.js'

export type PublishAction = 'created' | 'updated' | 'unchanged' | 'dry-run' | 'failed' | 'skipped' | 'withdrawn' | 'would-withdraw'

export interface PublishItem {
  reference: string
  action: PublishAction
  line?: number
  changedFields?: string[]
  listing?: ListingInput
  reason?: string
  error?: {code: string; message: string; fix: string; exitCode: number}
}

export interface PublishReport {
  source: VacancySource
  /** Nothing was sent: the items say what would have been. */
  dryRun: boolean
  items: PublishItem[]
  /** A dry run counts what it would send (`dryRun`) and withdraw (`wouldWithdraw`); created, updated and withdrawn stay 0. */
  summary: Record<'created' | 'updated' | 'unchanged' | 'failed' | 'skipped' | 'withdrawn' | 'dryRun' | 'wouldWithdraw', number>
  /** REST vacancies published without some details: which fields, and the setting that would add them. */
  details: {units: string[]; fields: string[]; fix: string; ambiguous: string[]} | null
  /** REST: the mandants read. */
  mandants: number[]
}

/** Today in Switzerland, for the vacancy rules. */
/** What of a publish goes into the ledger, for `history`. */
export const RECORDED: PublishAction[] = ['created', 'updated', 'withdrawn', 'failed']

/** Records one published item in the ledger (its action, and the changed fields, the reason or the error code). */
export function recordPublication(ledger: Pick<Ledger, 'recordPublication'>, source: string, item: PublishItem): void {
  ledger.recordPublication(item.reference, source, item.action, item.action === 'failed' ? (item.error?.code ?? null) : item.action === 'created' ? null : (item.changedFields?.join(', ') ?? item.reason ?? null))
}

export function today(now = new Date()): string {
  return swissToday(now)
}

/**
 * An empty IDX file names no agency. Without --agency, its feed is the one
 * IDX agency that owns listings; with several, the operator has to say which.
 */
function emptyFeedOwner(input: SourceResult, listings: Listing[]): SourceResult['owns'] {
  const named = listings.filter((l) => input.owns(l))
  if (named.length > 0) return input.owns
  const feeds = [...new Set(listings.map((l) => l.managed_by ?? '').filter((owner) => owner.startsWith(`${managedBy('idx')}:`)))]
  if (feeds.length > 1) {
    const agencies = feeds.map((owner) => owner.slice(managedBy('idx').length + 1))
    throw new UsageError('AGENCY_NEEDED', `The IDX file is empty and names no agency; listings of ${feeds.length} IDX feeds exist (agency ${agencies.join(', ')}).`, `Pass --agency <agency_id> to say whose listings to withdraw, e.g. --agency ${agencies[0]}.`)
  }
  return (listing) => feeds.includes(listing.managed_by ?? '')
}

/** The note for units published without details (REST has no rooms, area, type or rent). */
function detailsNote(input: SourceResult, published: Set<string>): PublishReport['details'] {
  const lacking = input.withoutDetails.filter((w) => published.has(w.reference))
  if (lacking.length === 0) return null
  return {
    units: lacking.map((w) => w.reference),
    fields: [...new Set(lacking.flatMap((w) => w.missing))],
    fix: 'Set immotop.detailsFile (or pass --details) to Immotop 2\'s IDX 3.01 or dta-mpexp export: its records give rooms, area, floor, type and rent.',
    ambiguous: lacking.flatMap((w) => (w.reason ? [w.reason] : [])),
  }
}

export interface PublishOptions {
  dryRun: boolean
  prune: boolean
  /** Asked before anything is withdrawn; resolves false to keep everything. */
  confirmPrune?: (references: string[]) => Promise<boolean>
  onProgress?: (done: number, total: number, reference: string) => void
  /** Each item as it is done (awaited: a slow reader holds the publish back instead of filling memory). */
  onItem?: (item: PublishItem) => void | Promise<void>
  /** false: the report carries no items, only the counts (onItem had them). */
  keepItems?: boolean
}

export async function publishVacancies(melon: MelonClient, input: SourceResult, options: PublishOptions): Promise<PublishReport> {
  // Which references went out matters only for the note on REST units without details.
  const tally = new Tally(options, input.withoutDetails.length > 0)
  for (const failed of input.failed) await tally.add({reference: failed.reference, action: 'failed', error: failed.error.toJSON()})
  for (const skipped of input.skipped) await tally.add({reference: skipped.reference, action: 'skipped', reason: skipped.reason, line: skipped.line})
  for (const invalid of input.invalid) await tally.add({reference: invalid.reference ?? `line ${invalid.line}`, action: 'skipped', reason: invalid.problem, line: invalid.line})

  // One paged read instead of a GET per unit when there is more than one.
  const total = input.vacantRefs?.length ?? input.vacancies.length
  let known: Map<string, Listing> | null = null
  const needAll = total > 1 || options.prune
  if (needAll && !(options.dryRun && !options.prune)) known = new Map((await melon.listListings()).map((l) => [l.reference_number, l]))

  await publishEach(melon, input, known, tally, total, options)
  if (options.prune && known) for (const item of await prune(melon, input, [...known.values()], tally.failed, options)) await tally.add(item)
  return {
    source: input.source,
    dryRun: options.dryRun,
    details: detailsNote(input, tally.published),
    mandants: input.mandants,
    items: tally.items,
    summary: tally.summary,
  }
}

/** Every vacancy in turn (held, or read again as a stream), each item counted as it is done. */
async function publishEach(melon: MelonClient, input: SourceResult, known: Map<string, Listing> | null, tally: Tally, total: number, options: PublishOptions): Promise<void> {
  let done = 0
  for await (const {reference, vacancy, line} of input.stream ? input.stream() : input.vacancies) {
    options.onProgress?.(done++, total, reference)
    try {
      const current = known ? (known.get(reference) ?? null) : options.dryRun ? null : await melon.getListing(reference)
      await tally.add({reference, line, ...(await publishOne(melon, listingFromVacancy(vacancy, current), current, options.dryRun))})
    } catch (error) {
      await tally.add({reference, action: 'failed', line, error: toAppError(error).toJSON()})
    }
  }
  options.onProgress?.(done, total, '')
}

/** Which count of the summary an item adds to. */
const SUMMARY_KEY: Record<PublishAction, keyof PublishReport['summary']> = {
  created: 'created',
  updated: 'updated',
  unchanged: 'unchanged',
  failed: 'failed',
  skipped: 'skipped',
  withdrawn: 'withdrawn',
  'dry-run': 'dryRun',
  'would-withdraw': 'wouldWithdraw',
}

/**
 * The items of a publish as they come: counted, handed to `onItem` at once,
 * and kept for the report unless `keepItems` is false (a large feed is
 * reported item by item and not held).
 */
class Tally {
  readonly items: PublishItem[] = []
  readonly summary: PublishReport['summary'] = {created: 0, updated: 0, unchanged: 0, failed: 0, skipped: 0, withdrawn: 0, dryRun: 0, wouldWithdraw: 0}
  readonly failed = new Set<string>()
  readonly published = new Set<string>()

  constructor(
    private readonly options: Pick<PublishOptions, 'onItem' | 'keepItems'>,
    private readonly trackPublished: boolean,
  ) {}

  async add(item: PublishItem): Promise<void> {
    const counted = SUMMARY_KEY[item.action]
    if (counted) this.summary[counted]++
    if (item.action === 'failed') this.failed.add(item.reference)
    if (this.trackPublished && ['created', 'updated', 'unchanged', 'dry-run'].includes(item.action)) this.published.add(item.reference)
    if (this.options.keepItems !== false) this.items.push(item)
    await this.options.onItem?.(item)
  }
}

/** One listing: shown (dry run), left alone (unchanged: no write at all), or created or updated with an idempotency key. */
async function publishOne(melon: MelonClient, listing: ListingInput, current: Listing | null, dryRun: boolean): Promise<Omit<PublishItem, 'reference' | 'line'>> {
  const changedFields = current ? changedListingFields(listing, current) : Object.keys(listing)
  if (dryRun) return {action: 'dry-run', listing, changedFields}
  if (current && changedFields.length === 0) return {action: 'unchanged', listing, changedFields}
  // The key names this one intent, kept by its own retries: this content over the listing melon had when we
  // read it. Where melon had none, that state repeats (after a withdrawal the same content meets "absent"
  // again, and melon would replay the first create without writing), so the intent gets a key of its own. A
  // later run never repeats such a create blindly: if it landed, that run reads the listing and updates it.
  const key = createHash('sha256')
    .update(JSON.stringify(listing))
    .update(current ? `\n${current.updated_at}` : `\nabsent\n${randomUUID()}`)
    .digest('hex')
  const {created} = await melon.upsertListing(listing, `publish-${key.slice(0, 32)}`)
  return {action: created ? 'created' : 'updated', listing, changedFields}
}

/**
 * Withdraws the listings this source owns whose unit is no longer vacant
 * (never one that failed to publish this time, nor one whose unit the read
 * could not judge), after the confirmation.
 */
async function prune(melon: MelonClient, input: SourceResult, listings: Listing[], failedRefs: Set<string>, options: PublishOptions): Promise<PublishItem[]> {
  const owns = input.emptyFeed ? emptyFeedOwner(input, listings) : input.owns
  const vacant = new Set(input.vacantRefs ?? input.vacancies.map((v) => v.reference))
  const candidates = listings.filter((l) => owns(l) && !vacant.has(l.reference_number) && !failedRefs.has(l.reference_number))
  // A listing whose unit the read could not judge is kept, as a failed item: never withdrawn for what a read did not see.
  const held: PublishItem[] = []
  const stale: string[] = []
  for (const listing of candidates) {
    const unjudged = input.unjudged?.(listing)
    if (unjudged) held.push({reference: listing.reference_number, action: 'failed', error: unjudged.toJSON()})
    else stale.push(listing.reference_number)
  }
  if (stale.length === 0) return held
  const reason = 'no longer vacant in the source'
  if (options.dryRun) return [...held, ...stale.map((reference): PublishItem => ({reference, action: 'would-withdraw', reason}))]
  if (options.confirmPrune && !(await options.confirmPrune(stale))) return [...held, ...stale.map((reference): PublishItem => ({reference, action: 'skipped', reason: 'withdrawal not confirmed'}))]
  const out: PublishItem[] = [...held]
  for (const reference of stale) {
    try {
      await melon.deleteListing(reference)
      out.push({reference, action: 'withdrawn', reason})
    } catch (error) {
      out.push({reference, action: 'failed', error: toAppError(error).toJSON()})
    }
  }
  return out
}

/**
 * The one way a source is published, for `publish` and for `sync`: read the
 * vacancies (REST, dta-mpexp or IDX) and publish them. With `namedUnit`, a
 * single named unit that cannot be read fails with its own error (not vacant,
 * unknown) instead of being reported as a failed item.
 */
export async function publishFromSource(
  deps: {melon: MelonClient; immotop?: ImmotopRestClient},
  spec: SourceSpec,
  options: PublishOptions & {namedUnit?: boolean},
): Promise<PublishReport> {
  const input = await readVacancies(spec, {immotop: deps.immotop})
  if (options.namedUnit && input.failed.length === 1) throw input.failed[0]!.error
  return publishVacancies(deps.melon, input, options)
}
