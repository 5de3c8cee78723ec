/**
 * Hand one tenant without contract, with the complete dossier, to Immotop 2:
 * the pipeline shared by `export-tenant` and `sync`. The ledger holds the
 * step; the driver runs the next one until the handover is done:
 *
 *   started → fetched      fetch.ts    stream the documents into the spool, write the tenant record
 *   fetched → delivered    deliver.ts  into staging folder 2, documents first, the record last
 *   delivered → picked_up  pickup.ts   Immotop 2 removed the files (use case 5); answers add ids
 *   picked_up → notified   notify.ts   one mail to the contract staff
 *
 * A step that is done is never redone, and delivery reconciles with what
 * already waits in the staging folders. A refusal (FehlerText) sends the
 * handover back to `started`; the next run delivers the refused files anew.
 */
import {dirname} from 'node:path'
import {ConflictError, UsageError, diskFullError, toAppError, type AppError} from '../../errors.js'
import type {FileRow, HandoverStep, OperationRow} from '../../state/ledger.js'
import type {Tenant} from '../../wire/melon-wire.js'
import {operationKey} from '../../core/handover.js'
import {handedOverElsewhere} from '../../adapters/melon-client.js'
import {installationOf} from '../../state/installation.js'
import {stepIndex, type HandoverDeps, type StepContext} from './context.js'
import {deliverStep} from './deliver.js'
import {fetchStep} from './fetch.js'
import {notifyStep} from './notify.js'
import {pickupStep} from './pickup.js'
import {planHandover, type Plan} from './plan.js'
import {Spool} from './spool.js'

export type {HandoverDeps} from './context.js'

export interface ExportOptions {
  project: string
  dryRun: boolean
  /** Wait for Immotop 2 to pick the files up (else return once they are delivered). */
  wait: boolean
  pickupTimeoutMs: number
  /** For a handover already delivered by an earlier run: how long to wait now (sync checks, it does not wait again). */
  recheckTimeoutMs?: number
  /** Send the notification mail (when a mailer is given). */
  notify: boolean
  /** A tenant already handed over with another dossier is handed over again (explicit export-tenant). */
  redoChangedDossier: boolean
  /**
   * The files of this tenant's handover, which waits for pick-up, are lost (a
   * staging folder wiped or replaced): take back what is left of them and
   * deliver them again, under the same names, into the configured folder.
   * Asked for by a person; `confirm` is asked before anything changes.
   */
  redeliver?: {confirm: (handover: {handoverId: string; folder: string; since: string | null}) => Promise<boolean>}
  signal?: AbortSignal
  onProgress?: (step: string) => void
}

export interface ExportedFile {
  fileName: string
  /** W&W's DateiName in the control file. */
  dateiName: string
  dmsDocumentId: string
  kind: string
  size: number
  sha256: string
  delivery: 'delivered' | 'picked_up' | 'dry-run'
  immotopDocumentId: string | null
}

export interface ExportResult {
  tenantId: string
  handoverId: string
  unitReference: string
  /** exported: picked up (and notified); already_done: an earlier run had; delivered: not waited for (--no-wait). */
  status: 'exported' | 'already_done' | 'delivered' | 'dry-run'
  dryRun: boolean
  pickedUp: boolean
  notified: boolean
  attempts: number
  files: ExportedFile[]
}

/** The folder of the file a system error names (fs errors carry `path`). */
function folderOf(error: unknown): string | null {
  const path = (error as {path?: unknown} | null)?.path
  return typeof path === 'string' ? dirname(path) : null
}

/**
 * The dossier is the PDF with all personal data (melon's contract: the
 * documents are the dossier PDF and every attached document). A handover
 * without it would be incomplete for good: a tenant once handed over is
 * never handed over again. So it waits until melon lists it.
 */
function assertDossier(tenant: Tenant): void {
  if (tenant.documents.some((d) => d.kind === 'dossier')) return
  throw new ConflictError(
    'DOSSIER_MISSING',
    `melon lists tenant ${tenant.id} without its dossier PDF (a document of kind dossier); nothing was sent.`,
    'Wait until melon has made the dossier (sync hands the tenant over on a later pass); if it does not come, ask emonitor.',
  )
}

export function assertExportable(tenant: Tenant): void {
  if (tenant.contract_status !== 'without_contract') {
    throw new ConflictError(
      'TENANT_NOT_WITHOUT_CONTRACT',
      `Tenant ${tenant.id} is "${tenant.contract_status}", not "without_contract"; only tenants without contract are handed to Immotop 2.`,
      'Pick a tenant from `melon-immotop tenants` (status without_contract).',
    )
  }
}

function filesOf(plan: Plan, deps: HandoverDeps | null, delivery: ExportedFile['delivery']): ExportedFile[] {
  const rows = new Map((deps ? deps.ledger.files(plan.opKey) : []).map((f) => [f.file_name, f]))
  return plan.files.map((f) => {
    const row = rows.get(f.fileName)
    return {
      fileName: f.fileName,
      dateiName: f.dateiName,
      dmsDocumentId: f.dmsDocumentId,
      kind: f.kind,
      size: f.size,
      sha256: f.sha256,
      delivery: row?.picked_up_at ? 'picked_up' : delivery,
      immotopDocumentId: row?.immotop_document_id ?? null,
    }
  })
}

export async function exportTenant(deps: HandoverDeps, tenantOrId: string | Tenant, options: ExportOptions): Promise<ExportResult> {
  const progress = options.onProgress ?? (() => {})
  progress('reading tenant from melon')
  const tenant = typeof tenantOrId === 'string' ? await deps.melon.getTenant(tenantOrId) : tenantOrId
  assertExportable(tenant)
  if (!options.dryRun) deps.ledger.belongsTo(options.project)
  // A handover claimed before keeps the file names it was given (melon may list the documents in another order now).
  const recorded = options.dryRun ? [] : deps.ledger.files(operationKey(options.project, tenant.id, tenant.documents))
  const plan = planHandover(tenant, options.project, recorded.map((f) => ({fileName: f.file_name, kind: f.kind, sha256: f.sha256})))
  const base = {tenantId: tenant.id, handoverId: plan.id, unitReference: plan.record.unit.reference}
  if (options.dryRun) {
    assertDossier(tenant)
    return {...base, status: 'dry-run', dryRun: true, pickedUp: false, notified: false, attempts: 0, files: filesOf(plan, null, 'dry-run')}
  }
  const done = alreadyDone(deps, plan, options)
  if (done && options.redeliver) throw nothingToRedeliver(plan, 'was picked up by Immotop 2')
  if (done) return {...base, ...done}
  // A handover already under way goes on with what it has; a new one needs the dossier.
  if (recorded.length === 0) assertDossier(tenant)
  await markHandover(deps, plan, tenant)
  const notify = options.notify && Boolean(deps.mailer)
  const {op, staging} = await claimWithFolder(deps, plan, notify, recorded, options.redeliver)
  const ctx: StepContext = {...deps, staging, plan, spool: new Spool(deps.ledger.stateDir, plan.id), signal: options.signal, progress}
  const outcome = await runSteps(ctx, op, {...options, notify})
  return {...base, ...outcome, dryRun: false, attempts: op.attempts + 1, files: filesOf(plan, deps, outcome.pickedUp ? 'picked_up' : 'delivered')}
}

/**
 * One handover per tenant per melon project, whatever the state folder:
 * melon keeps which installation hands the tenant over. Another
 * installation's marker on the tenant (as listed) stops it here; otherwise
 * the marker is written before anything is delivered, and melon refuses it
 * when another installation was quicker. A marker of this installation for
 * this handover is not written again.
 */
async function markHandover(deps: HandoverDeps, plan: Plan, tenant: Tenant): Promise<void> {
  const installation = installationOf(deps.ledger.stateDir)
  const held = tenant.handover
  if (held && held.installation_id !== installation.id) throw handedOverElsewhere(tenant.id, held)
  if (held?.handover_id === plan.id) return
  const marker = {installation_id: installation.id, installation_name: installation.name, handover_id: plan.id}
  await deps.melon.markHandover(tenant.id, marker, `handover-${plan.id}-${installation.id}`)
}

/**
 * Claims the handover and settles the staging folder it is delivered and
 * judged in (after a new start, with --redeliver). Anything that fails here
 * releases the claim.
 */
async function claimWithFolder(deps: HandoverDeps, plan: Plan, notify: boolean, recorded: FileRow[], redeliver: ExportOptions['redeliver']): Promise<{op: OperationRow; staging: HandoverDeps['staging']}> {
  const configured = {dir: deps.staging.incomingDir, id: await deps.staging.identity()}
  let op = claim(deps, plan, notify, recorded, configured)
  try {
    if (redeliver) op = await startOver(deps, plan, op, configured, redeliver.confirm)
    const waiting = op.staging_dir === null || op.staging_dir === configured.dir ? [] : deps.ledger.files(plan.opKey).filter((f) => !f.picked_up_at).map((f) => f.file_name)
    const {view, follow} = await deps.staging.forHandover(op.staging_dir, op.staging_dir_id, configured.id, waiting)
    // The configured folder is where its files are now (the same folder under another path, or they were moved): the handover follows it.
    if (follow) deps.ledger.bindStaging(plan.opKey, configured.dir, configured.id, true)
    return {op, staging: view}
  } catch (error) {
    deps.ledger.release(plan.opKey)
    throw error
  }
}

function nothingToRedeliver(plan: Plan, why: string): ConflictError {
  return new ConflictError(
    'NOTHING_TO_REDELIVER',
    `Tenant ${plan.tenant.id} has no handover waiting for pick-up with this dossier (handover ${plan.id} ${why}); --redeliver only sends again the files of a handover that waits.`,
    'Run export-tenant without --redeliver; `melon-immotop history --tenant` shows the handover.',
  )
}

/**
 * --redeliver: a handover that waits for pick-up, whose files the operator
 * says are lost, starts over. What is left of its files is taken back from
 * the folder they went into (where it can be read), so that no copy waits
 * there any more, after one commit in which its files count as never
 * delivered and it is bound to the folder configured now. The next steps
 * fetch and deliver them again under the same names and DmsDocumentIds.
 */
async function startOver(deps: HandoverDeps, plan: Plan, op: OperationRow, configured: {dir: string; id: string | null}, confirm: NonNullable<ExportOptions['redeliver']>['confirm']): Promise<OperationRow> {
  const {ledger} = deps
  if (op.step !== 'delivered') throw nothingToRedeliver(plan, op.step === 'started' || op.step === 'fetched' ? 'is not delivered yet' : `is at step ${op.step}`)
  const folder = op.staging_dir ?? configured.dir
  await refuseIfTaken(deps, plan, op, folder)
  if (!(await confirm({handoverId: plan.id, folder, since: op.delivered_at}))) {
    throw new UsageError('NOT_CONFIRMED', `The new delivery of handover ${plan.id} was not confirmed; nothing was changed.`, 'Run it again and confirm, or pass --yes.')
  }
  // The commit first: taking the files back before it, a crash in between would leave a handover that "waits"
  // for files no longer there, which the next run would take for picked up.
  ledger.transaction(() => {
    ledger.resetDelivery(plan.opKey, plan.files.map((f) => f.fileName))
    ledger.advance(plan.opKey, 'started', 'in_progress', `delivered again on request: the files in ${folder} were lost`)
    ledger.bindStaging(plan.opKey, configured.dir, configured.id)
  })
  const former = deps.staging.boundTo(folder)
  for (const file of plan.files) await former.retract(file).catch(() => undefined)
  return ledger.get(plan.opKey)!
}

/**
 * --redeliver looks before it sends: where the folder the files went into
 * can be read and is still that folder, files gone from it (or answered
 * SavedDocument) are Immotop 2's pick-up (W&W's use case 5), and delivering
 * them again would put them into Immotop 2 twice. A folder that cannot be
 * read, or another folder at its path, says nothing: the files may be lost
 * with it, which is what --redeliver is for.
 */
async function refuseIfTaken(deps: HandoverDeps, plan: Plan, op: OperationRow, folder: string): Promise<void> {
  let state
  try {
    const configuredId = await deps.staging.identity()
    const {view} = await deps.staging.forHandover(op.staging_dir, op.staging_dir_id, configuredId)
    state = await view.pickupState(plan.files)
  } catch (error) {
    const code = toAppError(error).code
    if (code === 'STAGING_UNREADABLE' || code === 'STAGING_FOLDER_REPLACED') return
    throw error
  }
  if (state.pickedUp.length === 0) return
  const answered = state.pickedUp.filter((f) => f.answer).length
  throw new ConflictError(
    'ALREADY_PICKED_UP',
    `Immotop 2 has taken ${state.pickedUp.length} of ${plan.files.length} files of handover ${plan.id} from ${folder} (${answered > 0 ? `${answered} answered SavedDocument, the others gone from the folder` : 'gone from the folder, as Immotop 2 takes them'}); delivering them again would put them into Immotop 2 twice, so nothing was sent.`,
    'Run export-tenant without --redeliver: it records the pick-up and goes on (the contract staff get one mail). Only if Immotop 2 does not hold these documents (look them up by DmsDocumentId) did someone else remove the files; ask W&W before delivering again.',
  )
}

/** A tenant already handed over (with this dossier, or any dossier when not redoing) is reported, not sent again. */
function alreadyDone(deps: HandoverDeps, plan: Plan, options: ExportOptions): Omit<ExportResult, 'tenantId' | 'unitReference'> | null {
  const finished = deps.ledger.doneForTenant(plan.tenant.id)
  if (!finished || (finished.op_key !== plan.opKey && options.redoChangedDossier)) return null
  const files =
    finished.op_key === plan.opKey
      ? filesOf(plan, deps, 'picked_up')
      : deps.ledger.files(finished.op_key).map((f) => ({fileName: f.file_name, dateiName: '', dmsDocumentId: '', kind: f.kind, size: f.size, sha256: f.sha256, delivery: 'picked_up' as const, immotopDocumentId: f.immotop_document_id}))
  return {handoverId: finished.handover_id, status: 'already_done', dryRun: false, pickedUp: true, notified: finished.step === 'notified', attempts: finished.attempts, files}
}

/**
 * Claims the operation for this process (creating it if new), or says who
 * holds it. Until a control file of it has gone in, the handover is bound to
 * the staging folder configured now.
 */
function claim(deps: HandoverDeps, plan: Plan, notify: boolean, recorded: FileRow[], configured: {dir: string; id: string | null}): OperationRow {
  const {ledger} = deps
  // Claim, attempt, the planned files and the folder in one commit.
  const op = ledger.transaction(() => {
    const claimed = ledger.claim({op_key: plan.opKey, tenant_id: plan.tenant.id, unit_ref: plan.record.unit.reference, handover_id: plan.id, dossier_hash: plan.dossierHash}, notify)
    if (!claimed) return null
    ledger.startAttempt(plan.opKey)
    ledger.recordFiles(plan.opKey, plan.files.map((f) => ({file_name: f.fileName, kind: f.kind, size: f.size, sha256: f.sha256})))
    // `recorded`: the ledger's files of this handover, read just before (a new one has none).
    const inFolder = stepIndex(claimed.step) >= stepIndex('delivered') || recorded.some((f) => f.control_moved_at)
    if (inFolder || (claimed.staging_dir === configured.dir && claimed.staging_dir_id === configured.id)) return claimed
    ledger.bindStaging(plan.opKey, configured.dir, configured.id)
    return {...claimed, staging_dir: configured.dir, staging_dir_id: configured.id}
  })
  if (!op) {
    const holder = ledger.get(plan.opKey)
    throw new ConflictError('HANDOVER_BUSY', `Tenant ${plan.tenant.id} is being handed over by another melon-immotop process (pid ${holder?.owner_pid}).`, 'Wait for it to finish; `melon-immotop history --tenant` shows its progress.')
  }
  return op
}

/** Runs the steps from the one the ledger holds; on SIGINT/SIGTERM an unfinished fetch is forgotten at once. */
async function runSteps(ctx: StepContext, op: OperationRow, options: ExportOptions): Promise<Pick<ExportResult, 'status' | 'pickedUp' | 'notified'>> {
  const {ledger, plan} = ctx
  let step: HandoverStep = op.step
  const resumedWaiting = step === 'delivered'
  const onAbort = () => {
    if (stepIndex(step) < stepIndex('delivered')) {
      ctx.spool.removeNow()
      ledger.advance(plan.opKey, 'started', 'in_progress', 'interrupted; fetched files removed')
    }
    ledger.release(plan.opKey)
  }
  options.signal?.addEventListener('abort', onAbort, {once: true})
  try {
    if (stepIndex(step) < stepIndex('delivered')) await ctx.staging.assertUsable()
    if (step === 'started') step = await fetchStep(ctx).then(() => 'fetched' as const)
    if (step === 'fetched') step = await deliverStep(ctx).then(() => 'delivered' as const)
    if (step === 'delivered') {
      if (!options.wait) return {status: 'delivered', pickedUp: false, notified: false}
      const timeout = resumedWaiting && options.recheckTimeoutMs !== undefined ? options.recheckTimeoutMs : options.pickupTimeoutMs
      step = await pickupStep(ctx, timeout, options.notify)
    }
    if (options.notify && (step === 'picked_up' || step === 'notifying')) step = await notifyStep(ctx, step).then(() => 'notified' as const)
    return {status: 'exported', pickedUp: true, notified: step === 'notified'}
  } catch (error) {
    throw await recordFailure(ctx, step, error)
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    ledger.release(plan.opKey)
    if (stepIndex(step) >= stepIndex('delivered')) await ctx.spool.remove()
  }
}

/**
 * What a failure leaves: before delivery nothing (the spool goes, the next
 * run fetches anew); after it, the files stay delivered. A pick-up still
 * pending is not a failure. Returns the error to throw.
 */
async function recordFailure(ctx: StepContext, step: HandoverStep, error: unknown): Promise<AppError> {
  const {ledger, plan} = ctx
  const app = diskFullError(error, folderOf(error) ?? ledger.stateDir, 'What was delivered stays; the next run continues from the last completed step.') ?? toAppError(error)
  const beforeDelivery = stepIndex(step) < stepIndex('delivered')
  if (beforeDelivery) await ctx.spool.remove()
  if (app.code === 'PICKUP_PENDING') return app
  // Delivered, and the folder could not be looked at: still waiting, not failed (history and doctor list it as waiting).
  if (app.code === 'STAGING_UNREADABLE' && !beforeDelivery) {
    try {
      ledger.note(plan.opKey, 'pickup_unknown', app.message)
    } catch {
      // The note is for history only.
    }
    return app
  }
  try {
    const current = ledger.get(plan.opKey)
    if (current && current.status !== 'failed') ledger.fail(plan.opKey, app.code, app.message, beforeDelivery ? 'started' : undefined)
    else if (current && beforeDelivery && current.step !== 'started') ledger.advance(plan.opKey, 'started', 'failed', 'fetched files removed after the failure')
  } catch {
    // A full disk may refuse this record too; the step in the ledger is still the last completed one.
  }
  return app
}
