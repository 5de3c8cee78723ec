/**
 * The melon partner API adapter: the only module that knows melon's URLs,
 * headers and wire format (docs/contracts/melon-partner-api.yaml). When the
 * real partner API specification is obtained, this file is what changes.
 */
import type {AxiosResponse} from 'axios'
import * as z from 'zod'
import {melonBaseUrl, type MelonConfig} from '../config/schema.js'
import {
  HandoverMarkerSchema,
  ListingPageSchema,
  ListingSchema,
  MeSchema,
  TenantPageSchema,
  TenantSchema,
  type ContractStatus,
  type DocumentMeta,
  type HandoverMarker,
  type HandoverMarkerInput,
  type Listing,
  type ListingInput,
  type Tenant,
  type TenantContractInput,
} from '../wire/melon-wire.js'
import {ConfigError, ConflictError, NotFoundError, RemoteRejectedError, type AppError, IntegrityError} from '../errors.js'
import {HttpClient, type RetryPolicy} from './http.js'

export const PARTNER_PREFIX = '/api/partner/v1'

/** Every route the client calls; test/e2e/contract.test.ts checks each is in the OpenAPI document. */
export const MELON_ROUTES = [
  ['get', '/api/partner/v1/me'],
  ['get', '/api/partner/v1/objects'],
  ['get', '/api/partner/v1/objects/{reference_number}'],
  ['put', '/api/partner/v1/objects/{reference_number}'],
  ['delete', '/api/partner/v1/objects/{reference_number}'],
  ['get', '/api/partner/v1/tenants'],
  ['get', '/api/partner/v1/tenants/{tenant_id}'],
  ['put', '/api/partner/v1/tenants/{tenant_id}/contract'],
  ['put', '/api/partner/v1/tenants/{tenant_id}/handover'],
  ['get', '/api/partner/v1/tenants/{tenant_id}/documents/{document_id}'],
  ['get', '/api/v2/objects/'],
] as const

export class MelonClient {
  readonly http: HttpClient

  constructor(
    private readonly config: MelonConfig,
    options: {retry?: Partial<RetryPolicy>} = {},
  ) {
    this.http = new HttpClient({
      system: 'melon',
      configKey: 'melon',
      credentialHint: 'melon.token (or MELON_IMMOTOP_MELON_TOKEN); emonitor issues the token per project',
      baseURL: melonBaseUrl(config),
      caFile: config.caFile,
      allowInsecureHttp: config.allowInsecureHttp,
      timeoutMs: config.timeoutMs,
      headers: {
        Accept: 'application/json',
        ...(config.token ? {Authorization: `Token ${config.token}`} : {}),
        'X-Melon-Project': config.project,
      },
      retry: options.retry,
    })
  }

  /** The melon project this client speaks to (melon.project). */
  get project(): string {
    return this.config.project
  }

  async me() {
    const {data, headers} = await this.http.json({method: 'GET', url: `${PARTNER_PREFIX}/me`}, 'GET /me', MeSchema, (r) => this.projectNotFound(r))
    return {...data, serverDate: typeof headers.date === 'string' ? headers.date : null}
  }

  /** Harmless reads that prove a right (doctor): one item of each list. */
  async probeRead(what: 'objects' | 'tenants'): Promise<void> {
    const params = what === 'tenants' ? {contract_status: 'without_contract', page: 1, page_size: 1} : {page: 1, page_size: 1}
    await this.http.json({method: 'GET', url: `${PARTNER_PREFIX}/${what}`, params}, `GET /${what}`, what === 'tenants' ? TenantPageSchema : ListingPageSchema, (r) => this.projectNotFound(r))
  }

  /** null when melon has no listing with that reference number. */
  async getListing(referenceNumber: string): Promise<Listing | null> {
    try {
      const {data} = await this.http.json(
        {method: 'GET', url: `${PARTNER_PREFIX}/objects/${encodeURIComponent(referenceNumber)}`},
        'GET /objects/{reference_number}',
        ListingSchema,
        (r) => this.projectNotFound(r),
      )
      return data
    } catch (error) {
      if (error instanceof NotFoundError && error.code === 'NOT_FOUND') return null
      throw error
    }
  }

  /** Creates or replaces the listing with this reference number. PUT is idempotent. */
  async upsertListing(listing: ListingInput, idempotencyKey: string): Promise<{created: boolean; listing: Listing}> {
    const {data, status} = await this.http.json(
      {
        method: 'PUT',
        url: `${PARTNER_PREFIX}/objects/${encodeURIComponent(listing.reference_number)}`,
        data: listing,
        headers: {'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey},
      },
      'PUT /objects/{reference_number}',
      ListingSchema,
      (r) => this.projectNotFound(r) ?? this.validationError(r, `listing ${listing.reference_number}`),
    )
    return {created: status === 201, listing: data}
  }

  /** Withdraws a listing. DELETE is idempotent: a listing already gone is not an error. */
  async deleteListing(referenceNumber: string): Promise<void> {
    try {
      await this.http.send(
        {method: 'DELETE', url: `${PARTNER_PREFIX}/objects/${encodeURIComponent(referenceNumber)}`},
        'DELETE /objects/{reference_number}',
        (r) => this.projectNotFound(r),
      )
    } catch (error) {
      if (error instanceof NotFoundError && error.code === 'NOT_FOUND') return
      throw error
    }
  }

  async listListings(): Promise<Listing[]> {
    return this.paged('GET /objects', (page) =>
      this.http.json({method: 'GET', url: `${PARTNER_PREFIX}/objects`, params: {page, page_size: 100}}, 'GET /objects', ListingPageSchema).then((r) => r.data),
    )
  }

  /**
   * Reads every page, bounded: `next_page` must grow, reading stops once
   * `count` items are in, and never goes past melon.maxPages. A read that
   * ends before `count` items are in (an empty page, no next page) is an
   * error, never a shorter list: a tenant missing from it would look like one
   * that is not there.
   */
  private async paged<T>(endpoint: string, fetchPage: (page: number) => Promise<{count: number; next_page: number | null; results: T[]}>): Promise<T[]> {
    const out: T[] = []
    const runaway = (why: string) =>
      new IntegrityError('PAGINATION_RUNAWAY', `melon ${endpoint}: ${why}; stopped reading.`, 'Report this to emonitor with this message; melon.maxPages sets the page limit.')
    for (let page: number | null = 1, read = 0; page !== null; read++) {
      if (read >= this.config.maxPages) throw runaway(`more than ${this.config.maxPages} pages (melon.maxPages)`)
      const data = await fetchPage(page)
      out.push(...data.results)
      if (out.length >= data.count) break
      if (data.results.length === 0 || data.next_page === null) {
        throw new IntegrityError(
          'PAGINATION_SHORT',
          `melon ${endpoint}: page ${page} ends the list after ${out.length} of ${data.count} items; stopped reading.`,
          'Run it again (the list may have changed while it was read); if it repeats, report it to emonitor with this message.',
        )
      }
      if (data.next_page <= page) throw runaway(`page ${page} names page ${data.next_page} as the next one`)
      page = data.next_page
    }
    return out
  }

  /** melon's public object list (`GET /api/v2/objects/?format=json`): what the public sees. */
  async publicObjects(): Promise<unknown[]> {
    const {data} = await this.http.json({method: 'GET', url: '/api/v2/objects/', params: {format: 'json'}}, 'GET /api/v2/objects/', z.array(z.unknown()))
    return data
  }

  async listTenants(status: ContractStatus): Promise<Tenant[]> {
    return this.paged('GET /tenants', (page) =>
      this.http
        .json({method: 'GET', url: `${PARTNER_PREFIX}/tenants`, params: {contract_status: status, page, page_size: 50}}, 'GET /tenants', TenantPageSchema, (r) => this.projectNotFound(r))
        .then((r) => r.data),
    )
  }

  async getTenant(tenantId: string): Promise<Tenant> {
    const {data} = await this.http.json(
      {method: 'GET', url: `${PARTNER_PREFIX}/tenants/${encodeURIComponent(tenantId)}`},
      'GET /tenants/{tenant_id}',
      TenantSchema,
      (r) =>
        this.projectNotFound(r) ??
        (r.status === 404
          ? new NotFoundError('TENANT_NOT_FOUND', `melon has no tenant with id ${tenantId} in project ${this.config.project}.`, 'List the tenants with `melon-immotop tenants` and use an id from there.')
          : undefined),
    )
    return data
  }

  /**
   * Tells melon that the tenant's contract exists (`with_contract`), with
   * Immotop 2's tenancy reference and start. PUT with an Idempotency-Key: a
   * repeat after a lost answer changes nothing. 409 when melon already holds
   * another contract for the tenant.
   */
  setTenantContract(tenantId: string, contract: TenantContractInput, idempotencyKey: string): Promise<Tenant> {
    return this.putOnTenant(tenantId, 'contract', contract, idempotencyKey, 'nothing to tell', () =>
      new ConflictError('CONTRACT_CONFLICT', `melon already holds another contract for tenant ${tenantId}.`, 'Check the tenant in melon; `melon-immotop contracts` shows what Immotop 2 holds.'),
    )
  }

  /**
   * Marks the tenant as handed over by this installation, before its files go
   * into Immotop 2: one handover per tenant per melon project, whatever the
   * state folder. Another installation's marker is HANDED_OVER_ELSEWHERE
   * (exit 5), naming it.
   */
  async markHandover(tenantId: string, marker: HandoverMarkerInput, idempotencyKey: string): Promise<Tenant | null> {
    // melon.handoverMarkers false: a melon without the route; exactly once then holds per state folder only.
    if (!this.config.handoverMarkers) return null
    try {
      return await this.putOnTenant(tenantId, 'handover', marker, idempotencyKey, 'nothing was sent', (r) =>
        handedOverElsewhere(tenantId, HandoverMarkerSchema.safeParse((r.data as {handover?: unknown} | undefined)?.handover).data ?? null),
      )
    } catch (error) {
      // A 404 for a tenant melon just listed: the server has no such route, which is not the tenant's absence.
      if (error instanceof NotFoundError && error.code === 'TENANT_NOT_FOUND' && (await this.getTenant(tenantId).then(() => true, () => false))) {
        throw new ConfigError(
          'MELON_NO_HANDOVER_MARKER',
          `melon ${melonBaseUrl(this.config)} does not offer PUT /api/partner/v1/tenants/{tenant_id}/handover, the handover marker of the partner contract (docs/contracts/melon-partner-api.yaml); nothing was sent.`,
          'Ask emonitor for the partner API version with handover markers. Until then, set melon.handoverMarkers to false (exactly once then holds per state folder only: run one installation per melon project).',
          {cause: error},
        )
      }
      throw error
    }
  }

  /** PUT /tenants/{id}/<what> with an Idempotency-Key; 404 is TENANT_NOT_FOUND (`gone`: what that means), 409 is `conflict`'s. */
  private async putOnTenant(tenantId: string, what: 'contract' | 'handover', body: unknown, idempotencyKey: string, gone: string, conflict: (r: AxiosResponse) => AppError): Promise<Tenant> {
    const {data} = await this.http.json(
      {
        method: 'PUT',
        url: `${PARTNER_PREFIX}/tenants/${encodeURIComponent(tenantId)}/${what}`,
        data: body,
        headers: {'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey},
      },
      `PUT /tenants/{tenant_id}/${what}`,
      TenantSchema,
      (r) =>
        this.projectNotFound(r) ??
        (r.status === 404 ? new NotFoundError('TENANT_NOT_FOUND', `melon has no tenant with id ${tenantId} in project ${this.config.project}.`, `The tenant was removed in melon; ${gone}.`) : undefined) ??
        (r.status === 409 ? conflict(r) : undefined) ??
        this.validationError(r, `the ${what === 'contract' ? 'contract' : 'handover marker'} of tenant ${tenantId}`),
    )
    return data
  }

  /**
   * Streams one document to `destination`, verifying size and SHA-256. A
   * declared size above melon.maxDocumentBytes is refused before anything is
   * downloaded; the body is cut at the declared size and bounded in time.
   */
  async downloadDocument(tenantId: string, document: DocumentMeta, destination: string) {
    if (document.size > this.config.maxDocumentBytes) {
      throw new IntegrityError(
        'DOCUMENT_TOO_LARGE',
        `melon declares document ${document.id} of tenant ${tenantId} with ${document.size} bytes, more than melon.maxDocumentBytes (${this.config.maxDocumentBytes}); nothing was downloaded.`,
        'Check the document in melon; if it is genuine, raise melon.maxDocumentBytes.',
      )
    }
    return this.http.download(
      `${PARTNER_PREFIX}/tenants/${encodeURIComponent(tenantId)}/documents/${encodeURIComponent(document.id)}`,
      'GET /tenants/{tenant_id}/documents/{document_id}',
      destination,
      {sha256: document.sha256, size: document.size},
      {
        minBytesPerSecond: this.config.downloadMinBytesPerSecond,
        graceSeconds: this.config.downloadGraceSeconds,
        floorBytesPerSecond: this.config.downloadFloorBytesPerSecond,
        floorWindowSeconds: this.config.downloadFloorWindowSeconds,
      },
    )
  }

  private projectNotFound(response: AxiosResponse): AppError | undefined {
    const code = (response.data as {error?: {code?: string}} | undefined)?.error?.code
    if (response.status !== 404 || code !== 'project_not_found') return undefined
    return new NotFoundError('PROJECT_NOT_FOUND', `melon does not know the project "${this.config.project}".`, 'Check melon.project: it is the first part of your melon address, <project>.melon.rent.')
  }

  private validationError(response: AxiosResponse, what: string): AppError | undefined {
    if (response.status !== 400 && response.status !== 422) return undefined
    const body = response.data as {error?: {code?: string; message?: string}} | undefined
    const reason = typeof body?.error?.message === 'string' ? body.error.message.slice(0, 200) : 'no reason given'
    return new RemoteRejectedError('MELON_REJECTED', `melon rejected ${what}: ${reason}.`, 'Correct the data in the source system and publish again.')
  }
}

/** Another installation of melon-immotop holds the tenant's handover (its marker in melon): named, with the fix. */
export function handedOverElsewhere(tenantId: string, marker: HandoverMarker | null): ConflictError {
  const who = marker ? `another melon-immotop installation (${marker.installation_name}, since ${marker.marked_at})` : 'another melon-immotop installation'
  return new ConflictError(
    'HANDED_OVER_ELSEWHERE',
    `Tenant ${tenantId} is handed over by ${who}; nothing was sent, so it reaches Immotop 2 once.`,
    'Run the handovers of one melon project from one installation: give this config the stateDir of that installation, or stop one of the two. Its `history --tenant` shows the handover.',
    {details: {installation: marker}},
  )
}
