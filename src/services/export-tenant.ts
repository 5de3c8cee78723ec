/**
 * Hand one tenant without contract, with the complete dossier, to Immotop 2:
 * the pipeline shared by `export-tenant` and `sync`, recorded step by step in
 * the ledger so that a re-run resumes where the last one stopped.
 *
 *   started → fetched     stream every document from melon into the spool
 *                         (stateDir/spool/<handover>/), SHA-256 and size checked,
 *                         and write the tenant record next to them
 *   fetched → delivered   deliver documents first, the record last, into the
 *                         staging folder (W&W's write order); drop the spool
 *   delivered → acknowledged   wait for Immotop 2's SavedDocument answers
 *   acknowledged → notifying → notified   one mail to contract staff
 *
 * A step that is done is never redone: delivery reconciles with what already
 * waits in the staging and acknowledgement folders. A refusal (FehlerText)
 * marks the operation failed and sends it back to `started`; the next run
 * fetches and delivers the refused file again.
 */
import {createHash} from 'node:crypto'
import {createReadStream, existsSync, mkdirSync, rmSync} from 'node:fs'
import {readdir, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import type {Mailer} from '../adapters/mailer.js'
import type {MelonClient} from '../adapters/melon-client.js'
import type {StagingDirectory} from '../adapters/staging-dir.js'
import type {Tenant} from '../contracts/melon-wire.js'
import {controlFileName, dossierHash, handoverFileName, handoverId, operationKey} from '../core/handover.js'
import {notificationFor} from '../core/notification.js'
import {tenantRecordFrom, type RecordDocument, type TenantRecord} from '../core/tenant-record.js'
import {AppError, ConflictError, UnavailableError, toAppError} from '../errors.js'
import {HANDOVER_STEPS, type HandoverStep, type Ledger} from '../state/ledger.js'

export interface ExportOptions {
  project: string
  dryRun: boolean
  wait: boolean
  ackTimeoutMs: number
  /** Send the notification mail (when a mailer is given). */
  notify: boolean
  /** A tenant already handed over with another dossier is handed over again (explicit export-tenant). */
  redoChangedDossier: boolean
  signal?: AbortSignal
  onProgress?: (step: string) => void
}

export interface ExportedFile {
  fileName: string
  kind: string
  size: number
  sha256: string
  delivery: 'delivered' | 'pending' | 'acknowledged' | 'dry-run' | 'done'
  immotopDocumentId: string | null
}

export interface ExportResult {
  tenantId: string
  handoverId: string
  unitReference: string
  /** exported: this run finished it; already_done: an earlier run had; delivered: waiting for Immotop 2. */
  status: 'exported' | 'already_done' | 'delivered' | 'dry-run'
  dryRun: boolean
  acknowledged: boolean
  notified: boolean
  attempts: number
  files: ExportedFile[]
}

export interface HandoverDeps {
  melon: MelonClient
  staging: StagingDirectory
  ledger: Ledger
  mailer?: Mailer | null
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

const stepIndex = (step: HandoverStep) => HANDOVER_STEPS.indexOf(step)

interface Plan {
  tenant: Tenant
  opKey: string
  id: string
  record: TenantRecord
  recordBytes: Buffer
  files: Array<{fileName: string; kind: string; size: number; sha256: string; documentIndex: number | null}>
}

function plan(tenant: Tenant, project: string): Plan {
  const opKey = operationKey(project, tenant.id, tenant.documents)
  const id = handoverId(tenant.id, opKey)
  const documents: RecordDocument[] = tenant.documents.map((doc, index) => ({
    position: index + 1,
    kind: doc.kind,
    fileName: handoverFileName(id, index + 1, doc.kind, doc.content_type),
    contentType: doc.content_type,
    size: doc.size,
    sha256: doc.sha256,
  }))
  const record = tenantRecordFrom(tenant, {handoverId: id, project, documents})
  const recordBytes = Buffer.from(JSON.stringify(record, null, 2) + '\n', 'utf8')
  return {
    tenant,
    opKey,
    id,
    record,
    recordBytes,
    files: [
      ...documents.map((d, index) => ({fileName: d.fileName, kind: d.kind, size: d.size, sha256: d.sha256, documentIndex: index})),
      {fileName: handoverFileName(id, 0, 'tenant_record', 'application/json'), kind: 'tenant_record', size: recordBytes.length, sha256: createHash('sha256').update(recordBytes).digest('hex'), documentIndex: null},
    ],
  }
}

async function fileMatches(path: string, size: number, sha256: string): Promise<boolean> {
  try {
    if ((await stat(path)).size !== size) return false
  } catch {
    return false
  }
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex') === sha256
}

export async function exportTenant(deps: HandoverDeps, tenantOrId: string | Tenant, options: ExportOptions): Promise<ExportResult> {
  const progress = options.onProgress ?? (() => {})
  progress('reading tenant from melon')
  const tenant = typeof tenantOrId === 'string' ? await deps.melon.getTenant(tenantOrId) : tenantOrId
  assertExportable(tenant)
  const p = plan(tenant, options.project)
  const base = {tenantId: tenant.id, handoverId: p.id, unitReference: p.record.unit.reference}
  if (options.dryRun) {
    return {...base, status: 'dry-run', dryRun: true, acknowledged: false, notified: false, attempts: 0, files: p.files.map((f) => ({fileName: f.fileName, kind: f.kind, size: f.size, sha256: f.sha256, delivery: 'dry-run' as const, immotopDocumentId: null}))}
  }
  const {ledger} = deps
  const finished = ledger.doneForTenant(tenant.id)
  if (finished && (finished.op_key === p.opKey || !options.redoChangedDossier)) {
    const files = ledger.files(finished.op_key)
    return {
      ...base,
      handoverId: finished.handover_id,
      status: 'already_done',
      dryRun: false,
      acknowledged: true,
      notified: finished.step === 'notified',
      attempts: finished.attempts,
      files: files.map((f) => ({fileName: f.file_name, kind: f.kind, size: f.size, sha256: f.sha256, delivery: 'done' as const, immotopDocumentId: f.immotop_document_id})),
    }
  }
  const notify = options.notify && Boolean(deps.mailer)
  const op = ledger.claim({op_key: p.opKey, tenant_id: tenant.id, unit_ref: p.record.unit.reference, handover_id: p.id, dossier_hash: dossierHash(tenant.documents)}, notify)
  if (!op) {
    const holder = ledger.get(p.opKey)
    throw new ConflictError('HANDOVER_BUSY', `Tenant ${tenant.id} is being handed over by another melon-immotop process (pid ${holder?.owner_pid}).`, 'Wait for it to finish; `melon-immotop history --tenant` shows its progress.')
  }
  ledger.startAttempt(p.opKey)
  let step = op.step
  const spool = join(ledger.stateDir, 'spool', p.id)
  // On SIGINT/SIGTERM: drop the spool and forget an unfinished fetch, synchronously (the process exits next).
  const onAbort = () => {
    if (stepIndex(step) < stepIndex('delivered')) {
      rmSync(spool, {recursive: true, force: true})
      ledger.advance(p.opKey, 'started', 'in_progress', 'interrupted; fetched files removed')
    }
    ledger.release(p.opKey)
  }
  options.signal?.addEventListener('abort', onAbort, {once: true})
  // Between steps: once aborted, abandon safely instead of starting the next step.
  const checkpoint = () => {
    if (options.signal?.aborted) throw new UnavailableError('ABANDONED', `The handover of tenant ${tenant.id} was stopped at step ${step}; the next run resumes it.`, 'Run sync or export-tenant again.')
  }
  const files: ExportedFile[] = p.files.map((f) => ({fileName: f.fileName, kind: f.kind, size: f.size, sha256: f.sha256, delivery: 'delivered', immotopDocumentId: null}))
  try {
    ledger.recordFiles(p.opKey, p.files.map((f) => ({file_name: f.fileName, kind: f.kind, size: f.size, sha256: f.sha256})))
    if (stepIndex(step) < stepIndex('delivered')) {
      await deps.staging.assertUsable()
      // fetched: the spool holds every file; after a crash, what is there and intact is kept.
      mkdirSync(spool, {recursive: true, mode: 0o700})
      for (const name of await readdir(spool)) if (name.endsWith('.part')) await rm(join(spool, name), {force: true})
      for (const f of p.files) {
        const target = join(spool, f.fileName)
        checkpoint()
        if (await fileMatches(target, f.size, f.sha256)) continue
        if (f.documentIndex === null) {
          await writeFile(target, p.recordBytes, {mode: 0o600})
        } else {
          progress(`downloading document ${f.documentIndex + 1} of ${tenant.documents.length} (${f.kind})`)
          await deps.melon.downloadDocument(tenant.id, tenant.documents[f.documentIndex]!, target)
        }
      }
      if (step === 'started') {
        ledger.advance(p.opKey, 'fetched')
        step = 'fetched'
      }
      progress('delivering into the Immotop 2 staging folder')
      checkpoint()
      for (const [index, f] of p.files.entries()) {
        files[index]!.delivery = await deps.staging.deliver(join(spool, f.fileName), options.signal, {
          version: '1.0',
          action: 'NewDocument',
          dmsArchivId: p.id,
          dmsDocumentId: `${p.id}-${String(f.documentIndex === null ? 0 : f.documentIndex + 1).padStart(2, '0')}`,
          documentId: '',
          dateiName: f.fileName,
          fehlerText: '',
          dokumentart: f.kind,
          groesse: f.size,
          sha256: f.sha256,
          objektReferenz: p.record.unit.reference,
        })
        ledger.markDelivered(p.opKey, f.fileName)
      }
      ledger.advance(p.opKey, 'delivered')
      step = 'delivered'
      await rm(spool, {recursive: true, force: true})
    }
    if (!options.wait && stepIndex(step) < stepIndex('acknowledged')) {
      return {...base, status: 'delivered', dryRun: false, acknowledged: false, notified: false, attempts: op.attempts + 1, files}
    }
    const names = p.files.map((f) => controlFileName(f.fileName))
    checkpoint()
    if (stepIndex(step) < stepIndex('acknowledged')) {
      progress('waiting for Immotop 2 to acknowledge')
      try {
        const acks = await deps.staging.waitForAcks(names, options.ackTimeoutMs, options.signal)
        for (const [index, ack] of acks.entries()) ledger.recordAck(p.opKey, p.files[index]!.fileName, ack.control.documentId || null)
      } catch (error) {
        const app = toAppError(error)
        // A refusal sends the operation back to the start: the refused file is fetched and delivered again.
        ledger.fail(p.opKey, app.code, app.message, app.code === 'IMMOTOP_ACK_ERROR' ? 'started' : undefined)
        throw app
      }
      ledger.advance(p.opKey, 'acknowledged', notify ? 'in_progress' : 'done')
      step = 'acknowledged'
      await deps.staging.removeAcks(names)
    }
    for (const row of ledger.files(p.opKey)) {
      const file = files.find((f) => f.fileName === row.file_name)
      if (file) {
        file.immotopDocumentId = row.immotop_document_id
        file.delivery = 'acknowledged'
      }
    }
    let notified = step === 'notified'
    if (notify && !notified) {
      checkpoint()
      progress('notifying contract staff')
      // Intent first: a crash after this line resends with the same Message-ID; never twice otherwise.
      if (step !== 'notifying') ledger.advance(p.opKey, 'notifying')
      const record = p.record
      const address = tenant.object_address ? `${tenant.object_address.street} ${tenant.object_address.house_number ?? ''}, ${tenant.object_address.postal_code} ${tenant.object_address.city}`.replace(' ,', ',') : null
      try {
        await deps.mailer!.send(
          notificationFor({
            handoverId: p.id,
            tenantId: tenant.id,
            names: record.persons.map((person) => `${person.firstName} ${person.surname}`),
            unitReference: record.unit.reference,
            unitTitle: record.unit.title,
            unitAddress: address,
            requestedMoveInDate: record.requestedMoveInDate,
            immotopDocumentIds: files.map((f) => f.immotopDocumentId ?? '').filter(Boolean),
          }),
        )
      } catch (error) {
        const app = toAppError(error)
        ledger.fail(p.opKey, app.code, app.message, 'acknowledged')
        throw app
      }
      ledger.advance(p.opKey, 'notified', 'done')
      notified = true
    }
    return {...base, status: 'exported', dryRun: false, acknowledged: true, notified, attempts: op.attempts + 1, files}
  } catch (error) {
    const app = error instanceof AppError ? error : toAppError(error)
    // Before delivery, a failure leaves nothing behind: the spool goes, the next run fetches anew.
    const beforeDelivery = stepIndex(step) < stepIndex('delivered')
    if (beforeDelivery) await rm(spool, {recursive: true, force: true})
    const current = ledger.get(p.opKey)
    if (current && current.status !== 'failed') ledger.fail(p.opKey, app.code, app.message, beforeDelivery ? 'started' : undefined)
    else if (current && beforeDelivery) ledger.advance(p.opKey, 'started', 'failed', 'fetched files removed after the failure')
    throw app
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    ledger.release(p.opKey)
    if (stepIndex(step) >= stepIndex('delivered') && existsSync(spool)) await rm(spool, {recursive: true, force: true})
  }
}

