/**
 * Immotop 2 emulator: the DMS REST services as W&W documents them (Basic auth
 * as wwdms, the Version header, JSON views with exactly the documented
 * columns, filtered by any column; `Test` answers 200 with an empty body), and
 * the staging folder as W&W's use case 5: a control file with its document
 * (same base name) is picked up, i.e. the document is archived and both files
 * are deleted. What follows depends on the pickup mode:
 *
 *   saved    answer with a SavedDocument control file carrying Immotop's
 *            DocumentId (undocumented by W&W for use case 5; the default)
 *   consume  pick up silently, as W&W documents it
 *   off      never pick anything up (an Immotop 2 whose import is stopped)
 */
import {createHash, timingSafeEqual} from 'node:crypto'
import {createReadStream, readFileSync} from 'node:fs'
import {copyFile, lstat, mkdir, readdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import Fastify, {type FastifyInstance} from 'fastify'
import * as z from 'zod'
import {readWwControl, writeWwControl, type WwControl} from './control-xml.js'
import {dtaMpexpExport, idxExport} from './exports.js'
import {countConnections, ensureMailTable, listMails} from './smtp-sink.js'
import {Faults, installHttpFaults} from './faults.js'
import {addTenancy, type ImmotopData} from './seed.js'
import type {Db} from './store.js'

export const PICKUP_MODES = ['saved', 'consume', 'off'] as const
export type PickupMode = (typeof PICKUP_MODES)[number]

export interface ImmotopEmulatorOptions {
  db: Db
  data: ImmotopData
  user: string
  password: string
  apiVersion: string
  incomingDir: string
  ackDir: string
  archiveDir: string
  /** How long a control file may wait for its document before it is refused. */
  missingDocumentGraceMs?: number
  /** What Immotop 2 does with the staging folder; changeable at run time (PUT /_sandbox/pickup). `passes` counts polls of the folder. */
  pickup: {mode: PickupMode; passes: number}
  /** The sandbox's day: its seed and exports agree on what is vacant. */
  today: string
  faults: Faults
  https?: {key: string | Buffer; cert: string | Buffer}
}

const TenancyRequest = z
  .object({
    unit: z.string().regex(/^\d+\.\d+\.\d+$/),
    from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable().default(null),
    name: z.string().min(1).max(200).nullable().default(null),
  })
  .strict()

/** POST /_sandbox/tenancies: what the contract staff do in Immotop 2. */
function installTenancyAdmin(app: FastifyInstance, options: ImmotopEmulatorOptions): void {
  // The contract staff draw up the contract: a new Mieter and Mieter-Verhältnis on the unit, created now.
  app.post('/_sandbox/tenancies', async (request, reply) => {
    const parsed = TenancyRequest.safeParse(request.body ?? {})
    if (!parsed.success) return reply.code(400).send({error: `${parsed.error.issues[0]!.path.join('.') || 'body'}: ${parsed.error.issues[0]!.message}`})
    const spec = {unit: parsed.data.unit, from: parsed.data.from, to: parsed.data.to, name: parsed.data.name}
    const insts = swissWallClock(new Date())
    const added = addTenancy(options.data, spec, insts)
    if (!added) return reply.code(404).send({error: `no unit ${spec.unit}`})
    options.db.prepare('INSERT INTO added_tenancies (spec, insts) VALUES (?, ?)').run(JSON.stringify(spec), insts)
    return reply.code(201).send({tenancy: added.tenancy, mieter: added.mieter, insts})
  })

}

/** Tenancies added at run time are kept in the sandbox's database and added again after a restart. */
export function replayTenancies(db: Db, data: ImmotopData): void {
  for (const row of db.prepare('SELECT spec, insts FROM added_tenancies ORDER BY id').all() as Array<{spec: string; insts: string}>) addTenancy(data, JSON.parse(row.spec), row.insts)
}

/** Immotop 2's own timestamps are the server's local wall-clock time (Switzerland), without a zone. */
function swissWallClock(moment: Date): string {
  return moment.toLocaleString('sv-SE', {timeZone: 'Europe/Zurich'}).replace(' ', 'T')
}

const fail = (code: number, message: string) => ({Erfolgreich: false, FehlerCode: code, FehlerMeldung: message})

export function createImmotopEmulator(options: ImmotopEmulatorOptions): FastifyInstance {
  const app = options.https ? (Fastify({logger: false, https: options.https}) as unknown as FastifyInstance) : Fastify({logger: false})
  installHttpFaults(app, options.faults, ['/api/'], () => [{s_seqnr: 'x', nr: null}])
  const expected = Buffer.from(`Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`)

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/DmsRestServices/')) return
    const given = Buffer.from(request.headers.authorization ?? '')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).header('WWW-Authenticate', 'Basic realm="ImmoTop2"').send(fail(401, 'Authentifizierung fehlgeschlagen'))
    }
    if (request.headers.version !== options.apiVersion) {
      return reply.code(400).send(fail(400, `Header 'Version' fehlt oder wird nicht unterstützt (erwartet ${options.apiVersion})`))
    }
  })

  // W&W documents no body for Test.
  app.get('/api/DmsRestServices/Test', async (_request, reply) => reply.code(200).send(''))

  for (const view of Object.keys(options.data) as Array<keyof ImmotopData>) {
    app.get(`/api/DmsRestServices/${view}`, async (request, reply) => {
      const rows = options.data[view] as unknown as Array<Record<string, unknown>>
      const filter = request.query as Record<string, string>
      const columns = new Set(rows.flatMap((r) => Object.keys(r)))
      for (const column of Object.keys(filter)) {
        if (!columns.has(column)) return reply.code(400).send(fail(400, `Unbekannte Spalte '${column}' in ${view}`))
      }
      if (options.faults.current.emptyview.includes(view)) return []
      return rows.filter((row) => Object.entries(filter).every(([column, value]) => String(row[column] ?? '') === value))
    })
  }

  installTenancyAdmin(app, options)
  app.get('/_sandbox/handovers', async () => ({handovers: listHandovers(options.db)}))
  app.get('/_sandbox/pickup', async () => ({mode: options.pickup.mode, passes: options.pickup.passes}))
  app.put('/_sandbox/pickup', async (request, reply) => {
    const mode = (request.body as {mode?: unknown} | null)?.mode
    if (!PICKUP_MODES.includes(mode as PickupMode)) return reply.code(400).send({error: `mode must be one of ${PICKUP_MODES.join(', ')}`})
    options.pickup.mode = mode as PickupMode
    return {mode}
  })
  app.get('/_sandbox/mails', async () => {
    ensureMailTable(options.db)
    return {mails: listMails(options.db), connections: countConnections(options.db)}
  })
  const today = () => options.today
  app.get('/_sandbox/export/dta-mpexp.csv', async (_request, reply) =>
    reply.type('text/csv; charset=iso-8859-1').send(dtaMpexpExport(options.data, today())),
  )
  app.get('/_sandbox/export/portal.idx', async (_request, reply) => reply.type('application/octet-stream').send(idxExport(options.data, today())))

  app.setNotFoundHandler((_request, reply) => reply.code(404).send(fail(404, 'Methode nicht gefunden')))
  return app
}

export interface ReceivedDocument {
  documentId: string
  dmsDocumentId: string
  /** The file's name in the staging folder. */
  fileName: string
  /** The speaking name from the control file's DateiName. */
  dateiName: string
  kind: string | null
  size: number
  sha256: string
  archivePath: string
  receivedAt: string
}

export interface Handover {
  /** From the tenant record; null for documents no record lists. */
  handoverId: string | null
  unitReference: string | null
  record: unknown
  documents: ReceivedDocument[]
}

interface StagedRow {
  document_id: number
  archiv_id: string
  dms_document_id: string
  file_name: string
  datei_name: string
  size: number
  sha256: string
  archive_path: string
  received_at: string
}

interface RecordLike {
  schema?: string
  handoverId?: string
  unit?: {reference?: string}
  documents?: Array<{dmsDocumentId?: string; kind?: string}>
}

/**
 * What arrived, grouped the way Immotop 2 staff would: by the tenant record,
 * which lists its documents by DmsDocumentId (DmsArchivId is one archive for
 * everything, not a per-handover id).
 */
export function listHandovers(db: Db): Handover[] {
  const rows = db.prepare('SELECT * FROM staged_documents ORDER BY document_id').all() as StagedRow[]
  const toDoc = (row: StagedRow, kind: string | null): ReceivedDocument => ({
    documentId: String(row.document_id),
    dmsDocumentId: row.dms_document_id,
    fileName: row.file_name,
    dateiName: row.datei_name,
    kind,
    size: row.size,
    sha256: row.sha256,
    archivePath: row.archive_path,
    receivedAt: row.received_at,
  })
  const handovers: Handover[] = []
  const claimed = new Set<number>()
  for (const row of rows) {
    if (!row.file_name.endsWith('.json')) continue
    const record = readRecord(row.archive_path) as RecordLike | null
    if (!record || typeof record.schema !== 'string' || !record.schema.startsWith('melon-immotop.tenant-record/')) continue
    const listed = new Map((record.documents ?? []).map((d) => [d.dmsDocumentId, d.kind ?? null]))
    const documents = rows.filter((r) => listed.has(r.dms_document_id)).map((r) => toDoc(r, listed.get(r.dms_document_id)!))
    for (const r of rows) if (listed.has(r.dms_document_id)) claimed.add(r.document_id)
    claimed.add(row.document_id)
    handovers.push({handoverId: record.handoverId ?? null, unitReference: record.unit?.reference ?? null, record, documents: [...documents, toDoc(row, 'tenant_record')]})
  }
  const loose = rows.filter((r) => !claimed.has(r.document_id))
  if (loose.length > 0) handovers.push({handoverId: null, unitReference: null, record: null, documents: loose.map((r) => toDoc(r, null))})
  return handovers
}

function readRecord(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return null
  }
}

/**
 * Polls the incoming folder the way Immotop 2 does. Returns a stop function
 * that waits for the pass in progress.
 */
export function startStagingProcessor(options: ImmotopEmulatorOptions, intervalMs = 100): () => Promise<void> {
  let running: Promise<void> | null = null
  let stopped = false
  const grace = options.missingDocumentGraceMs ?? 30_000
  const tick = () => {
    if (running || stopped) return
    running = processOnce(options, grace)
      .catch(() => {})
      .finally(() => {
        running = null
      })
  }
  const timer = setInterval(tick, intervalMs)
  return async () => {
    stopped = true
    clearInterval(timer)
    await running
  }
}

async function sha256File(path: string): Promise<{sha256: string; size: number}> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return {sha256: hash.digest('hex'), size}
}

/** Answers in the other folder (folder 1), written aside and moved in. */
async function writeAnswer(options: ImmotopEmulatorOptions, controlName: string, control: WwControl): Promise<void> {
  const tmp = join(options.ackDir, '.immotop-tmp')
  await mkdir(tmp, {recursive: true, mode: 0o700})
  const path = join(tmp, controlName)
  await writeFile(path, writeWwControl(control), {mode: 0o600})
  await rename(path, join(options.ackDir, controlName))
}

const CONTROL_SUFFIX = '.xml_it2'

export async function processOnce(options: ImmotopEmulatorOptions, graceMs: number): Promise<void> {
  options.pickup.passes++
  if (options.pickup.mode === 'off') return
  const {db} = options
  const entries = await readdir(options.incomingDir, {withFileTypes: true})
  const files = entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name)
  for (const controlName of files.filter((n) => n.endsWith(CONTROL_SUFFIX))) {
    const controlPath = join(options.incomingDir, controlName)
    const base = controlName.slice(0, -CONTROL_SUFFIX.length)
    // Refusals are answered even in consume mode: FehlerText is for a person to read. As with a SavedDocument,
    // the answer is written before the control file goes: a client that sees the files gone finds it.
    const refuse = async (control: WwControl, fehlerText: string) => {
      await writeAnswer(options, controlName, {...control, Version: '1.0', Action: 'SavedDocument', DocumentId: '', FehlerText: fehlerText})
      await rm(controlPath, {force: true})
    }
    let control: WwControl
    try {
      const parsed = readWwControl(await readFile(controlPath, 'utf8'))
      control = parsed.control
      if (parsed.extra.length > 0) {
        await refuse(control, `Steuerdatei enthält Elemente, die Immotop 2 nicht kennt: ${parsed.extra.join(', ')}.`)
        continue
      }
    } catch {
      await refuse({}, 'Steuerdatei ist unlesbar.')
      continue
    }
    if (control.Action !== 'NewDocument') {
      await refuse(control, `Action '${control.Action ?? ''}' wird im Stagingverzeichnis 2 nicht unterstützt.`)
      continue
    }
    if (!control.DmsDocumentId) {
      await refuse(control, 'DmsDocumentId fehlt.')
      continue
    }
    const fileName = files.find((n) => n !== controlName && n.startsWith(`${base}.`) && !n.endsWith(CONTROL_SUFFIX))
    const documentPath = fileName ? join(options.incomingDir, fileName) : null
    if (!fileName || !documentPath) {
      const age = Date.now() - (await lstat(controlPath)).mtimeMs
      if (age > graceMs) await refuse(control, `Zur Steuerdatei '${controlName}' fehlt das Dokument.`)
      continue
    }
    const {sha256, size} = await sha256File(documentPath)
    const previous = db.prepare('SELECT document_id, sha256 FROM staged_documents WHERE dms_document_id = ?').get(control.DmsDocumentId) as {document_id: number; sha256: string} | undefined
    if (options.faults.current.ackdelay > 0) await new Promise((resolve) => setTimeout(resolve, options.faults.current.ackdelay))
    let documentId: number
    if (previous && previous.sha256 === sha256) {
      // The same document again: the id it already has, nothing archived twice.
      documentId = previous.document_id
      await rm(documentPath, {force: true})
    } else if (previous) {
      await rm(documentPath, {force: true})
      await refuse(control, `DmsDocumentId '${control.DmsDocumentId}' wurde bereits mit anderem Inhalt gespeichert.`)
      continue
    } else {
      const archiv = control.DmsArchivId || 'ohne-archiv'
      await mkdir(join(options.archiveDir, archiv), {recursive: true, mode: 0o700})
      const archivePath = join(options.archiveDir, archiv, fileName)
      try {
        await rename(documentPath, archivePath)
      } catch {
        await copyFile(documentPath, archivePath)
        await rm(documentPath, {force: true})
      }
      documentId = Number(
        db
          .prepare('INSERT INTO staged_documents (archiv_id, dms_document_id, file_name, datei_name, size, sha256, archive_path, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(control.DmsArchivId ?? '', control.DmsDocumentId, fileName, control.DateiName ?? '', size, sha256, archivePath, new Date().toISOString()).lastInsertRowid,
      )
    }
    if (options.faults.roll('ackerror')) {
      // Immotop 2 refuses after all: forget the document so a re-delivery is accepted.
      db.prepare('DELETE FROM staged_documents WHERE document_id = ?').run(documentId)
      await refuse(control, `Dokument '${control.DateiName ?? fileName}' konnte nicht archiviert werden (Fehler eingespielt).`)
      continue
    }
    // The answer is written before the control file goes, so a client that sees the pick-up also finds it.
    if (options.pickup.mode === 'saved') await writeAnswer(options, controlName, {...control, Action: 'SavedDocument', DocumentId: String(documentId), FehlerText: ''})
    await rm(controlPath, {force: true})
  }
}
