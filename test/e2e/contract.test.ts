/**
 * Client and sandbox, both checked against the written contracts:
 * docs/contracts/melon-partner-api.yaml (validated with ajv, independently of
 * the zod shapes in src/) and docs/contracts/immotop2.md.
 */
import {readFileSync} from 'node:fs'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {MELON_ROUTES} from '../../src/adapters/melon-client.js'
import {XMLParser} from 'fast-xml-parser'
import * as z from 'zod'
import {LiegenschaftRowSchema, MandantRowSchema, MieterRowSchema, MitarbeiterRowSchema, ObjektRowSchema, VerhaeltnisRowSchema} from '../../src/wire/immotop-wire.js'
import {buildControlFile, parseControlFile} from '../../src/core/control-file.js'
import {listingFromVacancy} from '../../src/core/listing.js'
import {mergeDetails, vacancyFromImmotop} from '../../src/core/vacancy.js'
import {immotopSeed} from '../../src/sandbox/seed.js'
import {documentedRow, WW_CONTROL_ELEMENTS, WW_VIEWS} from '../fixtures/ww-views.js'
import {testSandbox, type TestSandbox} from '../helpers/sandbox.js'

const api = parseYaml(readFileSync(new URL('../../docs/contracts/melon-partner-api.yaml', import.meta.url), 'utf8'))
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({strict: false, allErrors: true})
;(addFormats as unknown as typeof addFormats.default)(ajv)
ajv.addSchema({$id: 'api.json', components: api.components})

function expectValid(schemaName: string, data: unknown) {
  const validate = ajv.getSchema(`api.json#/components/schemas/${schemaName}`)
  if (!validate) throw new Error(`no schema ${schemaName}`)
  const ok = validate(data)
  expect(ok, `${schemaName}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true)
}

/** The status codes the contract declares for a path and method. */
const declared = (path: string, method: string) => Object.keys(api.paths[path][method].responses).map(Number)

let sb: TestSandbox
let auth: Record<string, string>
beforeAll(async () => {
  sb = await testSandbox()
  auth = {authorization: `Token ${sb.melon.token}`, 'x-melon-project': sb.melon.project}
})
afterAll(() => sb.dispose())

async function call(method: string, path: string, contractPath: string, init: RequestInit = {}) {
  const response = await fetch(`${sb.melon.baseUrl}${path}`, {method, ...init})
  expect(declared(contractPath, method.toLowerCase()), `${method} ${path} answered ${response.status}`).toContain(response.status)
  return response
}

describe('melon partner API contract', () => {
  it('declares every route the client calls', () => {
    for (const [method, path] of MELON_ROUTES) {
      expect(api.paths[path]?.[method], `${method} ${path}`).toBeDefined()
    }
  })

  it('the listing the client builds validates as ListingInput', () => {
    const data = immotopSeed('2026-11-26')
    for (const objekt of data.GetDmsObjekt) {
      const liegenschaft = data.GetDmsLiegenschaft.find((l) => l.nr === objekt.liegenschaft_nr)!
      const verhaeltnisse = data.GetDmsVerhaeltnis.filter((v) => v.liegenschaft_nr === objekt.liegenschaft_nr && v.objekt_nr === objekt.nr)
      let vacancy
      try {
        vacancy = vacancyFromImmotop({objekt, liegenschaft, verhaeltnisse, mitarbeiter: null}, '2026-11-26')
      } catch {
        continue // not vacant
      }
      // From REST alone (no type, rooms, rent) and with details from an export.
      expectValid('ListingInput', listingFromVacancy(vacancy))
      const details = {category: 'apartment' as const, typeKey: 'flat', rooms: 3.5, areaM2: 80, floorLabel: 'Erdgeschoss', floorNum: 0, rent: {net: 1500, incidentals: 200, gross: 1700, deposit: 4500, unit: 'monthly' as const}, description: 'x', yearOfConstruction: 1990}
      expectValid('ListingInput', listingFromVacancy(mergeDetails(vacancy, details)))
    }
  })

  it('the contract itself refuses what it must refuse (so these checks can fail)', () => {
    const validate = ajv.getSchema('api.json#/components/schemas/ListingInput')!
    const data = immotopSeed('2026-11-26')
    const listing = listingFromVacancy(
      vacancyFromImmotop({objekt: data.GetDmsObjekt[1]!, liegenschaft: data.GetDmsLiegenschaft[0]!, verhaeltnisse: [], mitarbeiter: null}, '2026-11-26'),
    )
    expect(validate(listing)).toBe(true)
    expect(validate({...listing, unexpected: 1})).toBe(false)
    expect(validate({...listing, rentalgross: '2730'})).toBe(false)
    const {title: _t, ...withoutTitle} = listing
    expect(validate(withoutTitle)).toBe(false)
    expect(ajv.getSchema('api.json#/components/schemas/DocumentMeta')!({id: 'D-1', kind: 'dossier', file_name: 'a.pdf', content_type: 'application/pdf', size: 1, sha256: 'XYZ'})).toBe(false)
  })

  it('sandbox answers match the contract, route by route', async () => {
    expectValid('Me', await (await call('GET', '/api/partner/v1/me', '/api/partner/v1/me', {headers: auth})).json())

    const data = immotopSeed(new Date().toISOString().slice(0, 10))
    const liegenschaft = data.GetDmsLiegenschaft[0]!
    const objekt = data.GetDmsObjekt.find((o) => o.nr === 1012)!
    const listing = listingFromVacancy(vacancyFromImmotop({objekt, liegenschaft, verhaeltnisse: [], mitarbeiter: data.GetDmsMitarbeiter[0]!}, '2026-11-26'))
    const put = await call('PUT', `/api/partner/v1/objects/${listing.reference_number}`, '/api/partner/v1/objects/{reference_number}', {
      headers: {...auth, 'content-type': 'application/json', 'idempotency-key': 'contract-1'},
      body: JSON.stringify(listing),
    })
    expect(put.status).toBe(201)
    expectValid('Listing', await put.json())
    const replay = await call('PUT', `/api/partner/v1/objects/${listing.reference_number}`, '/api/partner/v1/objects/{reference_number}', {
      headers: {...auth, 'content-type': 'application/json', 'idempotency-key': 'contract-1'},
      body: JSON.stringify(listing),
    })
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    const reused = await call('PUT', `/api/partner/v1/objects/${listing.reference_number}`, '/api/partner/v1/objects/{reference_number}', {
      headers: {...auth, 'content-type': 'application/json', 'idempotency-key': 'contract-1'},
      body: JSON.stringify({...listing, title: 'other'}),
    })
    expect(reused.status).toBe(422)
    expectValid('Error', await reused.json())
    const invalid = await call('PUT', '/api/partner/v1/objects/1.1.1', '/api/partner/v1/objects/{reference_number}', {headers: {...auth, 'content-type': 'application/json'}, body: '{"title": 1}'})
    expect(invalid.status).toBe(422)
    expectValid('Error', await invalid.json())

    expectValid('Listing', await (await call('GET', `/api/partner/v1/objects/${listing.reference_number}`, '/api/partner/v1/objects/{reference_number}', {headers: auth})).json())
    const missing = await call('GET', '/api/partner/v1/objects/9.9.9', '/api/partner/v1/objects/{reference_number}', {headers: auth})
    expectValid('Error', await missing.json())
    expectValid('ListingPage', await (await call('GET', '/api/partner/v1/objects?page=1&page_size=10', '/api/partner/v1/objects', {headers: auth})).json())

    const publicList = await (await call('GET', '/api/v2/objects/?format=json', '/api/v2/objects/')).json()
    expect(Array.isArray(publicList)).toBe(true)
    for (const item of publicList) expectValid('PublicObject', item)

    for (const status of ['without_contract', 'contract_sent', 'with_contract', 'terminated']) {
      expectValid('TenantPage', await (await call('GET', `/api/partner/v1/tenants?contract_status=${status}`, '/api/partner/v1/tenants', {headers: auth})).json())
    }
    const bad = await call('GET', '/api/partner/v1/tenants?contract_status=nope', '/api/partner/v1/tenants', {headers: auth})
    expect(bad.status).toBe(400)
    expectValid('Error', await bad.json())

    const tenant = await (await call('GET', '/api/partner/v1/tenants/T-1001', '/api/partner/v1/tenants/{tenant_id}', {headers: auth})).json()
    expectValid('Tenant', tenant)
    expectValid('Error', await (await call('GET', '/api/partner/v1/tenants/T-0', '/api/partner/v1/tenants/{tenant_id}', {headers: auth})).json())

    // The contract exists in Immotop 2: idempotent, replayed, conflicting, refused.
    const contractPath = '/api/partner/v1/tenants/{tenant_id}/contract'
    const body = JSON.stringify({contract_status: 'with_contract', tenancy_reference: '5012', start_date: '2027-01-01'})
    const headers = {...auth, 'content-type': 'application/json', 'idempotency-key': 'contract-T-1003'}
    const told = await call('PUT', '/api/partner/v1/tenants/T-1003/contract', contractPath, {headers, body})
    expect(told.status).toBe(200)
    expectValid('Tenant', await told.json())
    expect((await call('PUT', '/api/partner/v1/tenants/T-1003/contract', contractPath, {headers, body})).headers.get('idempotent-replayed')).toBe('true')
    const other = await call('PUT', '/api/partner/v1/tenants/T-1003/contract', contractPath, {headers: {...auth, 'content-type': 'application/json'}, body: body.replace('5012', '5013')})
    expect(other.status).toBe(409)
    expectValid('Error', await other.json())
    const refused = await call('PUT', '/api/partner/v1/tenants/T-1003/contract', contractPath, {headers: {...auth, 'content-type': 'application/json'}, body: '{"contract_status": "terminated"}'})
    expect(refused.status).toBe(422)
    expectValid('Error', await refused.json())
    expectValid('Error', await (await call('PUT', '/api/partner/v1/tenants/T-0/contract', contractPath, {headers: {...auth, 'content-type': 'application/json'}, body})).json())

    // The handover marker: first installation wins, the same one may mark again, another is refused with the holder.
    const handoverPath = '/api/partner/v1/tenants/{tenant_id}/handover'
    const marker = {installation_id: 'inst-a', installation_name: 'host-a:/var/lib/mi', handover_id: 'mi-T-1002-aaaa'}
    const markHeaders = {...auth, 'content-type': 'application/json', 'idempotency-key': 'handover-T-1002-a'}
    const marked = await call('PUT', '/api/partner/v1/tenants/T-1002/handover', handoverPath, {headers: markHeaders, body: JSON.stringify(marker)})
    expect(marked.status).toBe(200)
    const markedTenant = await marked.json()
    expectValid('Tenant', markedTenant)
    expect(markedTenant.handover).toMatchObject(marker)
    expect((await call('PUT', '/api/partner/v1/tenants/T-1002/handover', handoverPath, {headers: markHeaders, body: JSON.stringify(marker)})).headers.get('idempotent-replayed')).toBe('true')
    const remark = await call('PUT', '/api/partner/v1/tenants/T-1002/handover', handoverPath, {headers: {...auth, 'content-type': 'application/json'}, body: JSON.stringify({...marker, handover_id: 'mi-T-1002-bbbb'})})
    expect(remark.status).toBe(200)
    expect((await remark.json()).handover).toMatchObject({handover_id: 'mi-T-1002-bbbb', marked_at: markedTenant.handover.marked_at})
    const elsewhere = await call('PUT', '/api/partner/v1/tenants/T-1002/handover', handoverPath, {headers: {...auth, 'content-type': 'application/json'}, body: JSON.stringify({...marker, installation_id: 'inst-b'})})
    expect(elsewhere.status).toBe(409)
    const conflict = await elsewhere.json()
    expectValid('HandoverConflict', conflict)
    expect(conflict).toMatchObject({error: {code: 'handed_over_elsewhere'}, handover: {installation_id: 'inst-a'}})
    const badMarker = await call('PUT', '/api/partner/v1/tenants/T-1002/handover', handoverPath, {headers: {...auth, 'content-type': 'application/json'}, body: JSON.stringify({installation_id: '../x'})})
    expect(badMarker.status).toBe(422)
    expectValid('Error', await badMarker.json())
    expectValid('Error', await (await call('PUT', '/api/partner/v1/tenants/T-0/handover', handoverPath, {headers: {...auth, 'content-type': 'application/json'}, body: JSON.stringify(marker)})).json())

    const doc = tenant.documents[0]
    const download = await call('GET', `/api/partner/v1/tenants/T-1001/documents/${doc.id}`, '/api/partner/v1/tenants/{tenant_id}/documents/{document_id}', {headers: auth})
    expect(download.headers.get('x-content-sha256')).toBe(doc.sha256)
    expect(Number(download.headers.get('content-length'))).toBe(doc.size)
    expect(Buffer.from(await download.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-')

    const unauthorized = await call('GET', '/api/partner/v1/tenants', '/api/partner/v1/tenants', {headers: {authorization: 'Token nope'}})
    expect(unauthorized.status).toBe(401)
    expect(unauthorized.headers.get('www-authenticate')).toBeTruthy()
    expectValid('Error', await unauthorized.json())
    const project = await call('GET', '/api/partner/v1/me', '/api/partner/v1/me', {headers: {...auth, 'x-melon-project': 'nope'}})
    expect(project.status).toBe(404)
    expect((await project.json()).error.code).toBe('project_not_found')
  })
})

describe('Immotop 2 DMS REST contract', () => {
  const headers = () => ({authorization: `Basic ${Buffer.from(`wwdms:${sb.immotop.password}`).toString('base64')}`, version: '1.0'})
  const get = (method: string, init: RequestInit = {}) => fetch(`${sb.immotop.baseUrl}/api/DmsRestServices/${method}`, {headers: headers(), ...init})

  const SCHEMAS = [
    ['GetDmsMandant', MandantRowSchema],
    ['GetDmsLiegenschaft', LiegenschaftRowSchema],
    ['GetDmsObjekt', ObjektRowSchema],
    ['GetDmsVerhaeltnis', VerhaeltnisRowSchema],
    ['GetDmsMieter', MieterRowSchema],
    ['GetDmsMitarbeiter', MitarbeiterRowSchema],
  ] as const

  it('the client reads no column that W&W does not document', () => {
    for (const [view, schema] of SCHEMAS) {
      const invented = Object.keys((schema as z.ZodObject).shape).filter((column) => !(column in WW_VIEWS[view]!))
      expect(invented, view).toEqual([])
    }
  })

  it('the client accepts rows with exactly the documented columns, with nulls where W&W allows them, and with unknown extra columns', () => {
    for (const [view, schema] of SCHEMAS) {
      for (const nulls of [false, true]) {
        const row = documentedRow(view, nulls)
        expect(schema.safeParse(row).success, `${view} nulls=${nulls}: ${JSON.stringify(schema.safeParse(row).error?.issues[0])}`).toBe(true)
        expect(schema.safeParse({...row, SpalteAusVersion3: 'neu'}).success, view).toBe(true)
      }
    }
  })

  it('the sandbox serves exactly the documented columns, and an older version exactly those of its version', async () => {
    for (const [version, gated] of [['2.7.23', false], ['2.7.18', true]] as const) {
      const data = immotopSeed('2026-11-26', {version})
      for (const [view, rows] of Object.entries(data)) {
        const expected = Object.entries(WW_VIEWS[view]!)
          .filter(([, column]) => !(gated && column.since === '2.7.19'))
          .map(([name]) => name)
          .sort()
        for (const row of rows as Array<Record<string, unknown>>) expect(Object.keys(row).sort(), `${version} ${view}`).toEqual(expected)
      }
    }
  })

  it('Test answers 200 with an empty body, and the client takes any 2xx', async () => {
    const test = await get('Test')
    expect(test.status).toBe(200)
    expect(await test.text()).toBe('')
  })

  it('the control files the client writes carry W&W\'s elements only, and read back', () => {
    const xml = buildControlFile({dmsArchivId: 'Archiv1', dmsDocumentId: 'mi-T-1-abc-03', dateiName: 'Betreibungsregisterauszug.pdf'})
    const root = new XMLParser({ignoreDeclaration: true}).parse(xml).ControlFile as Record<string, unknown>
    expect(Object.keys(root).filter((e) => !WW_CONTROL_ELEMENTS.includes(e))).toEqual([])
    expect(Object.keys(root)).toEqual(['Version', 'Action', 'DmsArchivId', 'DmsDocumentId', 'DocumentId', 'DateiName'])
    expect(parseControlFile(xml, 'x')).toEqual({version: '1.0', action: 'NewDocument', dmsArchivId: 'Archiv1', dmsDocumentId: 'mi-T-1-abc-03', documentId: '', dateiName: 'Betreibungsregisterauszug.pdf', fehlerText: ''})
    // DmsArchivId unset in the config: the element stays, empty.
    expect(buildControlFile({dmsArchivId: '', dmsDocumentId: 'd', dateiName: 'Referenz.pdf'})).toContain('<DmsArchivId/>')
  })

  it('serves every view the client reads, in the documented row shapes', async () => {
    for (const [view, schema] of SCHEMAS) {
      const rows = (await (await get(view)).json()) as unknown[]
      expect(rows.length, view).toBeGreaterThan(0)
      for (const row of rows) schema.parse(row)
    }
  })

  it('filters by any column and refuses unknown columns with the W&W failure shape', async () => {
    const rows = (await (await get('GetDmsObjekt?liegenschaft_nr=10002')).json()) as Array<{liegenschaft_nr: number}>
    expect(rows.length).toBe(3)
    expect(rows.every((r) => r.liegenschaft_nr === 10002)).toBe(true)
    const bad = await get('GetDmsObjekt?farbe=rot')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({Erfolgreich: false, FehlerCode: 400})
  })

  it('requires Basic auth as wwdms and the Version header', async () => {
    const noAuth = await fetch(`${sb.immotop.baseUrl}/api/DmsRestServices/Test`, {headers: {version: '1.0'}})
    expect(noAuth.status).toBe(401)
    expect(noAuth.headers.get('www-authenticate')).toMatch(/^Basic/)
    const noVersion = await fetch(`${sb.immotop.baseUrl}/api/DmsRestServices/Test`, {headers: {authorization: headers().authorization}})
    expect(noVersion.status).toBe(400)
    expect((await noVersion.json()).FehlerMeldung).toMatch(/Version/)
    const wrongVersion = await get('Test', {headers: {...headers(), version: '2.0'}})
    expect(wrongVersion.status).toBe(400)
  })
})
