import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {configVariant, getJson, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())

const writes = async () => (await getJson(`${sb.melon.baseUrl}/_sandbox/writes`)).writes as Array<{method: string; path: string}>
const publicObjects = () => getJson<any[]>(`${sb.melon.baseUrl}/api/v2/objects/?format=json`)

describe('publish <unit-ref>', () => {
  it('--dry-run prints the listing and writes nothing', async () => {
    const result = await runCli(['publish', '1.10001.1012', '--dry-run', '--json', '--config', sb.configPath])
    expect(result.code).toBe(0)
    const out = json(result).items[0]
    expect(out).toMatchObject({reference: '1.10001.1012', action: 'dry-run'})
    expect(out.listing).toMatchObject({rentalgross_net: 2450, incidentals: 280, rentalgross: 2730, rooms: 4.5, object_state: 'free'})
    expect(await writes()).toEqual([])
  })

  it('creates the listing in melon; it appears in melon\'s public object list', async () => {
    const result = await runCli(['publish', '1.10001.1012', '--config', sb.configPath])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^created {3}1\.10001\.1012 {2}4\.5-Zimmerwohnung 2\. OG rechts, 4\.5 rooms, CHF 2730\/month, free immediately\n/)
    const objects = await publicObjects()
    expect(objects.map((o) => o.reference_number)).toEqual(['1.10001.1012'])
    expect(objects[0]).toMatchObject({title: '4.5-Zimmerwohnung 2. OG rechts', rentalgross: 2730, building: {city: 'Thalwil', postal_code: '8800'}})
    expect(await writes()).toHaveLength(1)
  })

  it('publishing again is unchanged and makes no write call', async () => {
    const result = await runCli(['publish', '1.10001.1012', '--json', '--config', sb.configPath])
    expect(result.code).toBe(0)
    expect(json(result).items).toMatchObject([{action: 'unchanged', changedFields: []}])
    expect(json(result).summary).toEqual({created: 0, updated: 0, unchanged: 1, failed: 0, skipped: 0, withdrawn: 0, dryRun: 0, wouldWithdraw: 0})
    expect(await writes()).toHaveLength(1)
    expect(await publicObjects()).toHaveLength(1)
  })

  it('updates a listing that differs in melon, never duplicating it, and names the changed fields', async () => {
    const current = await getJson(`${sb.melon.baseUrl}/api/partner/v1/objects/1.10001.1012`, {headers: {authorization: `Token ${sb.melon.token}`}})
    const {num_applications: _n, created_at: _c, updated_at: _u, ...input} = current
    const put = await fetch(`${sb.melon.baseUrl}/api/partner/v1/objects/1.10001.1012`, {
      method: 'PUT',
      headers: {authorization: `Token ${sb.melon.token}`, 'content-type': 'application/json'},
      body: JSON.stringify({...input, title: 'Old title', incidentals: 250, rentalgross: 2700}),
    })
    expect(put.status).toBe(200)
    // Two parts take the one configured mandant.
    const one = configVariant(sb, 'mandant-1', (c) => (c.immotop.mandant = 1))
    const result = await runCli(['publish', '10001.1012', '--json', '--config', one])
    expect(result.code).toBe(0)
    expect(json(result).items).toMatchObject([{action: 'updated', changedFields: ['title', 'incidentals', 'rentalgross']}])
    const objects = await publicObjects()
    expect(objects).toHaveLength(1)
    expect(objects[0]).toMatchObject({title: '4.5-Zimmerwohnung 2. OG rechts', incidentals: 280})
  })

  it('publishes a unit whose tenancy ends, with the day after as move-in date', async () => {
    const out = json(await runCli(['publish', '1.10001.1013', '--json', '--config', sb.configPath])).items[0]
    expect(out.action).toBe('created')
    expect(out.listing.availability).toBe('from_date')
    expect(out.listing.move_in_date).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(out.listing.floor).toBe('Dachgeschoss')
  })

  it.each([
    ['a let unit', ['1.10001.1011'], 5, /not vacant/],
    ['a unit with a signed successor', ['1.10001.1014'], 5, /not vacant.*future tenancy/],
    ['an unknown unit', ['1.10001.4040'], 3, /Immotop 2 has no unit 1\.10001\.4040/],
    ['an unknown Liegenschaft', ['1.999.1'], 3, /no such Liegenschaft/],
    ['a malformed reference', ['1-10001-1012'], 2, /not a unit reference/],
    ['a reference without mandant while several are configured', ['10001.1012'], 2, /"10001\.1012" names no mandant, and immotop\.mandant names more than one/],
    ['a deactivated unit', ['1.10001.1015'], 5, /1\.10001\.1015 is deactivated in Immotop 2/],
  ])('refuses %s with a clear message and its exit code', async (_name, args, code, message) => {
    const result = await runCli(['publish', ...args, '--config', sb.configPath])
    expect(result.code).toBe(code)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).toContain('Fix:')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('a wrong Immotop 2 password exits with the auth code, as JSON on stdout', async () => {
    const config = configVariant(sb, 'wrong-pw', (c) => (c.immotop.password = 'not-the-password-42'))
    const result = await runCli(['publish', '1.10001.1012', '--json', '--config', config])
    expect(result.code).toBe(4)
    expect(json(result).error).toMatchObject({code: 'UNAUTHORIZED', exitCode: 4})
    expect(json(result).error.message).toContain('Immotop 2 GET')
  })

  it('a wrong melon token exits with the auth code', async () => {
    const config = configVariant(sb, 'wrong-token', (c) => (c.melon.token = 'not-the-token-4242'))
    const result = await runCli(['publish', '1.10001.1012', '--config', config])
    expect(result.code).toBe(4)
    expect(result.stderr).toContain('melon GET /objects/{reference_number}: 401')
  })

  it('reads the config once: a warning about it is printed once', async () => {
    const {chmodSync} = await import('node:fs')
    const open = configVariant(sb, 'open', () => {})
    chmodSync(open, 0o644)
    const result = await runCli(['publish', '1.10001.1012', '--dry-run', '--config', open])
    expect(result.code).toBe(0)
    expect(result.stderr.match(/Warning: .* is readable by others/g)).toHaveLength(1)
  })

  it('no unit and no --all is a usage error that says what to pass', async () => {
    const result = await runCli(['publish', '--config', sb.configPath])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Name the units to publish, or pass --all.')
  })
})
