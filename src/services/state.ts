/**
 * Recovery of a lost or damaged ledger, before anything is sent again:
 *
 * - restore: a backup (the newest by default) is checked, the damaged files
 *   are put aside (never deleted), and the copy is moved into place;
 * - rebuild: a new ledger from what melon and the staging folders show. A
 *   tenant whose files wait in staging folder 2 is "delivered, waiting for
 *   pick-up"; one whose answers are in folder 1 is picked up; every other
 *   tenant without contract is taken as handed over (nothing is resent),
 *   except those the operator names as not sent.
 */
import {copyFile, rename} from 'node:fs/promises'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import type {MelonClient} from '../adapters/melon-client.js'
import type {StagingDirectory} from '../adapters/staging-dir.js'
import {StateError, UnavailableError, UsageError} from '../errors.js'
import {LEDGER_FILE, Ledger, checkLedgerFile, listBackups} from '../state/ledger.js'
import {planHandover} from './handover/plan.js'

export interface RestoreResult {
  restoredFrom: string
  operations: number
  setAside: string[]
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
async function setAside(stateDir: string): Promise<string[]> {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '')
  const moved: string[] = []
  for (const suffix of ['', '-wal', '-shm']) {
    const from = join(stateDir, `${LEDGER_FILE}${suffix}`)
    if (!existsSync(from)) continue
    const to = join(stateDir, `${LEDGER_FILE}.damaged-${stamp}${suffix}`)
    await rename(from, to)
    moved.push(to)
  }
  return moved
}

export async function restoreLedger(stateDir: string, from?: string): Promise<RestoreResult> {
  const backup = from ?? listBackups(stateDir)[0]
  if (!backup) throw new StateError('NO_BACKUP', `${stateDir} has no ledger backup.`, 'Rebuild the ledger with `melon-immotop state rebuild`.')
  if (!existsSync(backup)) throw new UsageError('NO_BACKUP', `The backup ${backup} does not exist.`, `Pick one of \`ls ${join(stateDir, 'backups')}\`.`)
  const operations = checkBackup(backup)
  const partial = join(stateDir, `${LEDGER_FILE}.restore-${process.pid}`)
  await copyFile(backup, partial)
  const moved = await setAside(stateDir)
  await rename(partial, join(stateDir, LEDGER_FILE))
  new Ledger(stateDir).close()
  return {restoredFrom: backup, operations, setAside: moved}
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
  const unknown = options.notSent.filter((id) => !tenants.some((t) => t.id === id))
  if (unknown.length > 0) throw new UsageError('UNKNOWN_TENANT', `--not-sent names ${unknown.join(', ')}, which melon does not list without contract.`, 'Name tenants as `melon-immotop tenants` shows them.')
  // Every tenant is judged before anything changes: a staging folder that cannot be read stops the rebuild with
  // the old ledger still in place, never halfway (a tenant missing from the new ledger would be handed over again).
  const answers = await deps.staging.answers()
  const judged = []
  for (const tenant of tenants) {
    if (options.notSent.includes(tenant.id)) continue
    const plan = planHandover(tenant, options.project)
    judged.push({tenant, plan, state: await deps.staging.pickupState(plan.files, answers)})
  }
  const moved = await setAside(stateDir)
  const ledger = new Ledger(stateDir, {fresh: true})
  ledger.belongsTo(options.project)
  const result: RebuildResult = {waiting: [], pickedUp: [], assumedDone: [], notSent: [...options.notSent], setAside: moved}
  try {
    for (const {tenant, plan, state} of judged) {
      const evidence = state.waiting.length > 0 ? 'waiting' : plan.files.some((f) => answers.has(f.dmsDocumentId)) ? 'picked_up' : 'none'
      ledger.insertRebuilt(
        {op_key: plan.opKey, tenant_id: tenant.id, unit_ref: plan.record.unit.reference, handover_id: plan.id, dossier_hash: plan.dossierHash},
        plan.files.map((f) => ({file_name: f.fileName, kind: f.kind, size: f.size, sha256: f.sha256})),
        evidence === 'waiting'
          ? {step: 'delivered', status: 'in_progress', detail: `rebuilt: ${state.waiting.length} file(s) wait in staging folder 2`}
          : {step: 'notified', status: 'done', detail: evidence === 'picked_up' ? 'rebuilt: Immotop 2 answered for its files' : 'rebuilt: no evidence left; taken as handed over, nothing resent'},
      )
      if (evidence === 'waiting') result.waiting.push(tenant.id)
      else if (evidence === 'picked_up') result.pickedUp.push(tenant.id)
      else result.assumedDone.push(tenant.id)
    }
    await ledger.backup()
  } finally {
    ledger.close()
  }
  return result
}
