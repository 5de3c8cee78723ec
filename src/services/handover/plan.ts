/**
 * What one handover delivers, derived from the tenant alone: ids, file names,
 * speaking names, DmsDocumentIds and the tenant record. Pure: the same tenant
 * and dossier always give the same plan, so a re-run finds its own files.
 */
import {createHash} from 'node:crypto'
import type {StagedFile} from '../../adapters/staging-dir.js'
import type {Tenant} from '../../wire/melon-wire.js'
import {dmsDocumentId, documentOrder, dossierHash, handoverFileName, handoverId, operationKey, speakingNames} from '../../core/handover.js'
import {tenantRecordFrom, type RecordDocument, type TenantRecord} from '../../core/tenant-record.js'

export interface PlannedFile extends StagedFile {
  kind: string
  /** Index into tenant.documents; null for the tenant record. */
  documentIndex: number | null
}

export interface Plan {
  tenant: Tenant
  opKey: string
  id: string
  dossierHash: string
  record: TenantRecord
  recordBytes: Buffer
  /** Documents first, the tenant record last (W&W's write order: what the record lists is there before it). */
  files: PlannedFile[]
}

/**
 * `recorded`: the files the ledger holds for this handover (claimed before):
 * their positions are kept (see `documentOrder`).
 */
export function planHandover(tenant: Tenant, project: string, recorded: Array<{fileName: string; kind: string; sha256: string}> = []): Plan {
  const opKey = operationKey(project, tenant.id, tenant.documents)
  const id = handoverId(tenant.id, opKey)
  const ordered = documentOrder(tenant.documents, recorded, id)
  const names = speakingNames([...ordered.map((d) => ({kind: d.kind, contentType: d.content_type})), {kind: 'tenant_record', contentType: 'application/json'}])
  const documents: RecordDocument[] = ordered.map((doc, index) => ({
    position: index + 1,
    kind: doc.kind,
    dmsDocumentId: dmsDocumentId(id, index + 1),
    dateiName: names[index]!,
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
    dossierHash: dossierHash(tenant.documents),
    record,
    recordBytes,
    files: [
      // documentIndex points into tenant.documents, in melon's order, where fetch finds the document.
      ...documents.map((d, index) => ({fileName: d.fileName, dmsDocumentId: d.dmsDocumentId, dateiName: d.dateiName, kind: d.kind, size: d.size, sha256: d.sha256, documentIndex: tenant.documents.indexOf(ordered[index]!)})),
      {
        fileName: handoverFileName(id, 0, 'tenant_record', 'application/json'),
        dmsDocumentId: dmsDocumentId(id, 0),
        dateiName: names.at(-1)!,
        kind: 'tenant_record',
        size: recordBytes.length,
        sha256: createHash('sha256').update(recordBytes).digest('hex'),
        documentIndex: null,
      },
    ],
  }
}
