/**
 * Identity and file naming of one handover (tenant → Immotop 2). Pure.
 *
 * The operation key is derived from the logical operation, the tenant id plus
 * the hash of its dossier, so that a re-run after a crash finds the same
 * handover id, the same file names, and Immotop 2's acknowledgements for them.
 */
import {createHash} from 'node:crypto'
import type {DocumentKind, DocumentMeta} from '../wire/melon-wire.js'

/**
 * The documents in the order of English collation, whatever the machine's
 * locale: the key of a handover must not change when a service runs under
 * another locale than the operator's shell (a Danish, Czech or Lithuanian
 * locale orders ids like "aa", "ch" or "y1" differently). English is what the
 * Swiss locales and C/POSIX give, so keys made before stay the same.
 */
let collator: Intl.Collator | undefined
/** Built on first use: a collator takes some milliseconds to build, and most commands never order documents. */
const byId = {compare: (a: string, b: string) => (collator ??= new Intl.Collator('en')).compare(a, b)}

export function dossierHash(documents: Pick<DocumentMeta, 'id' | 'sha256'>[]): string {
  const hash = createHash('sha256')
  for (const doc of [...documents].sort((a, b) => byId.compare(a.id, b.id))) hash.update(`${doc.id}:${doc.sha256}\n`)
  return hash.digest('hex')
}

/**
 * The documents in the order of their positions (01, 02, …). melon promises
 * no order, so the order is the handover's own: the dossier PDF first (01, as
 * docs/contracts/immotop2.md lays out), then the others by id. A handover
 * already claimed keeps the positions recorded then (`recorded`: its files'
 * names, kinds and SHA-256), so that a resumed run finds the files it
 * delivered, whatever order melon lists the documents in now and whichever
 * version of this tool first named them.
 */
export function documentOrder<D extends Pick<DocumentMeta, 'id' | 'kind' | 'sha256'>>(documents: D[], recorded: Array<{fileName: string; kind: string; sha256: string}> = [], handover = ''): D[] {
  const canonical = [...documents].sort((a, b) => Number(b.kind === 'dossier') - Number(a.kind === 'dossier') || byId.compare(a.id, b.id))
  if (recorded.length === 0) return canonical
  // Each recorded document's position, by what it holds (kind and content).
  const positions = new Map<string, number[]>()
  for (const file of recorded) {
    const position = file.fileName.startsWith(`${handover}_`) ? Number(file.fileName.slice(handover.length + 1, handover.length + 3)) : Number.NaN
    if (!(position >= 1)) continue
    const key = `${file.kind}\n${file.sha256}`
    positions.set(key, [...(positions.get(key) ?? []), position])
  }
  const placed = canonical.map((doc) => ({doc, position: positions.get(`${doc.kind}\n${doc.sha256}`)?.shift()}))
  const taken = new Set(placed.map((p) => p.position))
  // Only a complete record of distinct positions 1…n decides; anything else is not this handover's record.
  if (placed.some((p) => p.position === undefined || p.position > documents.length) || taken.size !== documents.length) return canonical
  return placed.sort((a, b) => a.position! - b.position!).map((p) => p.doc)
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
