/**
 * The Immotop 2 DMS REST adapter (docs/contracts/immotop2.md): Basic auth as
 * `wwdms`, the `Version` header on every request, JSON views filtered by
 * column. Only W&W's documented columns are read.
 */
import type {AxiosResponse} from 'axios'
import * as z from 'zod'
import type {ImmotopConfig} from '../config/schema.js'
import {
  FailureAnswerSchema,
  LiegenschaftRowSchema,
  MandantRowSchema,
  MieterRowSchema,
  MitarbeiterRowSchema,
  missingGatedColumns,
  ObjektRowSchema,
  VerhaeltnisRowSchema,
  type MandantRow,
} from '../wire/immotop-wire.js'
import type {UnitRef} from '../core/unit-ref.js'
import {formatUnitRef} from '../core/unit-ref.js'
import type {ImmotopUnitRows} from '../core/vacancy.js'
import {NotFoundError, RemoteRejectedError, type AppError} from '../errors.js'
import {HttpClient, type RetryPolicy} from './http.js'

export const REST_PREFIX = '/api/DmsRestServices'

type Filter = Record<string, string | number>

/** Which version-gated columns a server's views carry (doctor's feature check). */
export interface ImmotopFeatures {
  /** Rows were found to look at; with none, nothing can be said. */
  sampled: {objekt: boolean; liegenschaft: boolean; mieter: boolean}
  /** Gated columns missing from the rows, with the version that brings them. */
  missing: Array<{view: string; column: string; version: string}>
}

export class ImmotopRestClient {
  readonly http: HttpClient

  constructor(
    private readonly config: ImmotopConfig,
    options: {retry?: Partial<RetryPolicy>} = {},
  ) {
    this.http = new HttpClient({
      system: 'Immotop 2',
      configKey: 'immotop',
      credentialHint: 'immotop.user and immotop.password (or MELON_IMMOTOP_IMMOTOP_PASSWORD); W&W issues the wwdms password',
      baseURL: config.baseUrl,
      caFile: config.caFile,
      allowInsecureHttp: config.allowInsecureHttp,
      timeoutMs: config.timeoutMs,
      headers: {Accept: 'application/json', Version: config.apiVersion},
      auth: config.password ? {username: config.user, password: config.password} : undefined,
      retry: options.retry,
    })
  }

  /** Where the connectivity probe goes, for messages. */
  get testUrl(): string {
    return `${this.config.baseUrl.replace(/\/$/, '')}${REST_PREFIX}/Test`
  }

  /** The connectivity probe. W&W documents no body: any 2xx is success, the body is ignored. */
  async test(): Promise<{serverDate: string | null}> {
    const response = await this.http.send({method: 'GET', url: `${REST_PREFIX}/Test`, responseType: 'text'}, 'GET Test', (r) => this.failure(r, 'Test'))
    return {serverDate: typeof response.headers.date === 'string' ? response.headers.date : null}
  }

  async mandant(nr: number): Promise<MandantRow | null> {
    return (await this.view('GetDmsMandant', {nr}, MandantRowSchema))[0] ?? null
  }

  async mandants(): Promise<MandantRow[]> {
    return this.view('GetDmsMandant', {}, MandantRowSchema)
  }

  /** Reads everything needed to decide whether a unit is vacant and to describe it. */
  async unitRows(ref: UnitRef): Promise<ImmotopUnitRows> {
    const unit = {mandant_nr: ref.mandant, liegenschaft_nr: ref.liegenschaft}
    const [objekte, liegenschaften, verhaeltnisse] = await Promise.all([
      this.view('GetDmsObjekt', {...unit, nr: ref.objekt}, ObjektRowSchema),
      this.view('GetDmsLiegenschaft', {mandant_nr: ref.mandant, nr: ref.liegenschaft}, LiegenschaftRowSchema),
      this.view('GetDmsVerhaeltnis', {...unit, objekt_nr: ref.objekt}, VerhaeltnisRowSchema),
    ])
    const objekt = objekte[0]
    const liegenschaft = liegenschaften[0]
    if (!objekt || !liegenschaft) {
      throw new NotFoundError(
        'UNIT_NOT_FOUND',
        `Immotop 2 has no unit ${formatUnitRef(ref)} (${liegenschaft ? 'no such Objekt' : 'no such Liegenschaft'} in mandant ${ref.mandant}).`,
        'Check the reference: <mandant>.<liegenschaft>.<objekt> as shown in Immotop 2.',
      )
    }
    const seq = liegenschaft.mitarbeiter_seqnr
    const mitarbeiter = seq === null || seq === undefined ? null : ((await this.view('GetDmsMitarbeiter', {s_seqnr: seq}, MitarbeiterRowSchema))[0] ?? null)
    return {objekt, liegenschaft, verhaeltnisse, mitarbeiter}
  }

  /**
   * Every unit of a mandant with what decides its vacancy, in four calls; and
   * apart, the units GetDmsObjekt lists whose Liegenschaft GetDmsLiegenschaft
   * does not (a REST user without rights to it): they cannot be judged, and
   * must not look like units that are gone.
   */
  async mandantRead(mandant: number): Promise<{units: ImmotopUnitRows[]; withoutLiegenschaft: Array<ImmotopUnitRows['objekt']>}> {
    const [objekte, liegenschaften, verhaeltnisse, mitarbeiter] = await Promise.all([
      this.view('GetDmsObjekt', {mandant_nr: mandant}, ObjektRowSchema),
      this.view('GetDmsLiegenschaft', {mandant_nr: mandant}, LiegenschaftRowSchema),
      this.view('GetDmsVerhaeltnis', {mandant_nr: mandant}, VerhaeltnisRowSchema),
      this.view('GetDmsMitarbeiter', {}, MitarbeiterRowSchema),
    ])
    const byLiegenschaft = new Map(liegenschaften.map((l) => [l.nr, l]))
    const byMitarbeiter = new Map(mitarbeiter.map((m) => [m.s_seqnr, m]))
    const tenancies = new Map<string, typeof verhaeltnisse>()
    for (const v of verhaeltnisse) {
      const k = `${v.liegenschaft_nr}.${v.objekt_nr}`
      tenancies.set(k, [...(tenancies.get(k) ?? []), v])
    }
    const withoutLiegenschaft: Array<ImmotopUnitRows['objekt']> = []
    const units = objekte.flatMap((objekt) => {
      const liegenschaft = byLiegenschaft.get(objekt.liegenschaft_nr)
      if (!liegenschaft) {
        withoutLiegenschaft.push(objekt)
        return []
      }
      const seq = liegenschaft.mitarbeiter_seqnr
      return [
        {
          objekt,
          liegenschaft,
          verhaeltnisse: tenancies.get(`${objekt.liegenschaft_nr}.${objekt.nr}`) ?? [],
          mitarbeiter: seq === null || seq === undefined ? null : (byMitarbeiter.get(seq) ?? null),
        },
      ]
    })
    return {units, withoutLiegenschaft}
  }

  /** The tenancies (Verhältnisse) of one unit, ownership rows included; the caller keeps the Mieter ones. */
  async unitTenancies(ref: UnitRef) {
    return this.view('GetDmsVerhaeltnis', {mandant_nr: ref.mandant, liegenschaft_nr: ref.liegenschaft, objekt_nr: ref.objekt}, VerhaeltnisRowSchema)
  }

  async mieter(filter: Filter) {
    return this.view('GetDmsMieter', filter, MieterRowSchema)
  }

  /**
   * Which version-gated columns the views carry, from one row of each (a
   * filter on `mandant_nr` keeps the answers small).
   */
  async features(mandant: number): Promise<ImmotopFeatures> {
    const [objekte, liegenschaften, mieter] = await Promise.all([
      this.raw('GetDmsObjekt', {mandant_nr: mandant}),
      this.raw('GetDmsLiegenschaft', {mandant_nr: mandant}),
      this.raw('GetDmsMieter', {mandant_nr: mandant}),
    ])
    const missing: ImmotopFeatures['missing'] = []
    for (const [view, rows] of [
      ['GetDmsObjekt', objekte],
      ['GetDmsLiegenschaft', liegenschaften],
      ['GetDmsMieter', mieter],
    ] as const) {
      if (rows[0]) missing.push(...missingGatedColumns(view, rows[0]).map((m) => ({view, ...m})))
    }
    return {sampled: {objekt: objekte.length > 0, liegenschaft: liegenschaften.length > 0, mieter: mieter.length > 0}, missing}
  }

  private async raw(method: string, filter: Filter): Promise<Array<Record<string, unknown>>> {
    return this.view(method, filter, z.record(z.string(), z.unknown()))
  }

  private async view<T extends z.ZodTypeAny>(method: string, filter: Filter, row: T): Promise<Array<z.output<T>>> {
    const {data} = await this.http.json({method: 'GET', url: `${REST_PREFIX}/${method}`, params: filter}, `GET ${method}`, z.array(row), (r) =>
      this.failure(r, method),
    )
    return data
  }

  /** Turns W&W's {Erfolgreich:false, FehlerMeldung} answers into a message. */
  private failure(response: AxiosResponse, method: string): AppError | undefined {
    if (response.status !== 400) return undefined
    const parsed = FailureAnswerSchema.safeParse(typeof response.data === 'string' ? safeJson(response.data) : response.data)
    const reason = parsed.success ? (parsed.data.FehlerMeldung ?? `FehlerCode ${parsed.data.FehlerCode}`).slice(0, 200) : 'no reason given'
    const versionHint = /version/i.test(reason) ? ` The server refused the Version header "${this.config.apiVersion}"; check immotop.apiVersion.` : ''
    return new RemoteRejectedError('IMMOTOP_REJECTED', `Immotop 2 ${method} refused the request: ${reason}.${versionHint}`, versionHint ? 'Set immotop.apiVersion to the version W&W names for your server (default 1.0).' : 'Check the request; run with --verbose for details.')
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
