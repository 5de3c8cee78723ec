/**
 * Faults on request, so that resilience is proved rather than claimed.
 *
 * Spec syntax (flag --faults, or PUT /_sandbox/faults with {"spec": "..."}):
 *   503=0.2,429=0.05,reset=0.05,truncate=0.05,latency=50ms,malformed=0.1,html=0.1,ackdelay=2s,ackerror=0.1,lostanswer=0.5,emptyview=GetDmsObjekt
 *
 * Rates are probabilities per request (0..1). 503 and 429 (with Retry-After: 1)
 * answer instead of the handler; reset drops the connection; truncate cuts a
 * document download in half and drops the connection; malformed answers 200
 * with JSON of the wrong shape; html answers 200 with an HTML page; latency
 * delays every answer; lostanswer carries out a write and then drops the
 * connection before the answer (did it land?). ackdelay and ackerror apply to Immotop 2's staging
 * processing: acknowledgements come late, or carry a FehlerText.
 * truncatefirst truncates only the first download of each document, so a test
 * can prove recovery deterministically. hold=<text> holds every request whose
 * path contains it until the faults are set again (at most a minute): a
 * barrier for tests, which GET /_sandbox/faults shows as `held`. GET
 * /_sandbox/faults also reports how many faults of each kind were injected.
 */
import * as z from 'zod'
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify'

const rate = z.coerce.number().min(0).max(1)
const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s)?$/, 'a duration like 50ms or 2s')
  .transform((v) => (v.endsWith('ms') ? Number(v.slice(0, -2)) : v.endsWith('s') ? Number(v.slice(0, -1)) * 1000 : Number(v)))

const FaultSpecSchema = z
  .object({
    '503': rate.default(0),
    '429': rate.default(0),
    reset: rate.default(0),
    truncate: rate.default(0),
    truncatefirst: rate.default(0),
    malformed: rate.default(0),
    html: rate.default(0),
    latency: duration.default(0),
    ackdelay: duration.default(0),
    ackerror: rate.default(0),
    /** A write (PUT, POST, DELETE) is carried out, then the connection drops before the answer: the client must not know whether it landed. */
    lostanswer: rate.default(0),
    /** Send each document one byte per this duration. */
    trickle: duration.default(0),
    /** next_page that does not grow; next_page that never ends (with a count that lies). */
    stuckpages: rate.default(0),
    endlesspages: rate.default(0),
    /** A page that says it is the last one (next_page null) although count says more items follow. */
    shortpages: rate.default(0),
    /** Immotop 2 REST views that answer an empty list to every query, as for a REST user without rights to them (e.g. GetDmsObjekt). */
    emptyview: z
      .string()
      .regex(/^GetDms[A-Za-z]+(\+GetDms[A-Za-z]+)*$/, 'view names joined by +, e.g. GetDmsObjekt+GetDmsLiegenschaft')
      .optional()
      .transform((v) => (v ? v.split('+') : [])),
    /** Answer 404 not_found to every request whose path contains this, as a server without that route would (e.g. /handover). */
    missing: z.string().regex(/^\/[\w/.~-]*$/, 'a path such as /handover').optional(),
    /** Hold requests whose path contains this until the faults are set again (at most HOLD_MAX_MS). */
    hold: z.string().regex(/^\/[\w/.~-]*$/, 'a path such as /api/partner/v1/tenants/T-1001 or /documents/').optional(),
    /** Shift the Date header of every answer (clock-skew checks); may be negative. */
    dateskew: z.string().regex(/^-?\d+(ms|s)?$/, 'a duration like 600s or -90s').optional().transform((v) => (v === undefined ? 0 : v.endsWith('ms') ? Number(v.slice(0, -2)) : v.endsWith('s') ? Number(v.slice(0, -1)) * 1000 : Number(v))),
  })
  .strict()

export type FaultSpec = z.output<typeof FaultSpecSchema>
export const NO_FAULTS: FaultSpec = FaultSpecSchema.parse({})

export function parseFaultSpec(spec: string): FaultSpec {
  const entries: Record<string, string> = {}
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, value, ...rest] = part.split('=')
    if (!key || value === undefined || rest.length > 0) throw new Error(`"${part}" is not key=value`)
    entries[key.trim()] = value.trim()
  }
  const parsed = FaultSpecSchema.safeParse(entries)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const where = issue.code === 'unrecognized_keys' ? `unknown fault "${issue.keys[0]}"` : `${issue.path.join('.')}: ${issue.message}`
    throw new Error(`${where} (known: 503, 429, reset, truncate, truncatefirst, malformed, html, latency, ackdelay, ackerror, lostanswer, trickle, stuckpages, endlesspages, shortpages, emptyview, missing, hold, dateskew)`)
  }
  return parsed.data
}

type Kind = '503' | '429' | 'reset' | 'truncate' | 'malformed' | 'html' | 'ackerror' | 'lostanswer' | 'stuckpages' | 'endlesspages' | 'shortpages'

export class Faults {
  private spec: FaultSpec = NO_FAULTS
  /** How many faults of each kind were injected since start. */
  readonly injected: Record<string, number> = {}
  /** Requests under the faulted prefixes that have arrived and not yet been answered: a readiness signal for tests. */
  inflight = 0
  private readonly seen = new Set<string>()
  /** Requests held by `hold` now; released when the faults are set again. */
  held = 0
  private releaseHeld: Array<() => void> = []

  constructor(initial?: FaultSpec) {
    if (initial) this.spec = initial
  }

  get current(): FaultSpec {
    return this.spec
  }

  set(spec: FaultSpec): void {
    this.spec = spec
    for (const release of this.releaseHeld.splice(0)) release()
  }

  /** Waits while `hold` holds this path (it contains the hold's text): until the faults are set again, at most HOLD_MAX_MS. */
  async holdIfAsked(path: string): Promise<void> {
    const hold = this.spec.hold
    if (!hold || !path.includes(hold)) return
    this.held++
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, HOLD_MAX_MS)
        this.releaseHeld.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    } finally {
      this.held--
    }
  }

  roll(kind: Kind): boolean {
    const p = this.spec[kind]
    const hit = p > 0 && Math.random() < p
    if (hit) this.injected[kind] = (this.injected[kind] ?? 0) + 1
    return hit
  }

  /** Whether to truncate this download of document `key`. */
  truncate(key: string): boolean {
    const first = !this.seen.has(key)
    this.seen.add(key)
    if (first && this.spec.truncatefirst > 0 && Math.random() < this.spec.truncatefirst) {
      this.injected.truncate = (this.injected.truncate ?? 0) + 1
      return true
    }
    return this.roll('truncate')
  }
}

/** The longest a request is held (a test that forgets to release it still ends). */
const HOLD_MAX_MS = 60_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Installs the HTTP faults on the routes under `prefixes`, and the admin
 * endpoint PUT/GET /_sandbox/faults.
 */
export function installHttpFaults(app: FastifyInstance, faults: Faults, prefixes: string[], malformedBody: () => unknown): void {
  const applies = (request: FastifyRequest) => prefixes.some((p) => request.url.startsWith(p))
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!applies(request)) return
    faults.inflight++
    reply.raw.once('close', () => faults.inflight--)
    if (faults.current.latency > 0) await sleep(faults.current.latency)
    await faults.holdIfAsked(request.url)
    if (faults.current.missing && request.url.includes(faults.current.missing)) return reply.code(404).send({error: {code: 'not_found', message: 'no such endpoint'}})
    if (faults.roll('reset')) {
      request.raw.socket.destroy()
      return reply.hijack()
    }
    if (faults.roll('503')) return reply.code(503).header('Retry-After', '0').send({error: {code: 'unavailable', message: 'fault injected: 503'}})
    if (faults.roll('429')) return reply.code(429).header('Retry-After', '1').send({error: {code: 'rate_limited', message: 'fault injected: 429'}})
    if (faults.roll('html')) {
      return reply.code(200).type('text/html; charset=utf-8').send('<!doctype html><html><body><h1>Anmeldung</h1><p>Proxy login required</p></body></html>')
    }
    if (faults.roll('malformed')) return reply.code(200).type('application/json').send(JSON.stringify(malformedBody()))
  })
  app.addHook('onSend', async (request, reply, payload) => {
    if (faults.current.dateskew) reply.header('date', new Date(Date.now() + faults.current.dateskew).toUTCString())
    // The handler has done its work; the answer never arrives.
    if (applies(request) && request.method !== 'GET' && reply.statusCode < 300 && faults.roll('lostanswer')) request.raw.socket.destroy()
    return payload
  })
  app.get('/_sandbox/faults', async () => ({faults: faults.current, injected: faults.injected, inflight: faults.inflight, held: faults.held}))
  app.put('/_sandbox/faults', async (request, reply) => {
    const spec = (request.body as {spec?: unknown} | undefined)?.spec
    if (typeof spec !== 'string') return reply.code(400).send({error: {code: 'invalid_request', message: 'body must be {"spec": "503=0.2,..."}'}})
    try {
      faults.set(parseFaultSpec(spec))
    } catch (error) {
      return reply.code(400).send({error: {code: 'invalid_request', message: (error as Error).message}})
    }
    return {faults: faults.current, injected: faults.injected}
  })
}
