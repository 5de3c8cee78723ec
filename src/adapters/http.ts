/**
 * The one HTTP layer. Every outside call goes through here, so the transport
 * rules, retries, timeouts and error mapping hold everywhere:
 *
 * - plain http:// only to loopback, unless the system's config opts in;
 * - TLS always verified, with an optional extra CA per system;
 * - HTTPS_PROXY / HTTP_PROXY / NO_PROXY honoured (loopback never proxied);
 * - retries only for what is safe: network resets, 429, 502, 503, 504, on
 *   idempotent methods or requests carrying an Idempotency-Key; Retry-After
 *   honoured; exponential backoff with full jitter; attempts and total time capped;
 * - errors become typed AppErrors that name the system and endpoint and never
 *   carry headers, credentials or bodies.
 */
import {createHash} from 'node:crypto'
import {createWriteStream, readFileSync} from 'node:fs'
import {rename} from 'node:fs/promises'
import {dirname} from 'node:path'
import {fsyncDir, removeFile} from './durable.js'
import {releasingCounter} from './memory.js'
import http from 'node:http'
import https from 'node:https'
import {rootCertificates} from 'node:tls'
import {Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import axios, {type AxiosInstance, type AxiosRequestConfig, type AxiosResponse, isAxiosError} from 'axios'
import {HttpProxyAgent} from 'http-proxy-agent'
import {HttpsProxyAgent} from 'https-proxy-agent'
import {getProxyForUrl} from 'proxy-from-env'
import type * as z from 'zod'
import {
  AppError,
  AuthError,
  ConfigError,
  ConflictError,
  IntegrityError,
  NotFoundError,
  RemoteRejectedError,
  UnavailableError,
  diskFullError,
} from '../errors.js'
import {TLS_CODES, checkTransport, isLoopbackHost} from './transport-rules.js'

export interface HttpTargetOptions {
  /** Human name used in messages: "melon" or "Immotop 2". */
  system: string
  baseURL: string
  /** Config key prefix for fix lines, e.g. "melon" → "melon.baseUrl". */
  configKey: string
  /** What to check on a 401, e.g. "melon.token (or MELON_IMMOTOP_MELON_TOKEN)". */
  credentialHint?: string
  caFile?: string
  allowInsecureHttp?: boolean
  timeoutMs: number
  headers?: Record<string, string>
  auth?: {username: string; password: string}
  retry?: Partial<RetryPolicy>
}

export interface RetryPolicy {
  maxAttempts: number
  totalBudgetMs: number
  baseDelayMs: number
  maxDelayMs: number
}

const DEFAULT_RETRY: RetryPolicy = {maxAttempts: 8, totalBudgetMs: 60_000, baseDelayMs: 200, maxDelayMs: 5_000}
const RETRY_STATUS = new Set([429, 502, 503, 504])
const RETRY_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'EAI_AGAIN'])

export {checkTransport, isLoopbackHost} from './transport-rules.js'

export class HttpClient {
  readonly axios: AxiosInstance
  readonly url: URL
  private readonly policy: RetryPolicy
  /** Called once per run when the opt-in to insecure http is in use. */
  readonly insecure: boolean

  constructor(readonly target: HttpTargetOptions) {
    this.url = checkTransport(target)
    this.insecure = this.url.protocol === 'http:' && !isLoopbackHost(this.url.hostname)
    this.policy = {...DEFAULT_RETRY, ...target.retry}
    const ca = target.caFile ? [...rootCertificates, readFileSync(target.caFile, 'utf8')] : undefined
    const proxy = isLoopbackHost(this.url.hostname) ? '' : getProxyForUrl(this.url.href)
    let httpAgent: http.Agent | undefined
    let httpsAgent: https.Agent | undefined
    if (proxy) {
      if (this.url.protocol === 'https:') httpsAgent = new TlsThroughProxyAgent(proxy, ca)
      else httpAgent = new HttpProxyAgent(proxy, {keepAlive: true})
    } else {
      httpAgent = new http.Agent({keepAlive: true})
      httpsAgent = new https.Agent({keepAlive: true, ca, rejectUnauthorized: true})
    }
    this.proxyUrl = proxy ? redactUrl(proxy) : null
    this.axios = axios.create({
      baseURL: this.url.href.replace(/\/$/, ''),
      timeout: target.timeoutMs,
      headers: {'User-Agent': 'melon-immotop', ...target.headers},
      auth: target.auth,
      httpAgent,
      httpsAgent,
      proxy: false,
      maxRedirects: 0,
      maxBodyLength: Infinity,
      maxContentLength: 64 * 1024 * 1024,
      validateStatus: () => true,
      transitional: {clarifyTimeoutError: true},
    })
  }

  readonly proxyUrl: string | null

  /**
   * Sends a request and validates the JSON answer against `schema`.
   * `endpoint` names the call in messages ("GET /tenants/{id}").
   */
  async json<T extends z.ZodTypeAny>(
    config: AxiosRequestConfig,
    endpoint: string,
    schema: T,
    interpret?: (response: AxiosResponse) => AppError | undefined,
  ): Promise<{data: z.output<T>; status: number; headers: AxiosResponse['headers']}> {
    const response = await this.send({...config, responseType: 'json'}, endpoint, interpret)
    const contentType = String(response.headers['content-type'] ?? '')
    if (!contentType.includes('json')) {
      throw new IntegrityError(
        'BAD_RESPONSE',
        `${this.target.system} ${endpoint} answered ${response.status} with ${contentType || 'no content type'} instead of JSON.`,
        `Check ${this.target.configKey}.baseUrl: it may point at a web page or a proxy login instead of the API.`,
      )
    }
    const parsed = schema.safeParse(response.data)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      throw new IntegrityError(
        'BAD_RESPONSE',
        `${this.target.system} ${endpoint} answered with an unexpected shape at "${issue.path.join('.') || '(root)'}": ${issue.message}.`,
        `The server does not speak the contract melon-immotop expects (docs/contracts). Report this to the system's vendor with this message.`,
      )
    }
    return {data: parsed.data, status: response.status, headers: response.headers}
  }

  /** Sends with retries; returns only 2xx responses, maps everything else to an AppError. */
  async send(config: AxiosRequestConfig, endpoint: string, interpret?: (response: AxiosResponse) => AppError | undefined): Promise<AxiosResponse> {
    const method = (config.method ?? 'GET').toUpperCase()
    const headers = (config.headers ?? {}) as Record<string, unknown>
    const retryable = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].includes(method) || 'Idempotency-Key' in headers
    const started = Date.now()
    for (let attempt = 1; ; attempt++) {
      let response: AxiosResponse | undefined
      let failure: AppError
      try {
        // axios' timeout covers the response only; this bounds connect hangs too.
        // The timer stops once headers arrive, so a long streamed body is not cut.
        const controller = new AbortController()
        const timer = setTimeout(() => controller.abort(), this.target.timeoutMs + 1_000)
        let res: AxiosResponse
        try {
          res = await this.axios.request({...config, signal: controller.signal})
        } finally {
          clearTimeout(timer)
        }
        response = res
        if (res.status >= 200 && res.status < 300) return res
        if (config.responseType === 'stream') res.data = await smallJsonBody(res.data as NodeJS.ReadableStream)
        failure = interpret?.(res) ?? this.statusError(res, endpoint)
      } catch (error) {
        failure = this.networkError(error, endpoint)
      }
      const transient = response ? RETRY_STATUS.has(response.status) : isTransientNetwork(failure)
      if (!retryable || !transient || attempt >= this.policy.maxAttempts) throw failure
      const wait = retryDelay(attempt, this.policy, response?.headers['retry-after'])
      if (Date.now() - started + wait > this.policy.totalBudgetMs) throw failure
      await sleep(wait)
    }
  }

  /**
   * Streams a download to `destination` (mode 0600) while hashing it. The file
   * appears only when complete and matching `expected`; a truncated or corrupt
   * body is fetched again, up to the retry policy, then reported.
   */
  async download(
    path: string,
    endpoint: string,
    destination: string,
    expected: {sha256: string; size: number},
    bounds: DownloadBounds = DEFAULT_DOWNLOAD_BOUNDS,
  ): Promise<{sha256: string; size: number}> {
    const started = Date.now()
    // Every attempt must finish within grace + size / rate: a body that trickles is cut, not waited for.
    const deadlineMs = (bounds.graceSeconds + expected.size / bounds.minBytesPerSecond) * 1000
    for (let attempt = 1; ; attempt++) {
      const partial = `${destination}.part`
      let failure: AppError
      try {
        // The JSON size cap does not apply; the declared size bounds the body instead.
        const response = await this.send({method: 'GET', url: path, responseType: 'stream', maxContentLength: Infinity}, endpoint)
        const hash = createHash('sha256')
        let size = 0
        const body = response.data as NodeJS.ReadableStream & {destroy(error?: Error): void}
        // A body that stalls for longer than the timeout is abandoned.
        const idleMs = this.target.timeoutMs
        const idle = setTimeout(() => body.destroy(Object.assign(new Error('body stalled'), {code: 'ETIMEDOUT'})), idleMs)
        const deadline = setTimeout(() => body.destroy(Object.assign(new Error('too slow'), {code: 'DOWNLOAD_TOO_SLOW', received: size})), deadlineMs)
        // And at every moment, the last floorWindowSeconds must have brought floorBytesPerSecond on average (curl's --speed-limit/--speed-time).
        const floor = rateFloor(bounds, () => size, () => body.destroy(Object.assign(new Error('below the floor'), {code: 'DOWNLOAD_BELOW_FLOOR', received: size})))
        const release = releasingCounter()
        const meter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            idle.refresh()
            hash.update(chunk)
            size += chunk.length
            release(chunk.length)
            // Never let a runaway body fill the disk.
            if (size > expected.size) done(Object.assign(new Error('body longer than declared'), {code: 'BODY_TOO_LONG'}))
            else done(null, chunk)
          },
        })
        try {
          await receive(body, meter, partial)
        } finally {
          clearTimeout(idle)
          clearTimeout(deadline)
          floor.stop()
        }
        const sha256 = hash.digest('hex')
        const announced = String(response.headers['x-content-sha256'] ?? '')
        if (size === expected.size && sha256 === expected.sha256 && (!announced || announced === sha256)) {
          await rename(partial, destination)
          await fsyncDir(dirname(destination))
          return {sha256, size}
        }
        failure = new IntegrityError(
          'CHECKSUM_MISMATCH',
          `${this.target.system} ${endpoint}: received ${size} bytes with SHA-256 …${sha256.slice(-8)}, expected ${expected.size} bytes with …${expected.sha256.slice(-8)}.`,
          'Run the command again; if it persists, the document in melon is damaged and must be uploaded again there.',
        )
      } catch (error) {
        const code = (error as NodeJS.ErrnoException)?.code
        const full = diskFullError(error, dirname(destination), 'Nothing was sent; the partial file was removed.')
        if (full || code === 'DOWNLOAD_TOO_SLOW' || code === 'DOWNLOAD_BELOW_FLOOR') {
          await removeFile(partial)
          const received = (error as {received?: number}).received ?? 0
          throw (
            full ??
            (code === 'DOWNLOAD_TOO_SLOW'
              ? new UnavailableError(
                  'DOWNLOAD_TOO_SLOW',
                  `${this.target.system} ${endpoint}: ${received} of ${expected.size} bytes arrived within ${Math.round(deadlineMs / 1000)} s, below the minimum rate.`,
                  `Check the connection to ${this.url.host}; melon.downloadMinBytesPerSecond and melon.downloadGraceSeconds set the bound.`,
                )
              : new UnavailableError(
                  'DOWNLOAD_TOO_SLOW',
                  `${this.target.system} ${endpoint}: fewer than ${bounds.floorBytesPerSecond} bytes per second over the last ${bounds.floorWindowSeconds} s (${received} of ${expected.size} bytes arrived).`,
                  `Check the connection to ${this.url.host}; melon.downloadFloorBytesPerSecond and melon.downloadFloorWindowSeconds set the floor.`,
                ))
          )
        }
        failure =
          error instanceof AppError
            ? error
            : code === 'BODY_TOO_LONG'
              ? new IntegrityError('CHECKSUM_MISMATCH', `${this.target.system} ${endpoint}: the body is longer than the declared ${expected.size} bytes.`, 'Run the command again; if it persists, report it to the system\'s vendor.')
              : this.networkError(error, endpoint)
      }
      await removeFile(partial)
      const again = failure.code === 'CHECKSUM_MISMATCH' || isTransientNetwork(failure) || failure.code === 'RATE_LIMITED' || failure.code === 'SERVER_ERROR'
      if (!again || attempt >= this.policy.maxAttempts || Date.now() - started > this.policy.totalBudgetMs) throw failure
      await sleep(retryDelay(attempt, this.policy, undefined))
    }
  }

  private statusError(response: AxiosResponse, endpoint: string): AppError {
    const system = this.target.system
    const where = `${system} ${endpoint}`
    const key = this.target.configKey
    const status = response.status
    if (status === 401) return new AuthError('UNAUTHORIZED', `${where}: 401, the credentials were refused.`, `Check ${this.target.credentialHint ?? `the ${key} credentials`}.`)
    if (status === 403) {
      // The contract's error messages name the missing right and carry no personal data.
      const said = (response.data as {error?: {message?: unknown}} | undefined)?.error?.message
      const right = typeof said === 'string' ? ` (${said.slice(0, 120)})` : ''
      return new AuthError('FORBIDDEN', `${where}: 403, the account lacks the right for this call${right}.`, `Ask the ${system} administrator to grant the API user this right.`)
    }
    if (status === 404) return new NotFoundError('NOT_FOUND', `${where}: 404, not found.`, `Check the id, and ${key}.baseUrl.`)
    if (status === 409) return new ConflictError('CONFLICT', `${where}: 409, conflicts with the current state.`, 'Reload the current state and try again.')
    if (status === 429) {
      return new UnavailableError('RATE_LIMITED', `${where}: 429, too many requests (Retry-After ${response.headers['retry-after'] ?? 'not given'}).`, 'Wait a moment and run again; lower the concurrency for unattended runs.')
    }
    if (status >= 500) return new UnavailableError('SERVER_ERROR', `${where}: ${status}, the server failed.`, `Try again later; if it persists, contact the ${system} operator.`)
    if (status >= 300 && status < 400) {
      return new ConfigError('REDIRECTED', `${where}: ${status} redirect; melon-immotop does not follow redirects.`, `Set ${key}.baseUrl to the final address.`)
    }
    return new RemoteRejectedError('REJECTED', `${where}: ${status}, the request was rejected.`, 'Check the input; run with --verbose for details.', {details: {status}})
  }

  networkError(error: unknown, endpoint: string): AppError {
    const system = this.target.system
    const where = `${system} ${endpoint}`
    const key = this.target.configKey
    const host = this.url.host
    const code = isAxiosError(error) ? (error.code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code) : (error as NodeJS.ErrnoException)?.code
    const causeCode = isAxiosError(error) ? ((error.cause as NodeJS.ErrnoException | undefined)?.code ?? code) : code
    const details = {code: causeCode}
    const name = (error as Error)?.name
    if (causeCode === 'ENOTFOUND' || causeCode === 'EAI_AGAIN') {
      return new UnavailableError('DNS', `${where}: cannot resolve host ${this.url.hostname} (DNS).`, `Check the host name in ${key}.baseUrl and this machine's DNS.`, {details})
    }
    if (causeCode === 'ECONNREFUSED') {
      return new UnavailableError('CONNECTION_REFUSED', `${where}: connection refused by ${host}.`, `Check that the server runs and listens on that port, and ${key}.baseUrl.`, {details})
    }
    if (code === 'ETIMEDOUT' || code === 'ECONNABORTED' || name === 'TimeoutError' || name === 'AbortError' || code === 'ERR_CANCELED') {
      return new UnavailableError('TIMEOUT', `${where}: no answer from ${host} within ${this.target.timeoutMs} ms.`, `Check the network path to ${host} (firewall, VPN), or raise ${key}.timeoutMs.`, {details})
    }
    if (causeCode && TLS_CODES[causeCode]) {
      return new UnavailableError('TLS', `${where}: TLS failed for ${host}: ${TLS_CODES[causeCode]}.`, `If the server uses your own CA, set ${key}.caFile to its PEM file; otherwise renew or fix the server certificate.`, {details})
    }
    if (causeCode === 'ECONNRESET' || causeCode === 'EPIPE' || causeCode === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error)?.message === 'aborted') {
      return new UnavailableError('CONNECTION_RESET', `${where}: the connection to ${host} was dropped.`, 'Run again; if it persists, check proxies and load balancers between here and the server.', {details})
    }
    if (this.proxyUrl && (causeCode === 'ERR_PROXY' || /proxy/i.test((error as Error)?.message ?? ''))) {
      return new UnavailableError('PROXY', `${where}: the proxy ${this.proxyUrl} failed.`, 'Check HTTPS_PROXY / NO_PROXY.', {details})
    }
    return new UnavailableError('NETWORK', `${where}: network error (${causeCode ?? name ?? 'unknown'}).`, `Check the network path to ${host}.`, {details})
  }
}

/**
 * https-proxy-agent takes the target's TLS options from the request, not from
 * the agent; axios does not pass `ca` on the request. This puts the extra CA
 * (and strict verification) on every tunnelled TLS connection.
 */
class TlsThroughProxyAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: string,
    private readonly ca: string[] | undefined,
  ) {
    super(proxy, {keepAlive: true})
  }

  override connect(req: http.ClientRequest, opts: Parameters<HttpsProxyAgent<string>['connect']>[1]) {
    if (!opts.secureEndpoint) return super.connect(req, opts)
    return super.connect(req, {...opts, ...(this.ca ? {ca: this.ca} : {}), rejectUnauthorized: true})
  }
}


function isTransientNetwork(error: AppError): boolean {
  return ['CONNECTION_RESET', 'TIMEOUT'].includes(error.code) || RETRY_CODES.has(String(error.details?.code ?? ''))
}

/** Retry-After (seconds or HTTP date) wins; otherwise exponential backoff with full jitter. */
export function retryDelay(attempt: number, policy: RetryPolicy, retryAfter: unknown): number {
  if (retryAfter !== undefined && retryAfter !== null && retryAfter !== '') {
    const seconds = Number(retryAfter)
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, policy.totalBudgetMs)
    const date = Date.parse(String(retryAfter))
    if (!Number.isNaN(date)) return Math.max(0, Math.min(date - Date.now(), policy.totalBudgetMs))
  }
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
  return Math.round(Math.random() * cap)
}

/** The error body of a streamed request: at most 4 KiB, as JSON when it is JSON. */
async function smallJsonBody(stream: NodeJS.ReadableStream): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk)
      size += chunk.length
      if (size > 4096) break
    }
  } catch {
    return undefined
  } finally {
    ;(stream as unknown as {destroy?: () => void}).destroy?.()
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return undefined
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.username || parsed.password) {
      parsed.username = '…'
      parsed.password = ''
    }
    return parsed.href
  } catch {
    return '(unparseable proxy URL)'
  }
}

/**
 * A body into `partial`: created exclusively (O_CREAT|O_EXCL never follows a
 * link someone planted), and flushed by the stream that wrote it before it
 * closes the file, not through a second open.
 */
async function receive(body: NodeJS.ReadableStream, meter: Transform, partial: string): Promise<void> {
  await removeFile(partial)
  // flush: the stream syncs the file before it closes it (Node ≥ 20.10).
  await pipeline(body, meter, createWriteStream(partial, {flags: 'wx', mode: 0o600, flush: true}))
}

/** How long a download may take (grace + size ÷ minBytesPerSecond), and the rate it may never stay below for a whole window. */
export interface DownloadBounds {
  minBytesPerSecond: number
  graceSeconds: number
  floorBytesPerSecond: number
  floorWindowSeconds: number
}

export const DEFAULT_DOWNLOAD_BOUNDS: DownloadBounds = {minBytesPerSecond: 32 * 1024, graceSeconds: 60, floorBytesPerSecond: 4096, floorWindowSeconds: 30}

/**
 * The sliding window: once a second, how many bytes came in that second; when
 * the last `floorWindowSeconds` seconds together brought less than
 * floorBytesPerSecond × floorWindowSeconds, `tooSlow` is called. A document
 * that declares 50 MB and sends a byte every 2 s is cut after the window,
 * not after the overall deadline.
 */
function rateFloor(bounds: DownloadBounds, received: () => number, tooSlow: () => void): {stop(): void} {
  const window = Math.max(1, Math.round(bounds.floorWindowSeconds))
  const counts: number[] = []
  let last = received()
  const timer = setInterval(() => {
    const now = received()
    counts.push(now - last)
    last = now
    if (counts.length > window) counts.shift()
    if (counts.length === window && counts.reduce((a, b) => a + b, 0) < bounds.floorBytesPerSecond * window) {
      clearInterval(timer)
      tooSlow()
    }
  }, 1000)
  timer.unref()
  return {stop: () => clearInterval(timer)}
}
