/**
 * The Immotop 2 DMS REST adapter (docs/contracts/immotop2.md): Basic auth as
 * `wwdms`, the `Version` header on every request, JSON views filtered by column.
 */
import type {AxiosResponse} from 'axios'
import {z} from 'zod'
import type {ImmotopConfig} from '../config/schema.js'
import {
  FailureAnswerSchema,
  LiegenschaftRowSchema,
  MandantRowSchema,
  MieterRowSchema,
  MitarbeiterRowSchema,
  ObjektRowSchema,
  TestAnswerSchema,
  VerhaeltnisRowSchema,
} from '../contracts/immotop-wire.js'
import type {UnitRef} from '../core/unit-ref.js'
import {formatUnitRef} from '../core/unit-ref.js'
import type {ImmotopUnitRows} from '../core/vacancy.js'
import {NotFoundError, RemoteRejectedError, type AppError} from '../errors.js'
import {HttpClient, type RetryPolicy} from './http.js'

export const REST_PREFIX = '/api/DmsRestServices'

type Filter = Record<string, string | number>

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

  /** The connectivity probe. */
  async test() {
    const {data, headers} = await this.http.json({method: 'GET', url: `${REST_PREFIX}/Test`}, 'GET Test', TestAnswerSchema, (r) => this.failure(r, 'Test'))
    return {...data, serverDate: typeof headers.date === 'string' ? headers.date : null}
  }

  async mandant(nr: number) {
    return (await this.view('GetDmsMandant', {nr}, MandantRowSchema))[0] ?? null
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
    const mitarbeiter =
      liegenschaft.mitarbeiter === null ? null : ((await this.view('GetDmsMitarbeiter', {nr: liegenschaft.mitarbeiter}, MitarbeiterRowSchema))[0] ?? null)
    return {objekt, liegenschaft, verhaeltnisse, mitarbeiter}
  }

  /** Every unit of a mandant with what decides its vacancy, in four calls. */
  async mandantUnits(mandant: number): Promise<ImmotopUnitRows[]> {
    const [objekte, liegenschaften, verhaeltnisse, mitarbeiter] = await Promise.all([
      this.view('GetDmsObjekt', {mandant_nr: mandant}, ObjektRowSchema),
      this.view('GetDmsLiegenschaft', {mandant_nr: mandant}, LiegenschaftRowSchema),
      this.view('GetDmsVerhaeltnis', {mandant_nr: mandant}, VerhaeltnisRowSchema),
      this.view('GetDmsMitarbeiter', {}, MitarbeiterRowSchema),
    ])
    return objekte.flatMap((objekt) => {
      const liegenschaft = liegenschaften.find((l) => l.nr === objekt.liegenschaft_nr)
      if (!liegenschaft) return []
      return [
        {
          objekt,
          liegenschaft,
          verhaeltnisse: verhaeltnisse.filter((v) => v.liegenschaft_nr === objekt.liegenschaft_nr && v.objekt_nr === objekt.nr),
          mitarbeiter: mitarbeiter.find((m) => m.nr === liegenschaft.mitarbeiter) ?? null,
        },
      ]
    })
  }

  async mieter(filter: Filter) {
    return this.view('GetDmsMieter', filter, MieterRowSchema)
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
    const parsed = FailureAnswerSchema.safeParse(response.data)
    const reason = parsed.success ? (parsed.data.FehlerMeldung ?? `FehlerCode ${parsed.data.FehlerCode}`).slice(0, 200) : 'no reason given'
    const versionHint = /version/i.test(reason) ? ` The server refused the Version header "${this.config.apiVersion}"; check immotop.apiVersion.` : ''
    return new RemoteRejectedError('IMMOTOP_REJECTED', `Immotop 2 ${method} refused the request: ${reason}.${versionHint}`, versionHint ? 'Set immotop.apiVersion to the version W&W names for your server (default 1.0).' : 'Check the request; run with --verbose for details.')
  }
}
