/**
 * Identity and file naming of one handover (tenant → Immotop 2). Pure.
 *
 * The operation key is derived from the logical operation, the tenant id plus
 * the hash of its dossier, so that a re-run after a crash finds the same
 * handover id, the same file names, and Immotop 2's acknowledgements for them.
 */
import {createHash} from 'node:crypto'
import type {DocumentKind, DocumentMeta} from '../contracts/melon-wire.js'

/**
 * The documents in the order of English collation, whatever the machine's
 * locale: the key of a handover must not change when a service runs under
 * another locale than the operator's shell (a Danish, Czech or Lithuanian
 * locale orders ids like "aa", "ch" or "y1" differently). English is what the
 * Swiss locales and C/POSIX give, so keys made before stay the same.
 */
const byId = new Intl.Collator('en')

export function dossierHash(documents: Pick<DocumentMeta, 'id' | 'sha256'>[]): string {
  const hash = createHash('sha256')
  for (const doc of [...documents].sort((a, b) => byId.compare(a.id, b.id))) hash.update(`${doc.id}:${doc.sha256}\n`)
  return hash.digest('hex')
}

export function operationKey(project: string, tenantId: string, documents: Pick<DocumentMeta, 'id' | 'sha256'>[]): string {
  return createHash('sha256').update(`${project}\n${tenantId}\n${dossierHash(documents)}`).digest('hex')
}

export function handoverId(tenantId: string, opKey: string): string {
  return `mi-${tenantId}-${opKey.slice(0, 12)}`
}

const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'application/json': 'json',
}

/** `mi-T1001-0a1b2c3d4e5f_02_id_copy.pdf`: no personal data in file names. */
export function handoverFileName(id: string, position: number, kind: DocumentKind | 'tenant_record', contentType: string): string {
  const ext = EXTENSIONS[contentType.split(';')[0]!.trim()] ?? 'bin'
  return `${id}_${String(position).padStart(2, '0')}_${kind}.${ext}`
}

/** W&W's DmsDocumentId of one file of a handover: stable and unique (`mi-T-1001-0a1b2c3d4e5f-02`; 00 is the tenant record). */
export function dmsDocumentId(handover: string, position: number): string {
  return `${handover}-${String(position).padStart(2, '0')}`
}

const SPEAKING: Record<DocumentKind | 'tenant_record', string> = {
  dossier: 'Bewerbungsdossier',
  id_copy: 'Ausweiskopie',
  debt_enforcement_extract: 'Betreibungsregisterauszug',
  salary_statement: 'Lohnausweis',
  reference: 'Referenz',
  other: 'Dokument',
  tenant_record: 'Mieterdaten',
}

/**
 * W&W's DateiName: a speaking file name without personal data, per kind
 * (`Betreibungsregisterauszug.pdf`); a kind that repeats is numbered
 * (`Referenz.pdf`, `Referenz-2.pdf`).
 */
export function speakingNames(files: Array<{kind: DocumentKind | 'tenant_record'; contentType: string}>): string[] {
  const seen = new Map<string, number>()
  return files.map((file) => {
    const base = SPEAKING[file.kind]
    const count = (seen.get(base) ?? 0) + 1
    seen.set(base, count)
    const ext = EXTENSIONS[file.contentType.split(';')[0]!.trim()] ?? 'bin'
    return `${base}${count > 1 ? `-${count}` : ''}.${ext}`
  })
}

/** The control file belongs to the document whose name differs only in the suffix. */
export function controlFileName(documentFileName: string): string {
  const dot = documentFileName.lastIndexOf('.')
  return `${dot > 0 ? documentFileName.slice(0, dot) : documentFileName}.xml_it2`
}
