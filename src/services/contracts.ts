/**
 * Closing the loop: after a handover was picked up, watch the unit in
 * Immotop 2 until the contract exists (core/contract-match.ts decides, and
 * never guesses), then tell melon (the tenant is `with_contract`, with
 * Immotop 2's tenancy reference and start) and set the listing to rented, or
 * withdraw it. Only listings this tool manages are touched.
 *
 * Exactly once, like the handover: the ledger records the intent ("telling")
 * before melon is called, the call carries an Idempotency-Key derived from the
 * handover and the tenancy, and a watch is claimed by one process at a time.
 * A crash between melon's answer and the record repeats the same request,
 * which melon answers from its idempotency record without a second change.
 */
import {openLedger, stateLock} from './run-context.js'
import type {ImmotopRestClient} from '../adapters/immotop-rest.js'
import type {MelonClient} from '../adapters/melon-client.js'
import type {VerhaeltnisRow} from '../wire/immotop-wire.js'
import type {Listing, Tenant} from '../wire/melon-wire.js'
import {baselineOf, freshTenancies, matchContract, type ContractMatch, type TenancyFacts} from '../core/contract-match.js'
import {swissLocalTimestamp} from '../core/swiss-date.js'
import {parseUnitRef, type UnitRef} from '../core/unit-ref.js'
import {isTenancy} from '../core/vacancy.js'
import pLimit from 'p-limit'
import {ConflictError, NotFoundError, toAppError, UnavailableError, UsageError, type AppError} from '../errors.js'
import {Ledger, type ContractRow, type ContractState} from '../state/ledger.js'
import {groupBy} from '../core/group-by.js'

export interface ContractDeps {
  melon: MelonClient
  immotop: ImmotopRestClient
  ledger: Ledger
}

export interface ContractOptions {
  onContract: 'rented' | 'withdraw'
  windowDays: number
  /** Watches older than this (days since the handover) close as expired. */
  watchDays: number
}

/** The contract settings of a config, or null when closing the loop is off (sync.onContract: off). */
export function contractOptions(sync: {onContract: 'rented' | 'withdraw' | 'off'; contractWindowDays: number; contractWatchDays: number}): ContractOptions | null {
  return sync.onContract === 'off' ? null : {onContract: sync.onContract, windowDays: sync.contractWindowDays, watchDays: sync.contractWatchDays}
}

export interface ContractEntry {
  tenantId: string
  unit: string
  handoverId: string
  state: ContractState
  /** Since when the files are in Immotop 2. */
  handedOverAt: string
  tenancy: {ref: string; from: string; settledBy: 'detected' | 'operator'} | null
  reason: string | null
  candidates: Array<{ref: string; from: string}>
  listing: string | null
  melonToldAt: string | null
  lastError: {code: string; message: string} | null
}

export interface ContractPassReport {
  /** Watches that began in this pass (handovers newly picked up). */
  started: number
  /** Contracts found in this pass (detected, or confirmed earlier by a person). */
  detected: ContractEntry[]
  /** Watches closed in this pass: melon told and the listing handled. */
  closed: ContractEntry[]
  /** Watches closed in this pass because no contract came within sync.contractWatchDays. */
  expired: ContractEntry[]
  ambiguous: ContractEntry[]
  unmatched: ContractEntry[]
  waiting: number
  /** Not checked in this pass (Immotop 2 or melon could not be read); the next pass checks again. */
  unchecked: Array<{tenantId: string; code: string; message: string}>
  /** Telling melon or handling the listing failed; the next pass resumes with the same request. */
  failed: Array<{tenantId: string; code: string; message: string}>
}

const TO_DETECT: ContractState[] = ['waiting', 'ambiguous', 'unmatched']
const TO_FINISH: ContractState[] = ['found', 'telling', 'told']
const MANAGED = 'melon-immotop:'
/** Watches finished at the same time: melon's answers, not the CPU, bound this. */
const FINISH_CONCURRENCY = 4

export function contractEntry(row: ContractRow): ContractEntry {
  return {
    tenantId: row.tenant_id,
    unit: row.unit_ref,
    handoverId: row.op_key,
    state: row.state,
    handedOverAt: row.handed_over_at,
    tenancy: row.tenancy_ref && row.tenancy_from ? {ref: row.tenancy_ref, from: row.tenancy_from, settledBy: row.settled_by ?? 'detected'} : null,
    reason: row.reason,
    candidates: row.candidates ? (JSON.parse(row.candidates) as Array<{ref: string; from: string}>) : [],
    listing: row.listing_result,
    melonToldAt: row.melon_told_at,
    lastError: row.last_error_code ? {code: row.last_error_code, message: row.last_error ?? ''} : null,
  }
}

/** What the ledger knows, without any network call (`melon-immotop contracts`). */
export function listContracts(ledger: Ledger, filter: {tenant?: string; state?: ContractState} = {}): ContractEntry[] {
  ledger.startContractWatches()
  return ledger
    .contractRows()
    .filter((r) => (!filter.tenant || r.tenant_id === filter.tenant) && (!filter.state || r.state === filter.state))
    .map(contractEntry)
}

/** One pass over every open watch: detect, then tell melon and handle the listing. */
export async function contractPass(deps: ContractDeps, options: ContractOptions, signal?: AbortSignal): Promise<ContractPassReport> {
  const {ledger} = deps
  const report: ContractPassReport = {started: ledger.startContractWatches(), detected: [], closed: [], expired: [], ambiguous: [], unmatched: [], waiting: 0, unchecked: [], failed: []}
  const open = ledger.contractRows({open: true})
  const checked = new Set<string>()
  // Tenancies already settled as some handover's contract, read once for the pass (a tenancy belongs to one unit).
  const settled = new Map(ledger.contractRows().flatMap((r) => (r.tenancy_ref ? [[r.op_key, r.tenancy_ref] as const] : [])))
  for (const [unit, rows] of groupBy(open.filter((r) => TO_DETECT.includes(r.state)), (r) => r.unit_ref)) {
    if (signal?.aborted) break
    try {
      await detectOnUnit(deps, unit, rows, options, settled)
      for (const row of rows) checked.add(row.op_key)
    } catch (error) {
      const app = toAppError(error)
      // An outage of either system (or a unit gone) only defers the check; a refused login, the ledger or a bug ends the pass.
      if (!(app instanceof UnavailableError || app instanceof NotFoundError)) throw app
      for (const row of rows) report.unchecked.push({tenantId: row.tenant_id, code: app.code, message: app.message})
    }
  }
  // Detection first: only what it found nothing for expires.
  report.expired = expire(ledger, options.watchDays, checked)
  const before = new Map(open.map((r) => [r.op_key, r.state]))
  const limit = pLimit(FINISH_CONCURRENCY)
  const finishing = ledger.contractRows({open: true}).filter((r) => TO_FINISH.includes(r.state))
  await Promise.all(
    finishing.map((row) =>
      limit(async () => {
        if (signal?.aborted) return
        if (before.get(row.op_key) !== 'found' && row.state === 'found') report.detected.push(contractEntry(row))
        const outcome = await finish(deps, row, options)
        if (outcome === 'closed') report.closed.push(contractEntry(ledger.contract(row.tenant_id)!))
        else if (outcome) report.failed.push({tenantId: row.tenant_id, code: outcome.code, message: outcome.message})
      }),
    ),
  )
  for (const list of [report.detected, report.closed]) list.sort((a, b) => a.tenantId.localeCompare(b.tenantId, 'en'))
  for (const row of ledger.contractRows({open: true})) {
    if (row.state === 'ambiguous') report.ambiguous.push(contractEntry(row))
    else if (row.state === 'unmatched') report.unmatched.push(contractEntry(row))
    else if (row.state === 'waiting') report.waiting++
  }
  return report
}

/**
 * Watches without a contract long after the handover stop: the tenant most
 * likely did not take the unit. Only watches this pass has just checked
 * (`checked`) and still found nothing for (waiting, or only another tenant's
 * tenancies): a contract that came in time is detected first, and a watch
 * whose unit could not be read (Immotop 2 unreachable) is not closed blind.
 * An ambiguous watch waits for a person, however old.
 */
function expire(ledger: Ledger, watchDays: number, checked: Set<string>): ContractEntry[] {
  const limit = new Date(Date.now() - watchDays * 86_400_000).toISOString()
  return ledger
    .contractRows({open: true})
    .filter((row) => checked.has(row.op_key) && (row.state === 'waiting' || row.state === 'unmatched') && row.handed_over_at < limit)
    .flatMap((row) => {
      const closed = ledger.setContract(row.op_key, {state: 'closed', reason: `no contract in Immotop 2 within ${watchDays} days of the handover (sync.contractWatchDays); no longer watched`, listingResult: 'not touched'}, row.revision)
      return closed ? [contractEntry(ledger.contract(row.tenant_id)!)] : []
    })
}

/** Reads the unit's tenancies once and decides for every watch on it. */
async function detectOnUnit(deps: ContractDeps, unit: string, rows: ContractRow[], options: ContractOptions, settled: Map<string, string>): Promise<void> {
  const {ledger} = deps
  let ref: UnitRef
  try {
    ref = parseUnitRef(unit)
  } catch {
    for (const row of rows) {
      ledger.setContract(row.op_key, {state: 'ambiguous', reason: `the listing reference ${unit} is not an Immotop 2 unit (<mandant>.<liegenschaft>.<objekt>), so its tenancies cannot be read; set the tenant's contract in melon by hand`, candidates: []}, row.revision)
    }
    return
  }
  const tenancies = await tenancyFacts(deps.immotop, ref)
  for (const row of rows) {
    const handedOverAt = swissLocalTimestamp(new Date(row.handed_over_at))
    let baseline: string[]
    if (row.baseline === null) {
      baseline = baselineOf(tenancies, handedOverAt)
      ledger.setContractBaseline(row.op_key, baseline)
    } else baseline = JSON.parse(row.baseline) as string[]
    const watch = {
      handedOverAt,
      baseline,
      settledElsewhere: [...settled].filter(([opKey]) => opKey !== row.op_key).map(([, ref]) => ref),
      otherWatchesOnUnit: rows.length - 1,
      windowDays: options.windowDays,
    }
    // Without a new tenancy there is nothing to ask melon.
    const fresh = freshTenancies(tenancies, watch)
    if (fresh.length === 0) {
      ledger.setContract(row.op_key, {state: 'waiting', reason: null, candidates: null}, row.revision)
      continue
    }
    const tenant = await tenantOrNull(deps.melon, row.tenant_id)
    if (!tenant) {
      ledger.setContract(row.op_key, {state: 'closed', reason: `melon no longer has tenant ${row.tenant_id}; nothing to tell`, listingResult: 'not touched'}, row.revision)
      continue
    }
    const match = matchContract(await withNames(deps.immotop, fresh), {...watch, requestedFrom: tenant.requested_move_in_date, surnames: tenant.persons.map((p) => p.surname)})
    record(ledger, row, match, tenant)
  }
}

/** Writes the pass's decision, only to the watch as the pass read it: a confirmation made meanwhile stands (and is finished by this pass). */
function record(ledger: Ledger, row: ContractRow, match: ContractMatch, tenant: Tenant): void {
  const shown = `melon shows tenant ${tenant.id} as ${tenant.contract_status}`
  if (match.kind === 'found') {
    ledger.setContract(row.op_key, {state: 'found', reason: `tenancy ${match.tenancy.ref} from ${match.tenancy.from}`, candidates: null, tenancy: {ref: match.tenancy.ref, from: match.tenancy.from, by: 'detected'}}, row.revision)
  } else if (match.kind === 'waiting') {
    ledger.setContract(row.op_key, {state: 'waiting', reason: null, candidates: null}, row.revision)
  } else {
    ledger.setContract(row.op_key, {state: match.kind, reason: `${match.reason}; ${shown}`, candidates: match.candidates.map((c) => ({ref: c.ref, from: c.from}))}, row.revision)
  }
}

/** found → telling → told → closed, for one watch this process holds. Returns 'closed', the failure, or null (held elsewhere). */
async function finish(deps: ContractDeps, row: ContractRow, options: ContractOptions): Promise<'closed' | AppError | null> {
  const {ledger} = deps
  const held = ledger.claimContract(row.op_key)
  if (!held) return null
  try {
    let state = held.state
    if (state === 'found') {
      ledger.setContract(row.op_key, {state: 'telling'})
      state = 'telling'
    }
    if (state === 'telling') {
      await tellMelon(deps.melon, held)
      ledger.setContract(row.op_key, {state: 'told', told: true})
      state = 'told'
    }
    if (state === 'told') {
      const listing = await handleListing(deps.melon, held, options)
      ledger.setContract(row.op_key, {state: 'closed', listingResult: listing})
      return 'closed'
    }
    return null
  } catch (error) {
    const app = toAppError(error)
    ledger.failContract(row.op_key, app.code, app.message)
    return app
  } finally {
    ledger.releaseContract(row.op_key)
  }
}

async function tellMelon(melon: MelonClient, row: ContractRow): Promise<void> {
  const contract = {contract_status: 'with_contract' as const, tenancy_reference: row.tenancy_ref!, start_date: row.tenancy_from!}
  try {
    await melon.setTenantContract(row.tenant_id, contract, `contract-${row.op_key}-${row.tenancy_ref}`)
  } catch (error) {
    // The tenant was removed in melon meanwhile: there is no one left to tell.
    if (error instanceof NotFoundError && error.code === 'TENANT_NOT_FOUND') return
    throw error
  }
}

/** Rented or withdrawn, only when this tool manages the listing. Returns what was done, for the ledger and the report. */
async function handleListing(melon: MelonClient, row: ContractRow, options: ContractOptions): Promise<string> {
  const listing = await melon.getListing(row.unit_ref)
  if (!listing) return 'no listing in melon'
  if (!listing.managed_by?.startsWith(MANAGED)) return 'not managed by melon-immotop; left as it is'
  if (options.onContract === 'withdraw') {
    await melon.deleteListing(row.unit_ref)
    return 'withdrawn'
  }
  if (listing.object_state === 'rented') return 'rented (already)'
  await melon.upsertListing({...listingInput(listing), object_state: 'rented'}, `rented-${row.op_key}`)
  return 'rented'
}

function listingInput(listing: Listing) {
  const {num_applications: _n, created_at: _c, updated_at: _u, ...input} = listing
  return input
}

/**
 * A person settles a watch: the tenancy must be a Mieter tenancy of the unit.
 * Refused once melon was told (the contract reported cannot be swapped here).
 */
export async function confirmContract(deps: ContractDeps, tenantId: string, tenancyRef: string): Promise<ContractEntry> {
  const {ledger} = deps
  ledger.startContractWatches()
  const row = ledger.contract(tenantId)
  if (!row) {
    throw new NotFoundError('CONTRACT_NOT_WATCHED', `No handover of tenant ${tenantId} waits for a contract.`, 'Only tenants whose dossier Immotop 2 picked up are watched; `melon-immotop contracts` lists them.')
  }
  // An expired watch (closed without a tenancy, melon never told) can still be confirmed: the contract may have come late.
  const expired = row.state === 'closed' && row.tenancy_ref === null && row.melon_told_at === null
  if (!TO_DETECT.includes(row.state) && !expired && !(row.state === 'found' && row.tenancy_ref === tenancyRef)) {
    throw new ConflictError('CONTRACT_SETTLED', `The contract of tenant ${tenantId} is already settled (${row.state}, tenancy ${row.tenancy_ref ?? 'none'}).`, 'Nothing to confirm; correct the tenant in melon by hand if the tenancy was wrong.')
  }
  const tenancy = (await tenancyFacts(deps.immotop, parseUnitRef(row.unit_ref))).find((t) => t.ref === tenancyRef)
  if (!tenancy) {
    throw new UsageError('TENANCY_NOT_ON_UNIT', `Immotop 2 has no Mieter tenancy ${tenancyRef} on unit ${row.unit_ref}.`, `Use a tenancy reference from \`melon-immotop contracts --tenant ${tenantId}\` (its candidates), i.e. the s_seqnr of v_DmsVerhaeltnis.`)
  }
  const holder = ledger.tenancyTakenBy(row.unit_ref, tenancy.ref, row.op_key)
  if (holder) {
    throw new ConflictError('TENANCY_TAKEN', `Tenancy ${tenancy.ref} on unit ${row.unit_ref} is already the contract of tenant ${holder}; nothing was changed.`, `Confirm the tenancy that is tenant ${tenantId}'s own (\`melon-immotop contracts --tenant ${tenantId}\` lists its candidates); if ${holder}'s was wrong, correct it in melon by hand.`)
  }
  const recorded = ledger.setContract(row.op_key, {state: 'found', reason: `tenancy ${tenancy.ref} from ${tenancy.from}, confirmed by hand`, candidates: null, tenancy: {ref: tenancy.ref, from: tenancy.from, by: 'operator'}}, row.revision)
  if (!recorded) {
    throw new ConflictError('CONTRACT_CHANGED', `The watch of tenant ${tenantId} changed while this confirmation was made (a running sync checked it); nothing was changed.`, `Look at \`melon-immotop contracts --tenant ${tenantId}\`, and confirm again if it is still needed.`)
  }
  return contractEntry(ledger.contract(tenantId)!)
}

/** Finishes one confirmed watch at once (when no sync holds the state folder). */
export async function finishContract(deps: ContractDeps, tenantId: string, options: ContractOptions): Promise<ContractEntry> {
  const row = deps.ledger.contract(tenantId)!
  const outcome = await finish(deps, row, options)
  if (outcome && outcome !== 'closed') throw outcome
  return contractEntry(deps.ledger.contract(tenantId)!)
}

type Tenancy = TenancyFacts & {mieterSeq: number | null}

async function tenancyFacts(immotop: ImmotopRestClient, ref: UnitRef): Promise<Tenancy[]> {
  return (await immotop.unitTenancies(ref)).filter(isTenancy).map(factsOf)
}

function factsOf(row: VerhaeltnisRow): Tenancy {
  return {
    ref: String(row.s_seqnr),
    from: row.gueltigvon.slice(0, 10),
    to: row.gueltigbis ? row.gueltigbis.slice(0, 10) : null,
    createdAt: row.insts ? row.insts.replace(' ', 'T').slice(0, 19) : null,
    tenantName: null,
    mieterSeq: row.mieter_seqnr ?? null,
  }
}

/** Adds the Mieter display names (one lookup per tenancy, only when a new tenancy is there). */
async function withNames(immotop: ImmotopRestClient, tenancies: Tenancy[]): Promise<TenancyFacts[]> {
  return Promise.all(
    tenancies.map(async (t) => {
      if (t.mieterSeq === null) return t
      const mieter = (await immotop.mieter({s_seqnr: t.mieterSeq}))[0]
      return {...t, tenantName: mieter?.bez ?? null}
    }),
  )
}

async function tenantOrNull(melon: MelonClient, tenantId: string): Promise<Tenant | null> {
  try {
    return await melon.getTenant(tenantId)
  } catch (error) {
    if (error instanceof NotFoundError && error.code === 'TENANT_NOT_FOUND') return null
    throw error
  }
}


/**
 * `contracts --check`: one closing pass now, under the state folder's sync
 * lock (a running sync does the same on every pass: BusyError, exit 75).
 */
export async function checkContractsNow(deps: Omit<ContractDeps, 'ledger'>, stateDir: string, options: ContractOptions): Promise<ContractPassReport> {
  return withSyncLock(stateDir, 'Let it be: the running sync checks the contracts on every pass.', async (ledger) => {
    ledger.belongsTo(deps.melon.project)
    return contractPass({...deps, ledger}, options)
  })
}

/**
 * `contracts confirm`: the person's choice is recorded at once; melon is told
 * at once too when no sync holds the state folder, else by the running sync on
 * its next pass.
 */
export async function confirmAndFinish(
  deps: Omit<ContractDeps, 'ledger'>,
  stateDir: string,
  tenantId: string,
  tenancyRef: string,
  options: ContractOptions,
): Promise<{contract: ContractEntry; finishedNow: boolean; heldBy: number | null}> {
  const ledger = openLedger(stateDir)
  try {
    ledger.belongsTo(deps.melon.project)
    await confirmContract({...deps, ledger}, tenantId, tenancyRef)
    const lock = stateLock(stateDir)
    const got = lock.acquire()
    if (!got.ok) return {contract: contractEntry(ledger.contract(tenantId)!), finishedNow: false, heldBy: got.holder.pid}
    try {
      return {contract: await finishContract({...deps, ledger}, tenantId, options), finishedNow: true, heldBy: null}
    } finally {
      lock.release()
    }
  } finally {
    ledger.close()
  }
}

async function withSyncLock<T>(stateDir: string, fix: string, run: (ledger: Ledger) => Promise<T>): Promise<T> {
  const lock = stateLock(stateDir)
  lock.acquireOrBusy(fix)
  try {
    const ledger = openLedger(stateDir)
    try {
      return await run(ledger)
    } finally {
      ledger.close()
    }
  } finally {
    lock.release()
  }
}
