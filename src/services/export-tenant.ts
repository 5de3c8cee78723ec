/**
 * Export one tenant without contract, with the complete dossier, into Immotop 2.
 *
 * 1. Read the tenant from melon; refuse anything but "without contract".
 * 2. Stream every document to a private temporary folder, hashing on the way,
 *    and check each against melon's SHA-256 and size.
 * 3. Write the tenant record (docs/contracts/immotop2.md) next to them.
 * 4. Deliver documents first and the record last into the staging folder.
 * 5. Wait for Immotop 2's SavedDocument acknowledgements (unless told not to).
 * The temporary folder is removed on success, failure and interrupt.
 */
import {createHash} from 'node:crypto'
import {rmSync} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {MelonClient} from '../adapters/melon-client.js'
import type {StagingDirectory} from '../adapters/staging-dir.js'
import type {Tenant} from '../contracts/melon-wire.js'
import {controlFileName, handoverFileName, handoverId, operationKey} from '../core/handover.js'
import {tenantRecordFrom, type RecordDocument, type TenantRecord} from '../core/tenant-record.js'
import {ConflictError} from '../errors.js'

export interface ExportOptions {
  project: string
  dryRun: boolean
  wait: boolean
  ackTimeoutMs: number
  signal?: AbortSignal
  onProgress?: (step: string) => void
}

export interface ExportedFile {
  fileName: string
  kind: string
  size: number
  sha256: string
  delivery: 'delivered' | 'pending' | 'acknowledged' | 'dry-run'
  immotopDocumentId: string | null
}

export interface ExportResult {
  tenantId: string
  handoverId: string
  unitReference: string
  dryRun: boolean
  acknowledged: boolean
  files: ExportedFile[]
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

export async function exportTenant(
  deps: {melon: MelonClient; staging: StagingDirectory},
  tenantId: string,
  options: ExportOptions,
): Promise<ExportResult> {
  const progress = options.onProgress ?? (() => {})
  progress('reading tenant from melon')
  const tenant = await deps.melon.getTenant(tenantId)
  assertExportable(tenant)
  const opKey = operationKey(options.project, tenant.id, tenant.documents)
  const id = handoverId(tenant.id, opKey)
  const documents: RecordDocument[] = tenant.documents.map((doc, index) => ({
    position: index + 1,
    kind: doc.kind,
    fileName: handoverFileName(id, index + 1, doc.kind, doc.content_type),
    contentType: doc.content_type,
    size: doc.size,
    sha256: doc.sha256,
  }))
  const record = tenantRecordFrom(tenant, {handoverId: id, project: options.project, documents})
  const recordBytes = Buffer.from(JSON.stringify(record, null, 2) + '\n', 'utf8')
  const recordFile = {
    fileName: handoverFileName(id, 0, 'tenant_record', 'application/json'),
    kind: 'tenant_record',
    size: recordBytes.length,
    sha256: createHash('sha256').update(recordBytes).digest('hex'),
  }
  if (options.dryRun) {
    return {
      tenantId: tenant.id,
      handoverId: id,
      unitReference: record.unit.reference,
      dryRun: true,
      acknowledged: false,
      files: [...documents.map((d) => ({fileName: d.fileName, kind: d.kind, size: d.size, sha256: d.sha256})), recordFile].map((f) => ({
        ...f,
        delivery: 'dry-run' as const,
        immotopDocumentId: null,
      })),
    }
  }
  await deps.staging.assertUsable()
  const work = await mkdtemp(join(tmpdir(), 'melon-immotop-'))
  // Synchronous: on SIGINT/SIGTERM the process exits right after the abort listeners ran.
  const abort = () => rmSync(work, {recursive: true, force: true})
  options.signal?.addEventListener('abort', abort, {once: true})
  try {
    const files: ExportedFile[] = []
    for (const [index, doc] of tenant.documents.entries()) {
      const target = documents[index]!
      progress(`downloading document ${index + 1} of ${tenant.documents.length} (${doc.kind})`)
      const local = join(work, target.fileName)
      await deps.melon.downloadDocument(tenant.id, doc, local)
      files.push({fileName: target.fileName, kind: doc.kind, size: doc.size, sha256: doc.sha256, delivery: 'delivered', immotopDocumentId: null})
    }
    await writeFile(join(work, recordFile.fileName), recordBytes, {mode: 0o600})
    files.push({...recordFile, delivery: 'delivered', immotopDocumentId: null})
    progress('delivering into the Immotop 2 staging folder')
    for (const [index, file] of files.entries()) {
      file.delivery = await deps.staging.deliver(join(work, file.fileName), options.signal, {
        version: '1.0',
        action: 'NewDocument',
        dmsArchivId: id,
        dmsDocumentId: `${id}-${String(index === files.length - 1 ? 0 : index + 1).padStart(2, '0')}`,
        documentId: '',
        dateiName: file.fileName,
        fehlerText: '',
        dokumentart: file.kind,
        groesse: file.size,
        sha256: file.sha256,
        objektReferenz: record.unit.reference,
      })
    }
    let acknowledged = false
    if (options.wait) {
      progress('waiting for Immotop 2 to acknowledge')
      const names = files.map((f) => controlFileName(f.fileName))
      const acks = await deps.staging.waitForAcks(names, options.ackTimeoutMs, options.signal)
      for (const [index, ack] of acks.entries()) files[index]!.immotopDocumentId = ack.control.documentId || null
      await deps.staging.removeAcks(names)
      acknowledged = true
    }
    return {tenantId: tenant.id, handoverId: id, unitReference: record.unit.reference, dryRun: false, acknowledged, files}
  } finally {
    options.signal?.removeEventListener('abort', abort)
    await rm(work, {recursive: true, force: true})
  }
}

export type {TenantRecord}
