/**
 * One pass of `sync`: every tenant without contract who has not yet been
 * handed over is exported exactly once, with bounded concurrency; tenants that
 * fail for a passing reason get a second try at the end of the pass. The
 * ledger makes passes, crashes and re-runs add up to exactly once.
 */
import {openLedger, stateLock} from './run-context.js'
import pLimit from 'p-limit'
import type {Tenant} from '../wire/melon-wire.js'
import {BugError, ConfigError, StateError, toAppError, type AppError} from '../errors.js'
import {Ledger} from '../state/ledger.js'
import type {StateLock} from '../state/lock.js'
import type {ImmotopRestClient} from '../adapters/immotop-rest.js'
import {contractPass, type ContractOptions, type ContractPassReport} from './contracts.js'
import {exportTenant, type HandoverDeps} from './handover/index.js'
import {sweepAnswers, sweepTemporary} from './handover/leftovers.js'

export interface SyncFailure {
  tenantId: string
  code: string
  message: string
}

export interface SyncPassReport {
  startedAt: string
  finishedAt: string
  publish: {summary: Record<string, number>} | {error: {code: string; message: string}} | null
  exported: string[]
  alreadyDone: string[]
  /** Exported in this pass after an earlier failed attempt (in this pass or an earlier run). */
  retried: string[]
  failed: SyncFailure[]
  /** Delivered, not yet picked up by Immotop 2: checked again on every pass, never resent. */
  waiting: Array<{tenantId: string; handoverId: string | null; since: string | null}>
  /** Not started because the pass was stopping. */
  notStarted: string[]
  /** Closing the loop (sync.onContract): contracts found in Immotop 2, melon told, listings handled. */
  contracts: ContractPassReport | {error: {code: string; message: string}} | null
  summary: {
    tenants: number
    exported: number
    alreadyDone: number
    retried: number
    failed: number
    waiting: number
    contracts: {closed: number; ambiguous: number; unmatched: number; waiting: number; failed: number}
  }
}

export interface SyncOptions {
  project: string
  concurrency: number
  pickupTimeoutMs: number
  notify: boolean
  /** Aborted on the first SIGINT/SIGTERM: no new tenant starts (the rest are reported as not started). */
  signal: AbortSignal
  /** Aborts the tenants already in hand (abandoned safely; the next run resumes them). Default: signal. */
  inFlight?: AbortSignal
  publish?: () => Promise<Record<string, number>>
  /** Close the loop on every pass: watch picked-up handovers for their contract (absent: sync.onContract off). */
  contracts?: ContractOptions & {immotop: ImmotopRestClient}
  onTenant?: (tenantId: string, outcome: 'exported' | 'already_done' | 'failed' | 'waiting', detail?: string) => void
  /** Called before every tenant: may abort `signal` (the sync lock was lost). */
  checkpoint?: () => void
}

/** Failures worth a second try in the same pass. */
const PASSING = new Set(['SERVER_ERROR', 'RATE_LIMITED', 'CONNECTION_RESET', 'TIMEOUT', 'NETWORK', 'CHECKSUM_MISMATCH', 'IMMOTOP_REFUSED', 'SMTP_UNAVAILABLE', 'SMTP_FAILED'])

export async function syncPass(deps: HandoverDeps, options: SyncOptions): Promise<SyncPassReport> {
  const startedAt = new Date().toISOString()
  const publish = options.publish ? await publishOnPass(options.publish) : null
  const tenants = await deps.melon.listTenants('without_contract')
  const tally: Tally = {exported: [], alreadyDone: [], retried: [], notStarted: [], waiting: [], failed: []}
  const limit = pLimit(options.concurrency)
  const attempt = (tenant: Tenant, round: number) => limit(() => handOver(deps, tenant, round, options, tally))
  await Promise.all(tenants.map((t) => attempt(t, 1)))
  const again = tally.failed.filter((f) => PASSING.has(f.code))
  if (again.length > 0 && !options.signal.aborted) {
    tally.failed = tally.failed.filter((f) => !PASSING.has(f.code))
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await Promise.all(again.map((f) => attempt(f.tenant, 2)))
  }
  const {exported, alreadyDone, retried, notStarted, waiting} = tally
  const failures = tally.failed.map(({tenant: _t, ...f}) => f)
  const contracts = options.contracts && !options.signal.aborted ? await closeLoop(deps, options.contracts, options.signal) : null
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    publish,
    exported,
    alreadyDone,
    retried,
    failed: failures,
    waiting,
    notStarted,
    contracts,
    summary: {
      tenants: tenants.length,
      exported: exported.length,
      alreadyDone: alreadyDone.length,
      retried: retried.length,
      failed: failures.length,
      waiting: waiting.length,
      contracts: contractSummary(contracts),
    },
  }
}

/** The contract pass never stops the handovers: an outage of it is reported, and the next pass tries again. */
async function closeLoop(deps: HandoverDeps, options: NonNullable<SyncOptions['contracts']>, signal: AbortSignal): Promise<SyncPassReport['contracts']> {
  try {
    return await contractPass({melon: deps.melon, immotop: options.immotop, ledger: deps.ledger}, options, signal)
  } catch (error) {
    const app = toAppError(error)
    if (app instanceof StateError || app instanceof BugError) throw app
    return {error: {code: app.code, message: app.message}}
  }
}

function contractSummary(report: SyncPassReport['contracts']): SyncPassReport['summary']['contracts'] {
  if (!report) return {closed: 0, ambiguous: 0, unmatched: 0, waiting: 0, failed: 0}
  if ('error' in report) return {closed: 0, ambiguous: 0, unmatched: 0, waiting: 0, failed: 1}
  return {closed: report.closed.length, ambiguous: report.ambiguous.length, unmatched: report.unmatched.length, waiting: report.waiting, failed: report.failed.length}
}

interface Tally {
  exported: string[]
  alreadyDone: string[]
  retried: string[]
  notStarted: string[]
  waiting: SyncPassReport['waiting']
  failed: Array<SyncFailure & {tenant: Tenant}>
}

/** Publishing on the pass never stops the handovers: its failure is reported. */
async function publishOnPass(publish: () => Promise<Record<string, number>>): Promise<SyncPassReport['publish']> {
  try {
    return {summary: await publish()}
  } catch (error) {
    const app = toAppError(error)
    return {error: {code: app.code, message: app.message}}
  }
}

/** One tenant of a pass, tallied as exported, already done, waiting for pick-up, failed, or not started (stopping). */
async function handOver(deps: HandoverDeps, tenant: Tenant, round: number, options: SyncOptions, tally: Tally): Promise<void> {
  options.checkpoint?.()
  if (options.signal.aborted) {
    tally.notStarted.push(tenant.id)
    return
  }
  try {
    const result = await exportTenant(deps, tenant, {
      project: options.project,
      dryRun: false,
      wait: true,
      pickupTimeoutMs: options.pickupTimeoutMs,
      // A handover delivered by an earlier pass is checked, not waited for again.
      recheckTimeoutMs: 0,
      notify: options.notify,
      redoChangedDossier: false,
      signal: options.inFlight ?? options.signal,
    })
    if (result.status === 'already_done') {
      tally.alreadyDone.push(tenant.id)
      options.onTenant?.(tenant.id, 'already_done')
      return
    }
    tally.exported.push(tenant.id)
    if (round > 1 || result.attempts > 1) tally.retried.push(tenant.id)
    options.onTenant?.(tenant.id, 'exported')
  } catch (error) {
    const app = toAppError(error)
    if (app.code === 'PICKUP_PENDING') {
      const details = app.details as {handoverId?: string; waitingSince?: string | null} | undefined
      tally.waiting.push({tenantId: tenant.id, handoverId: details?.handoverId ?? null, since: details?.waitingSince ?? null})
      options.onTenant?.(tenant.id, 'waiting', app.message)
      return
    }
    tally.failed.push({tenant, tenantId: tenant.id, code: app.code, message: app.message})
    options.onTenant?.(tenant.id, 'failed', app.message)
  }
}

export interface RunSyncOptions extends Omit<SyncOptions, 'onTenant'> {
  stateDir: string
  /** One pass, or passes every intervalMs until the signal aborts. */
  once: boolean
  intervalMs: number
}

/** How the command follows a run; every hook is optional. */
export interface RunSyncHooks {
  /** The state folder is locked: a second signal may release the lock before it exits at once. */
  locked?: (release: () => void) => void
  swept?: (what: {temporary: number; answers: number}) => void
  /** A pass starts; the returned function hears of each tenant. */
  passStarting?: () => (tenantId: string, outcome: string) => void
  passDone?: (report: SyncPassReport) => void
  /** A pass failed as a whole (an outage); the loop tries again after `retryMs`. */
  passFailed?: (error: AppError, retryMs: number) => void
  warn?: (message: string) => void
}

/** The longest pause between passes after failures in a row. */
export const MAX_BACKOFF_MS = 15 * 60_000

/**
 * `sync`: one sync per state folder (the lock; a second one is BusyError,
 * exit 75), leftovers of killed runs swept, then passes until `once` or the
 * signal. A pass that changed the ledger is backed up. Returns the passes
 * (the newest 100).
 */
export async function runSync(deps: Omit<HandoverDeps, 'ledger'>, options: RunSyncOptions, hooks: RunSyncHooks = {}): Promise<SyncPassReport[]> {
  const lock = stateLock(options.stateDir)
  lock.acquireOrBusy('Let it finish; from cron, this run can simply be skipped (exit 75).')
  hooks.locked?.(() => lock.release())
  const guard = guardLock(lock)
  const passOptions = {...options, signal: AbortSignal.any([options.signal, guard.lost]), inFlight: AbortSignal.any([options.inFlight ?? options.signal, guard.lost]), checkpoint: guard.check}
  const passes: SyncPassReport[] = []
  let ledger: Ledger | null = null
  try {
    ledger = openLedger(options.stateDir)
    ledger.belongsTo(options.project)
    await deps.staging.assertUsable()
    hooks.swept?.({temporary: await sweepTemporary(deps.staging, ledger), answers: await sweepAnswers(deps.staging, ledger)})
    for (let failures = 0; ; ) {
      guard.check()
      const changesBefore = ledger.changes()
      const onTenant = hooks.passStarting?.()
      let report: SyncPassReport
      try {
        report = await syncPass({...deps, ledger}, {...passOptions, onTenant})
        failures = 0
      } catch (error) {
        guard.throwIfLost()
        // An outage of melon or Immotop 2 ends a pass, not the service: only what a person must fix ends the loop.
        const app = toAppError(error)
        if (options.once || app instanceof ConfigError || app instanceof StateError || app instanceof BugError) throw app
        const retryMs = Math.min(options.intervalMs * 2 ** failures++, MAX_BACKOFF_MS)
        hooks.passFailed?.(app, retryMs)
        await pause(retryMs, passOptions.signal)
        if (passOptions.signal.aborted) break
        continue
      }
      if (ledger.changes() !== changesBefore) await ledger.backup().catch((error: Error) => hooks.warn?.(`the ledger backup failed: ${error.message}`))
      passes.push(report)
      if (passes.length > 100) passes.shift()
      hooks.passDone?.(report)
      guard.throwIfLost()
      if (options.once || options.signal.aborted) break
      await pause(options.intervalMs, passOptions.signal)
      if (passOptions.signal.aborted) break
    }
    guard.throwIfLost()
  } finally {
    guard.stop()
    ledger?.close()
    lock.release()
  }
  return passes
}

/** How often a running sync makes sure its lock file is still its own. */
const LOCK_CHECK_MS = 1000

/**
 * A sync whose lock file was removed or replaced (by a person, or another
 * process that took it) has lost the lock: it starts nothing more, the
 * handovers in hand are abandoned safely (the next run resumes them), and
 * the run ends with SYNC_LOCK_LOST. Checked every second and before every tenant.
 */
function guardLock(lock: StateLock) {
  const lost = new AbortController()
  const check = () => {
    if (!lost.signal.aborted && !lock.stillHeld()) lost.abort()
  }
  const timer = setInterval(check, LOCK_CHECK_MS)
  timer.unref()
  return {
    lost: lost.signal,
    check,
    stop: () => clearInterval(timer),
    throwIfLost: () => {
      check()
      if (!lost.signal.aborted) return
      const holder = lock.currentHolder()
      const now = holder ? `; pid ${holder.pid} on ${holder.host} holds it since ${holder.since}` : '; no lock is there now'
      throw new StateError(
        'SYNC_LOCK_LOST',
        `This sync's lock ${lock.file} was removed or replaced while it ran${now}. It stopped at once; what was in hand is resumed by the next run.`,
        'Never remove sync.lock while a sync runs; find what removed it (a cleanup job, a second installation on this state folder), then start sync again.',
      )
    },
  }
}

/** Waits `ms`, or until the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    }, {once: true})
  })
}
