/**
 * Recovery of a lost or damaged ledger, before anything is sent again:
 *
 * - restore: a backup (the newest by default) is checked, the tenants this
 *   installation marked in melon since (handovers the backup cannot know)
 *   are judged from the staging folders, the damaged files are put aside
 *   (never deleted), and the copy is moved into place with those handovers
 *   added; a healthy ledger is not replaced without --force;
 * - rebuild: a new ledger from what melon and the staging folders show. A
 *   tenant whose files wait in staging folder 2 is "delivered, waiting for
 *   pick-up"; one whose answers are in folder 1 is picked up; every other
 *   tenant without contract is taken as handed over (nothing is resent),
 *   except those the operator names as not sent.
 */
import {openLedger} from './run-context.js'
import {copyFile, rename} from 'node:fs/promises'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import type {MelonClient} from '../adapters/melon-client.js'
import type {StagingDirectory} from '../adapters/staging-dir.js'
import type {Tenant} from '../wire/melon-wire.js'
import {ConflictError, StateError, UnavailableError, UsageError} from '../errors.js'
import {installationOf} from '../state/installation.js'
import {LEDGER_FILE, Ledger, checkLedgerFile, handoversIn, listBackups} from '../state/ledger.js'
import {planHandover, type Plan} from './handover/plan.js'

export interface RestoreResult {
  restoredFrom: string
  operations: number
  setAside: string[]
  /** Handovers this installation began after the backup (melon's markers), entered from the staging folders' evidence. */
  afterBackup: Omit<RebuildResult, 'setAside'>
}

/** Checks a backup without changing it, or says why it cannot be used. */
function checkBackup(file: string): number {
  try {
    return checkLedgerFile(file)
  } catch (error) {
    throw new StateError('BACKUP_UNUSABLE', `The backup ${file} cannot be used (${(error as Error).message.slice(0, 120)}).`, 'Pick another backup with --from, or rebuild with `melon-immotop state rebuild`.')
  }
}

/** Moves the ledger and its WAL files aside (kept for a support case), so that nothing of them is replayed into a restored copy. */
async function setAside(stateDir: string, why: 'damaged' | 'replaced' = 'damaged'): Promise<string[]> {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '')
  const moved: string[] = []
  for (const suffix of ['', '-wal', '-shm']) {
    const from = join(stateDir, `${LEDGER_FILE}${suffix}`)
    if (!existsSync(from)) continue
    const to = join(stateDir, `${LEDGER_FILE}.${why}-${stamp}${suffix}`)
    await rename(from, to)
    moved.push(to)
  }
  return moved
}

/** The number of handovers a sound ledger holds; null when it is missing, empty or damaged. */
function soundLedger(stateDir: string): number | null {
  const file = join(stateDir, LEDGER_FILE)
  if (!existsSync(file)) return null
  try {
    return checkLedgerFile(file)
  } catch {
    return null
  }
}

/**
 * `state restore`. A sound ledger that holds handovers is not replaced
 * without `force` (it knows more than any backup). Before anything changes,
 * melon's tenants without contract are read: those this installation marked
 * as handed over by it, which the backup does not hold as delivered or done,
 * were handed over after the backup, and are judged from the staging folders
 * as `state rebuild` judges them (never resent unless named in `notSent`).
 */
export async function restoreLedger(
  stateDir: string,
  deps: {melon: MelonClient; staging: StagingDirectory},
  options: {project: string; from?: string; force?: boolean; notSent?: string[]},
): Promise<RestoreResult> {
  const backup = options.from ?? listBackups(stateDir)[0]
  if (!backup) throw new StateError('NO_BACKUP', `${stateDir} has no ledger backup.`, 'Rebuild the ledger with `melon-immotop state rebuild`.')
  if (!existsSync(backup)) throw new UsageError('NO_BACKUP', `The backup ${backup} does not exist.`, `Pick one of \`ls ${join(stateDir, 'backups')}\`.`)
  const current = soundLedger(stateDir)
  if (current !== null && current > 0 && !options.force) {
    throw new ConflictError(
      'LEDGER_HEALTHY',
      `The ledger ${join(stateDir, LEDGER_FILE)} is sound (${current} handovers); a backup put in its place would forget what it recorded since. Nothing was changed.`,
      'Nothing to restore: `melon-immotop doctor --only state` checks it. To replace it anyway, pass --force (it is kept as ledger.sqlite.replaced-…).',
    )
  }
  const operations = checkBackup(backup)
  const known = handoversIn(backup)
  const installation = installationOf(stateDir)
  const tenants = await agreedList(() => deps.melon.listTenants('without_contract'))
  const notSent = options.notSent ?? []
  assertListed(notSent, tenants)
  const since = tenants.filter((t) => t.handover?.installation_id === installation.id && !notSent.includes(t.id) && !known.get(t.id)?.delivered)
  const judged = await judge(since, deps.staging, options.project)
  const partial = join(stateDir, `${LEDGER_FILE}.restore-${process.pid}`)
  await copyFile(backup, partial)
  const moved = await setAside(stateDir, current !== null ? 'replaced' : 'damaged')
  await rename(partial, join(stateDir, LEDGER_FILE))
  const ledger = openLedger(stateDir)
  let afterBackup: Omit<RebuildResult, 'setAside'>
  try {
    afterBackup = {...record(ledger, judged, 'restored'), notSent}
    if (judged.length > 0) await ledger.backup()
  } finally {
    ledger.close()
  }
  return {restoredFrom: backup, operations, setAside: moved, afterBackup}
}

function assertListed(notSent: string[], tenants: Tenant[]): void {
  const unknown = notSent.filter((id) => !tenants.some((t) => t.id === id))
  if (unknown.length > 0) throw new UsageError('UNKNOWN_TENANT', `--not-sent names ${unknown.join(', ')}, which melon does not list without contract.`, 'Name tenants as `melon-immotop tenants` shows them.')
}

type Judged = {tenant: Tenant; plan: Plan; evidence: 'waiting' | 'picked_up' | 'none'; waiting: number}

/**
 * Every tenant judged from the staging folders before anything changes: a
 * folder that cannot be read stops it with the old ledger in place, never
 * halfway (a tenant missing from the new ledger would be handed over again).
 */
async function judge(tenants: Tenant[], staging: StagingDirectory, project: string): Promise<Judged[]> {
  const answers = await staging.answers()
  const judged: Judged[] = []
  for (const tenant of tenants) {
    const plan = planHandover(tenant, project)
    const state = await staging.pickupState(plan.files, answers)
    const evidence = state.waiting.length > 0 ? 'waiting' : plan.files.some((f) => answers.has(f.dmsDocumentId)) ? 'picked_up' : 'none'
    judged.push({tenant, plan, evidence, waiting: state.waiting.length})
  }
  return judged
}

/** Enters what was judged: waiting for pick-up, picked up, or taken as handed over (nothing is resent). */
function record(ledger: Ledger, judged: Judged[], how: 'rebuilt' | 'restored'): Omit<RebuildResult, 'setAside' | 'notSent'> {
  const result = {waiting: [] as string[], pickedUp: [] as string[], assumedDone: [] as string[]}
  for (const {tenant, plan, evidence, waiting} of judged) {
    ledger.insertRebuilt(
      {op_key: plan.opKey, tenant_id: tenant.id, unit_ref: plan.record.unit.reference, handover_id: plan.id, dossier_hash: plan.dossierHash},
      plan.files.map((f) => ({file_name: f.fileName, kind: f.kind, size: f.size, sha256: f.sha256})),
      evidence === 'waiting'
        ? {step: 'delivered', status: 'in_progress', detail: `${how}: ${waiting} file(s) wait in staging folder 2`}
        : {step: 'notified', status: 'done', detail: evidence === 'picked_up' ? `${how}: Immotop 2 answered for its files` : `${how}: no evidence left; taken as handed over, nothing resent`},
    )
    if (evidence === 'waiting') result.waiting.push(tenant.id)
    else if (evidence === 'picked_up') result.pickedUp.push(tenant.id)
    else result.assumedDone.push(tenant.id)
  }
  return result
}

export interface RebuildResult {
  waiting: string[]
  pickedUp: string[]
  assumedDone: string[]
  notSent: string[]
  setAside: string[]
}

/**
 * melon's tenants without contract, read until two reads in a row name the
 * same tenants (at most three reads). melon pages by offset: a tenant that
 * leaves the list while it is read shifts the next one past the page
 * boundary, unseen, and a tenant missing from a rebuilt ledger would be
 * handed over a second time by the next sync.
 */
export async function agreedList<T extends {id: string}>(read: () => Promise<T[]>, reads = 3): Promise<T[]> {
  const ids = (list: T[]) => list.map((t) => t.id).sort().join('\n')
  let last = await read()
  for (let n = 1; n < reads; n++) {
    const next = await read()
    if (ids(next) === ids(last)) return next
    last = next
  }
  throw new UnavailableError(
    'TENANTS_CHANGING',
    `melon's list of tenants without contract changed between each of ${reads} reads; nothing was changed.`,
    'Run state rebuild again when fewer tenants are being changed in melon (for example outside office hours).',
  )
}

export async function rebuildLedger(
  stateDir: string,
  deps: {melon: MelonClient; staging: StagingDirectory},
  options: {project: string; notSent: string[]},
): Promise<RebuildResult> {
  const tenants = await agreedList(() => deps.melon.listTenants('without_contract'))
  assertListed(options.notSent, tenants)
  const judged = await judge(tenants.filter((t) => !options.notSent.includes(t.id)), deps.staging, options.project)
  const moved = await setAside(stateDir)
  const ledger = openLedger(stateDir, {fresh: true})
  ledger.belongsTo(options.project)
  try {
    const result = {...record(ledger, judged, 'rebuilt'), notSent: [...options.notSent], setAside: moved}
    await ledger.backup()
    return result
  } finally {
    ledger.close()
  }
}
