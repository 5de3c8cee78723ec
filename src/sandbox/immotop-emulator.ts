/**
 * Immotop 2 emulator: the DMS REST services as W&W documents them (Basic auth
 * as wwdms, the Version header, JSON views filtered by any column), and the
 * staging-folder processing Immotop 2 does: read a control file once its
 * document is complete, archive the document, delete both, and answer with a
 * SavedDocument control file in the acknowledgement folder.
 */
import {createHash, timingSafeEqual} from 'node:crypto'
import {createReadStream, readFileSync} from 'node:fs'
import {copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import {basename, join} from 'node:path'
import Fastify, {type FastifyInstance} from 'fastify'
import {buildControlFile, parseControlFile, type ControlFile} from '../core/control-file.js'
import {controlFileName} from '../core/handover.js'
import {dtaMpexpExport, idxExport} from './exports.js'
import {ensureMailTable, listMails} from './smtp-sink.js'
import {Faults, installHttpFaults} from './faults.js'
import type {ImmotopData} from './seed.js'
import type {Db} from './store.js'

export const SERVER_VERSION = '2.7.18'

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
  faults: Faults
  https?: {key: string | Buffer; cert: string | Buffer}
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

  app.get('/api/DmsRestServices/Test', async () => ({Erfolgreich: true, FehlerCode: 0, FehlerMeldung: null, ServerVersion: SERVER_VERSION}))

  for (const view of Object.keys(options.data) as Array<keyof ImmotopData>) {
    app.get(`/api/DmsRestServices/${view}`, async (request, reply) => {
      const rows = options.data[view] as Array<Record<string, unknown>>
      const filter = request.query as Record<string, string>
      const columns = new Set(rows.flatMap((r) => Object.keys(r)))
      for (const column of Object.keys(filter)) {
        if (!columns.has(column)) return reply.code(400).send(fail(400, `Unbekannte Spalte '${column}' in ${view}`))
      }
      return rows.filter((row) => Object.entries(filter).every(([column, value]) => String(row[column] ?? '') === value))
    })
  }

  app.get('/_sandbox/handovers', async () => ({handovers: listHandovers(options.db)}))
  app.get('/_sandbox/mails', async () => {
    ensureMailTable(options.db)
    return {mails: listMails(options.db)}
  })
  const today = () => new Date().toISOString().slice(0, 10)
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
  fileName: string
  kind: string | null
  size: number
  sha256: string
  receivedAt: string
}

export interface Handover {
  handoverId: string
  unitReference: string | null
  record: unknown
  documents: ReceivedDocument[]
}

export function listHandovers(db: Db): Handover[] {
  const rows = db.prepare('SELECT * FROM received ORDER BY document_id').all() as Array<{
    document_id: number
    archiv_id: string
    dms_document_id: string
    file_name: string
    kind: string | null
    size: number
    sha256: string
    objekt_referenz: string | null
    archive_path: string
    received_at: string
  }>
  const byHandover = new Map<string, Handover & {recordPath?: string}>()
  for (const row of rows) {
    const handover = byHandover.get(row.archiv_id) ?? {handoverId: row.archiv_id, unitReference: row.objekt_referenz, record: null, documents: []}
    handover.documents.push({
      documentId: String(row.document_id),
      dmsDocumentId: row.dms_document_id,
      fileName: row.file_name,
      kind: row.kind,
      size: row.size,
      sha256: row.sha256,
      receivedAt: row.received_at,
    })
    if (row.kind === 'tenant_record') handover.recordPath = row.archive_path
    byHandover.set(row.archiv_id, handover)
  }
  return [...byHandover.values()].map(({recordPath, ...handover}) => ({...handover, record: recordPath ? readRecord(recordPath) : null}))
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

async function writeAck(options: ImmotopEmulatorOptions, controlName: string, control: ControlFile): Promise<void> {
  const tmp = join(options.ackDir, '.immotop-tmp')
  await mkdir(tmp, {recursive: true, mode: 0o700})
  const path = join(tmp, controlName)
  await writeFile(path, buildControlFile(control), {mode: 0o600})
  await rename(path, join(options.ackDir, controlName))
}

export async function processOnce(options: ImmotopEmulatorOptions, graceMs: number): Promise<void> {
  const {db} = options
  const names = (await readdir(options.incomingDir)).filter((n) => n.endsWith('.xml_it2') && !n.startsWith('.'))
  for (const controlName of names) {
    const controlPath = join(options.incomingDir, controlName)
    let control: ControlFile
    try {
      control = parseControlFile(await readFile(controlPath, 'utf8'), controlName)
    } catch {
      await rm(controlPath, {force: true})
      await writeAck(options, controlName, {version: '1.0', action: 'SavedDocument', dmsArchivId: '', dmsDocumentId: '', documentId: '', dateiName: '', fehlerText: 'Steuerdatei ist unlesbar.'})
      continue
    }
    const answer = (fields: Partial<ControlFile>): ControlFile => ({...control, action: 'SavedDocument', fehlerText: '', ...fields})
    const fileName = basename(control.dateiName)
    if (control.action !== 'NewDocument' || fileName !== control.dateiName || controlFileName(fileName) !== controlName) {
      await rm(controlPath, {force: true})
      await writeAck(options, controlName, answer({fehlerText: `Steuerdatei passt nicht zum Dokument '${control.dateiName}' oder Action '${control.action}' wird nicht unterstützt.`}))
      continue
    }
    const documentPath = join(options.incomingDir, fileName)
    let info
    try {
      info = await stat(documentPath)
    } catch {
      const age = Date.now() - (await stat(controlPath)).mtimeMs
      if (age > graceMs) {
        await rm(controlPath, {force: true})
        await writeAck(options, controlName, answer({fehlerText: `Dokument '${fileName}' fehlt.`}))
      }
      continue
    }
    const {sha256, size} = await sha256File(documentPath)
    if ((control.sha256 && control.sha256 !== sha256) || (control.groesse !== undefined && control.groesse !== size) || size !== info.size) {
      await rm(documentPath, {force: true})
      await rm(controlPath, {force: true})
      await writeAck(options, controlName, answer({fehlerText: `Dokument '${fileName}' ist unvollständig oder beschädigt (Prüfsumme stimmt nicht).`}))
      continue
    }
    const previous = db.prepare('SELECT document_id, sha256 FROM received WHERE dms_document_id = ?').get(control.dmsDocumentId) as {document_id: number; sha256: string} | undefined
    let documentId: number
    if (previous && previous.sha256 === sha256) {
      // The same document again: acknowledge with the id it already has, archive nothing twice.
      documentId = previous.document_id
      await rm(documentPath, {force: true})
    } else if (previous) {
      await rm(documentPath, {force: true})
      await rm(controlPath, {force: true})
      await writeAck(options, controlName, answer({fehlerText: `DmsDocumentId '${control.dmsDocumentId}' wurde bereits mit anderem Inhalt gespeichert.`}))
      continue
    } else {
      const archivePath = join(options.archiveDir, `${control.dmsArchivId || 'ohne-archiv'}`, fileName)
      await mkdir(join(options.archiveDir, control.dmsArchivId || 'ohne-archiv'), {recursive: true, mode: 0o700})
      try {
        await rename(documentPath, archivePath)
      } catch {
        await copyFile(documentPath, archivePath)
        await rm(documentPath, {force: true})
      }
      documentId = Number(
        db
          .prepare('INSERT INTO received (archiv_id, dms_document_id, file_name, kind, size, sha256, objekt_referenz, archive_path, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(control.dmsArchivId, control.dmsDocumentId, fileName, control.dokumentart ?? null, size, sha256, control.objektReferenz ?? null, archivePath, new Date().toISOString()).lastInsertRowid,
      )
    }
    await rm(controlPath, {force: true})
    if (options.faults.current.ackdelay > 0) await new Promise((resolve) => setTimeout(resolve, options.faults.current.ackdelay))
    if (options.faults.roll('ackerror')) {
      // Immotop 2 refuses after all: forget the document so a re-delivery is accepted.
      db.prepare('DELETE FROM received WHERE document_id = ?').run(documentId)
      await writeAck(options, controlName, answer({fehlerText: `Dokument '${fileName}' konnte nicht archiviert werden (Fehler eingespielt).`}))
      continue
    }
    await writeAck(options, controlName, answer({documentId: String(documentId)}))
  }
}
