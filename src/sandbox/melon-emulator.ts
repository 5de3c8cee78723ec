/**
 * melon emulator: the partner API of docs/contracts/melon-partner-api.yaml,
 * melon's public object list, and the sandbox admin endpoints.
 */
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {Readable} from 'node:stream'
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'
import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify'
import * as z from 'zod'
import {ContractStatusSchema, HandoverMarkerInputSchema, ListingInputSchema, TenantContractInputSchema, type DocumentKind, type DocumentMeta, type Listing, type Tenant} from '../wire/melon-wire.js'
import {addDays} from '../core/swiss-address.js'
import {makePdf, writeDocument} from './dossier-pdf.js'
import {Faults, installHttpFaults} from './faults.js'
import {generatedTenant, type SeedTenant} from './seed.js'
import type {Db} from './store.js'

export interface UnitInfo {
  title: string
  address: Tenant['object_address']
  rent: Tenant['rent']
}

export interface MelonEmulatorOptions {
  db: Db
  documentsDir: string
  token: string
  project: string
  unitInfo: (ref: string) => UnitInfo | null
  today: () => string
  faults: Faults
  https?: {key: string | Buffer; cert: string | Buffer}
}

const ERROR = (code: string, message: string) => ({error: {code, message}})

export function createMelonEmulator(options: MelonEmulatorOptions): {app: FastifyInstance; createTenant: (seed: SeedTenant, sizeBytes?: number) => Promise<string>} {
  const {db} = options
  const app = options.https ? (Fastify({logger: false, bodyLimit: 1024 * 1024, https: options.https}) as unknown as FastifyInstance) : Fastify({logger: false, bodyLimit: 1024 * 1024})
  // Malformed answers: valid JSON, wrong shape (a missing field, a string for a number).
  installHttpFaults(app, options.faults, ['/api/'], () => ({results: [{id: 42, persons: 'none'}], count: 'many'}))

  const createTenant = async (seed: SeedTenant, dossierSizeBytes?: number, withoutDossier = false): Promise<string> => {
    const seq = ((db.prepare('SELECT MAX(seq) AS m FROM tenants').get() as {m: number | null}).m ?? 1000) + 1
    const id = `T-${seq}`
    const dir = join(options.documentsDir, id)
    await mkdir(dir, {recursive: true, mode: 0o700})
    const main = seed.persons[0]!
    const names = seed.persons.map((p) => `${p.first_name} ${p.surname}`).join(', ')
    const personLines = seed.persons.flatMap((p) => [
      `${p.salutation ?? ''} ${p.first_name} ${p.surname}, geboren ${p.date_of_birth}, ${p.nationality_code}`,
      `  ${p.address?.street} ${p.address?.house_number}, ${p.address?.postal_code} ${p.address?.city}`,
      `  ${p.job_title} bei ${p.employer}; ${p.email}; ${p.phone}`,
    ])
    const attachments: Array<{kind: DocumentKind; title: string; lines: string[]}> = [
      {kind: 'id_copy', title: 'Kopie Identitätskarte', lines: [`${main.first_name} ${main.surname}`, `Geburtsdatum ${main.date_of_birth}`, `Nationalität ${main.nationality_code}`]},
      {kind: 'debt_enforcement_extract', title: 'Betreibungsregisterauszug', lines: [`Schuldner: ${main.first_name} ${main.surname}`, 'Betreibungsamt Zürich', 'Keine Betreibungen in den letzten fünf Jahren.']},
      {kind: 'salary_statement', title: 'Lohnausweis', lines: [`Arbeitnehmer: ${main.first_name} ${main.surname}`, `Arbeitgeber: ${main.employer}`, 'Bruttolohn: CHF 98\'400.–']},
    ]
    const dossier = await makePdf(`Mieterdossier ${names}`, [
      `Objekt ${seed.unit}`,
      `Haushalt: ${seed.householdType}, ${seed.persons.length} Person(en)`,
      ...personLines,
      '',
      'Beilagen:',
      ...attachments.map((a) => `- ${a.title}`),
    ])
    const docs: Array<{kind: DocumentKind; fileName: string; pdf: Uint8Array; size?: number}> = [
      // Without the dossier: as while melon has not yet generated it.
      ...(withoutDossier ? [] : [{kind: 'dossier' as const, fileName: 'Dossier.pdf', pdf: dossier, size: dossierSizeBytes}]),
      ...(await Promise.all(attachments.map(async (a) => ({kind: a.kind, fileName: `${a.title.replace(/\s+/g, '_')}.pdf`, pdf: await makePdf(a.title, a.lines)})))),
    ]
    const insertDoc = db.prepare('INSERT INTO documents (tenant_id, id, position, kind, file_name, content_type, size, sha256, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    const written: Array<[string, number, DocumentKind, string, number, string, string]> = []
    for (const [index, doc] of docs.entries()) {
      const docId = `D-${seq}-${index + 1}`
      const path = join(dir, `${docId}.pdf`)
      const {size, sha256} = await writeDocument(path, doc.pdf, doc.size)
      written.push([docId, index + 1, doc.kind, doc.fileName, size, sha256, path])
    }
    const unit = options.unitInfo(seed.unit)
    const body = {
      contract_status: seed.contractStatus,
      assigned_at: `${addDays(options.today(), -3)}T09:30:00Z`,
      object_reference_number: seed.unit,
      object_title: unit?.title ?? null,
      object_address: unit?.address ?? null,
      requested_move_in_date: addDays(options.today(), seed.moveInOffsetDays).slice(0, 8) + '01',
      household_type: seed.householdType,
      rent: unit?.rent ?? null,
      persons: seed.persons,
    }
    db.transaction(() => {
      db.prepare('INSERT INTO tenants (id, seq, contract_status, body) VALUES (?, ?, ?, ?)').run(id, seq, seed.contractStatus, JSON.stringify(body))
      for (const [docId, position, kind, fileName, size, sha256, path] of written) insertDoc.run(id, docId, position, kind, fileName, 'application/pdf', size, sha256, path)
    })()
    return id
  }

  const tenantById = (id: string): Tenant | null => {
    const row = db.prepare('SELECT id, body FROM tenants WHERE id = ?').get(id) as {id: string; body: string} | undefined
    if (!row) return null
    const docs = db.prepare('SELECT id, kind, file_name, content_type, size, sha256 FROM documents WHERE tenant_id = ? ORDER BY position').all(id) as DocumentMeta[]
    return {id: row.id, ...JSON.parse(row.body), documents: docs}
  }

  // Hostile paging on request: a next_page that never grows (stuckpages), one that never ends with a count that lies (endlesspages),
  // or none although count says more follow (shortpages).
  const nextPage = (page: number, size: number, count: number): number | null => {
    if (options.faults.roll('stuckpages')) return page
    if (options.faults.roll('endlesspages')) return page + 1
    if (page * size < count && options.faults.roll('shortpages')) return null
    return page * size < count ? page + 1 : null
  }
  // With endlesspages every page repeats the first one, so a client that trusts next_page never sees an empty page.
  const offset = (page: {page: number; page_size: number}) => (options.faults.current.endlesspages > 0 ? 0 : (page.page - 1) * page.page_size)
  const pagedCount = (count: number) => (options.faults.current.endlesspages > 0 || options.faults.current.stuckpages > 0 ? 1_000_000_000 : count)
  const listingFrom = (row: {body: string; num_applications: number; created_at: string; updated_at: string}): Listing => ({
    ...JSON.parse(row.body),
    num_applications: row.num_applications,
    created_at: row.created_at,
    updated_at: row.updated_at,
  })

  /**
   * An Idempotency-Key seen before: its first answer again (`Idempotent-Replayed`),
   * or 422 when it came with another request. `seen` is null for a new key or none.
   */
  const idempotency = (request: FastifyRequest, target: string) => {
    const header = request.headers['idempotency-key']
    const key = typeof header === 'string' ? header : undefined
    const requestHash = createHash('sha256').update(JSON.stringify(request.body ?? null)).update(target).digest('hex')
    const row = key ? (db.prepare('SELECT request_hash, status, body FROM idempotency WHERE key = ?').get(key) as {request_hash: string; status: number; body: string} | undefined) : undefined
    const seen = row
      ? (reply: FastifyReply) =>
          row.request_hash !== requestHash
            ? reply.code(422).send(ERROR('idempotency_key_reused', 'this Idempotency-Key was used with a different request'))
            : reply.code(row.status).header('Idempotent-Replayed', 'true').send(JSON.parse(row.body))
      : null
    return {key, requestHash, seen}
  }

  const pageParams = (query: unknown, reply: FastifyReply) => {
    const parsed = z.object({page: z.coerce.number().int().min(1).default(1), page_size: z.coerce.number().int().min(1).max(100).default(50)}).passthrough().safeParse(query)
    if (!parsed.success) {
      void reply.code(400).send(ERROR('invalid_request', 'page and page_size must be positive integers (page_size at most 100)'))
      return null
    }
    return parsed.data
  }

  // --- auth for the partner API -------------------------------------------
  // Two tokens: the full one, and "<token>-ro" with read rights only (no objects:write, no documents:read),
  // so that tests can see 403 answers that name the missing right.
  const FULL = ['objects:read', 'objects:write', 'tenants:read', 'tenants:write', 'documents:read']
  const READ_ONLY = ['objects:read', 'tenants:read']
  const matches = (header: string, token: string) => {
    const given = Buffer.from(header)
    const expected = Buffer.from(`Token ${token}`)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
  const needed = (method: string, url: string): string => {
    if (url.includes('/documents/')) return 'documents:read'
    if (url.startsWith('/api/partner/v1/objects')) return method === 'GET' ? 'objects:read' : 'objects:write'
    if (url.startsWith('/api/partner/v1/tenants')) return method === 'GET' ? 'tenants:read' : 'tenants:write'
    return ''
  }
  app.decorateRequest('scopes', null)
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.url.startsWith('/api/partner/')) return
    const header = request.headers.authorization ?? ''
    const scopes = matches(header, options.token) ? FULL : matches(header, `${options.token}-ro`) ? READ_ONLY : null
    if (!scopes) return reply.code(401).header('WWW-Authenticate', 'Token').send(ERROR('unauthorized', 'missing or invalid API token'))
    const project = request.headers['x-melon-project']
    if (project !== undefined && project !== options.project) {
      return reply.code(404).send(ERROR('project_not_found', 'unknown project'))
    }
    ;(request as unknown as {scopes: string[]}).scopes = scopes
    const right = needed(request.method, request.url)
    if (right && !scopes.includes(right)) return reply.code(403).send(ERROR('forbidden', `missing right ${right}`))
  })

  app.get('/api/partner/v1/me', async (request) => ({project: options.project, user: 'immotop-interface', scopes: (request as unknown as {scopes: string[]}).scopes}))

  app.get('/api/partner/v1/objects', async (request, reply) => {
    const page = pageParams(request.query, reply)
    if (!page) return reply
    const count = (db.prepare('SELECT COUNT(*) AS n FROM listings').get() as {n: number}).n
    const rows = db.prepare('SELECT * FROM listings ORDER BY reference_number LIMIT ? OFFSET ?').all(page.page_size, offset(page)) as Array<{body: string; num_applications: number; created_at: string; updated_at: string}>
    return {count: pagedCount(count), page: page.page, page_size: page.page_size, next_page: nextPage(page.page, page.page_size, count), results: rows.map(listingFrom)}
  })

  app.get<{Params: {ref: string}}>('/api/partner/v1/objects/:ref', async (request, reply) => {
    const row = db.prepare('SELECT * FROM listings WHERE reference_number = ?').get(request.params.ref) as Parameters<typeof listingFrom>[0] | undefined
    if (!row) return reply.code(404).send(ERROR('not_found', 'no object with this reference number'))
    return listingFrom(row)
  })

  app.put<{Params: {ref: string}}>('/api/partner/v1/objects/:ref', async (request, reply) => {
    const {key, requestHash, seen} = idempotency(request, request.params.ref)
    if (seen) return seen(reply)
    const parsed = ListingInputSchema.safeParse(request.body)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      return reply.code(422).send(ERROR('invalid_object', `${issue.path.join('.') || 'body'}: ${issue.message}`))
    }
    if (parsed.data.reference_number !== request.params.ref) return reply.code(422).send(ERROR('invalid_object', 'reference_number differs from the path'))
    const now = new Date().toISOString()
    const existing = db.prepare('SELECT * FROM listings WHERE reference_number = ?').get(request.params.ref) as {created_at: string; num_applications: number} | undefined
    const status = existing ? 200 : 201
    const result = db.transaction(() => {
      db.prepare(
        `INSERT INTO listings (reference_number, body, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(reference_number) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
      ).run(request.params.ref, JSON.stringify(parsed.data), now, now)
      const row = db.prepare('SELECT * FROM listings WHERE reference_number = ?').get(request.params.ref) as Parameters<typeof listingFrom>[0]
      const listing = listingFrom(row)
      db.prepare('INSERT INTO writes (method, path, idempotency_key, status, at) VALUES (?, ?, ?, ?, ?)').run('PUT', request.url, key ?? null, status, now)
      if (key) db.prepare('INSERT INTO idempotency (key, request_hash, status, body) VALUES (?, ?, ?, ?)').run(key, requestHash, status, JSON.stringify(listing))
      return listing
    })()
    return reply.code(status).send(result)
  })

  app.delete<{Params: {ref: string}}>('/api/partner/v1/objects/:ref', async (request, reply) => {
    const removed = db.transaction(() => {
      const changes = db.prepare('DELETE FROM listings WHERE reference_number = ?').run(request.params.ref).changes
      if (changes > 0) db.prepare('INSERT INTO writes (method, path, idempotency_key, status, at) VALUES (?, ?, ?, ?, ?)').run('DELETE', request.url, null, 204, new Date().toISOString())
      return changes
    })()
    if (removed === 0) return reply.code(404).send(ERROR('not_found', 'no object with this reference number'))
    return reply.code(204).send()
  })

  app.get('/api/partner/v1/tenants', async (request, reply) => {
    const page = pageParams(request.query, reply)
    if (!page) return reply
    const status = ContractStatusSchema.safeParse((request.query as Record<string, unknown>).contract_status ?? 'without_contract')
    if (!status.success) return reply.code(400).send(ERROR('invalid_request', `contract_status must be one of ${ContractStatusSchema.options.join(', ')}`))
    const count = (db.prepare('SELECT COUNT(*) AS n FROM tenants WHERE contract_status = ?').get(status.data) as {n: number}).n
    const ids = db.prepare('SELECT id FROM tenants WHERE contract_status = ? ORDER BY seq LIMIT ? OFFSET ?').all(status.data, page.page_size, offset(page)) as Array<{id: string}>
    return {count: pagedCount(count), page: page.page, page_size: page.page_size, next_page: nextPage(page.page, page.page_size, count), results: ids.map((r) => tenantById(r.id)!)}
  })

  app.get<{Params: {id: string}}>('/api/partner/v1/tenants/:id', async (request, reply) => {
    const tenant = tenantById(request.params.id)
    if (!tenant) return reply.code(404).send(ERROR('not_found', 'no tenant with this id'))
    return tenant
  })

  // How many document downloads run at once: lets tests prove that concurrency is bounded.
  // The contract exists in Immotop 2: the tenant moves to MIT VERTRAG. Idempotent (PUT, Idempotency-Key).
  app.put<{Params: {id: string}}>('/api/partner/v1/tenants/:id/contract', async (request, reply) => {
    const {key, requestHash, seen} = idempotency(request, request.url)
    if (seen) return seen(reply)
    const parsed = TenantContractInputSchema.safeParse(request.body)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      return reply.code(422).send(ERROR('invalid_contract', `${issue.path.join('.') || 'body'}: ${issue.message}`))
    }
    const tenant = tenantById(request.params.id)
    if (!tenant) return reply.code(404).send(ERROR('not_found', 'no tenant with this id'))
    const contract = {tenancy_reference: parsed.data.tenancy_reference, start_date: parsed.data.start_date}
    if (tenant.contract_status === 'with_contract' && tenant.contract && tenant.contract.tenancy_reference !== contract.tenancy_reference) {
      return reply.code(409).send(ERROR('contract_conflict', 'the tenant already has another contract'))
    }
    const result = db.transaction(() => {
      if (tenant.contract_status !== 'with_contract') {
        const {id: _id, documents: _d, ...body} = {...tenant, contract_status: 'with_contract' as const, contract}
        db.prepare('UPDATE tenants SET contract_status = ?, body = ? WHERE id = ?').run('with_contract', JSON.stringify(body), tenant.id)
      }
      // Every request that was not an idempotent replay is recorded: a client that sends the update twice shows up here.
      db.prepare('INSERT INTO writes (method, path, idempotency_key, status, at) VALUES (?, ?, ?, ?, ?)').run('PUT', request.url, key ?? null, 200, new Date().toISOString())
      const updated = tenantById(tenant.id)!
      if (key) db.prepare('INSERT INTO idempotency (key, request_hash, status, body) VALUES (?, ?, ?, ?)').run(key, requestHash, 200, JSON.stringify(updated))
      return updated
    })()
    return reply.code(200).send(result)
  })

  // One installation hands the tenant over: the first marker wins; the same installation may mark again. Idempotent (PUT, Idempotency-Key).
  app.put<{Params: {id: string}}>('/api/partner/v1/tenants/:id/handover', async (request, reply) => {
    const {key, requestHash, seen} = idempotency(request, request.url)
    if (seen) return seen(reply)
    const parsed = HandoverMarkerInputSchema.safeParse(request.body)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      return reply.code(422).send(ERROR('invalid_handover', `${issue.path.join('.') || 'body'}: ${issue.message}`))
    }
    const result = db.transaction(() => {
      const tenant = tenantById(request.params.id)
      if (!tenant) return {status: 404, body: ERROR('not_found', 'no tenant with this id')}
      const held = tenant.handover
      if (held && held.installation_id !== parsed.data.installation_id) {
        return {status: 409, body: {...ERROR('handed_over_elsewhere', 'another installation hands this tenant over'), handover: held}}
      }
      const marker = {...parsed.data, marked_at: held?.marked_at ?? new Date().toISOString()}
      const {id: _id, documents: _d, ...body} = {...tenant, handover: marker}
      db.prepare('UPDATE tenants SET body = ? WHERE id = ?').run(JSON.stringify(body), tenant.id)
      db.prepare('INSERT INTO writes (method, path, idempotency_key, status, at) VALUES (?, ?, ?, ?, ?)').run('PUT', request.url, key ?? null, 200, new Date().toISOString())
      const updated = tenantById(tenant.id)!
      if (key) db.prepare('INSERT INTO idempotency (key, request_hash, status, body) VALUES (?, ?, ?, ?)').run(key, requestHash, 200, JSON.stringify(updated))
      return {status: 200, body: updated}
    })()
    return reply.code(result.status).send(result.body)
  })

  const downloads = {current: 0, max: 0}
  app.get('/_sandbox/stats', async () => ({downloads}))
  app.get<{Params: {id: string; doc: string}}>('/api/partner/v1/tenants/:id/documents/:doc', async (request, reply) => {
    downloads.current++
    downloads.max = Math.max(downloads.max, downloads.current)
    reply.raw.once('close', () => downloads.current--)
    const row = db.prepare('SELECT * FROM documents WHERE tenant_id = ? AND id = ?').get(request.params.id, request.params.doc) as
      | {file_name: string; content_type: string; size: number; sha256: string; path: string}
      | undefined
    if (!row) return reply.code(404).send(ERROR('not_found', 'no such document'))
    if (options.faults.truncate(`${request.params.id}/${request.params.doc}`)) {
      // Announce the whole body, send half, drop the connection.
      const half = createReadStream(row.path, {end: Math.max(0, Math.floor(row.size / 2) - 1)})
      void reply.hijack()
      reply.raw.writeHead(200, {'Content-Type': row.content_type, 'Content-Length': String(row.size), 'X-Content-SHA256': row.sha256})
      half.on('end', () => reply.raw.destroy())
      // A client that goes away first ends the read; its error must not end the sandbox.
      reply.raw.on('error', () => half.destroy())
      half.pipe(reply.raw, {end: false})
      return reply
    }
    const body = createReadStream(row.path)
    return reply
      .header('Content-Type', row.content_type)
      .header('Content-Length', String(row.size))
      .header('X-Content-SHA256', row.sha256)
      .header('Content-Disposition', `attachment; filename="${row.file_name}"`)
      .send(options.faults.current.trickle > 0 ? trickle(body, options.faults.current.trickle) : body)
  })

  // melon's public object list: a top-level array of the listings that are advertised.
  app.get('/api/v2/objects/', async () => {
    const rows = db.prepare('SELECT * FROM listings ORDER BY reference_number').all() as Array<Parameters<typeof listingFrom>[0]>
    return rows.map(listingFrom).map(({managed_by: _m, created_at: _c, updated_at: _u, ...rest}) =>
      rest.object_state === 'free' ? rest : {...rest, rentalgross_net: null, incidentals: null, rentalgross: null},
    )
  })

  // --- sandbox admin ---------------------------------------------------------
  app.post('/_sandbox/tenants', async (request, reply) => {
    const parsed = z
      .object({
        object_reference_number: z.string().regex(/^\d+\.\d+\.\d+$/).default('1.10001.1012'),
        dossier_size_bytes: z.number().int().positive().max(8 * 1024 ** 3).optional(),
        count: z.number().int().min(1).max(500).default(1),
        persons: z.number().int().min(1).max(6).default(1),
        without_dossier: z.boolean().default(false),
        // The main person's names (co-applicants keep the generated ones): households with given names.
        surname: z.string().trim().min(1).max(100).optional(),
        first_name: z.string().trim().min(1).max(100).optional(),
      })
      .strict()
      .safeParse(request.body ?? {})
    if (!parsed.success) return reply.code(400).send(ERROR('invalid_request', `${parsed.error.issues[0]!.path.join('.') || 'body'}: ${parsed.error.issues[0]!.message}`))
    const {surname, first_name: firstName} = parsed.data
    const ids: string[] = []
    for (let i = 0; i < parsed.data.count; i++) {
      const n = (db.prepare('SELECT COUNT(*) AS n FROM tenants').get() as {n: number}).n
      const tenant = generatedTenant(n, parsed.data.object_reference_number, parsed.data.persons, {surname, firstName})
      ids.push(await createTenant(tenant, parsed.data.dossier_size_bytes, parsed.data.without_dossier))
    }
    return reply.code(201).send({id: ids[0], ids})
  })

  app.get('/_sandbox/writes', async () => ({writes: db.prepare('SELECT method, path, idempotency_key, status, at FROM writes ORDER BY id').all()}))

  app.setNotFoundHandler((_request, reply) => reply.code(404).send(ERROR('not_found', 'no such endpoint')))
  app.setErrorHandler((error: Error & {statusCode?: number}, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    void reply.code(status).send(ERROR(status === 500 ? 'internal' : 'invalid_request', status === 500 ? 'internal error' : error.message))
  })

  return {app, createTenant}
}

export function randomSecret(prefix: string): string {
  return `${prefix}${randomBytes(18).toString('base64url')}`
}

/** A body that sends one byte per `everyMs`: a connection that is alive but far too slow. */
function trickle(source: NodeJS.ReadableStream, everyMs: number): Readable {
  const bytes: number[] = []
  let ended = false
  source.on('data', (chunk: Buffer) => bytes.push(...chunk))
  source.on('end', () => (ended = true))
  const out = new Readable({read() {}})
  const timer = setInterval(() => {
    const next = bytes.shift()
    if (next !== undefined) out.push(Buffer.from([next]))
    else if (ended) {
      clearInterval(timer)
      out.push(null)
    }
  }, everyMs)
  out.on('close', () => clearInterval(timer))
  return out
}
