/**
 * Every answer from melon or Immotop 2 is validated before it is used. The
 * sandbox's fault modes return malformed JSON, HTML pages, 5xx, 429, dropped
 * connections and truncated downloads; the CLI must name the system and the
 * endpoint, never crash, never export anything wrong, and ride out what is
 * transient.
 */
import {readdirSync} from 'node:fs'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {BIN, json, runCli, spawnSandbox} from '../helpers/cli.js'
import {getJson, setFaults, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())
beforeEach(() => setFaults(sb, ''))

const handovers = async () => (await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)).handovers as any[]

describe('malformed and foreign answers', () => {
  it.each([
    ['tenants', ['tenants'], /melon GET \/tenants answered with an unexpected shape at "(count|results\.0\.id|results)"/],
    ['publish', ['publish', '1.10001.1012'], /Immotop 2 GET GetDmsObjekt answered with an unexpected shape|Immotop 2 GET GetDms\w+ answered with an unexpected shape/],
    ['export-tenant', ['export-tenant', 'T-1001'], /melon GET \/tenants\/\{tenant_id\} answered with an unexpected shape/],
    ['doctor', ['doctor'], /answered with an unexpected shape/],
  ])('malformed JSON: %s fails with the integrity code, naming system and endpoint', async (_name, args, message) => {
    await setFaults(sb, 'malformed=1')
    const result = await runCli([...args, '--config', sb.configPath])
    expect(result.code).toBe(args[0] === 'doctor' ? 1 : 8)
    expect(result.stdout + result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(await handovers()).toEqual([])
  })

  it('an HTML page where JSON was expected says so and points at the base URL', async () => {
    await setFaults(sb, 'html=1')
    const result = await runCli(['tenants', '--json', '--config', sb.configPath])
    expect(result.code).toBe(8)
    expect(json(result).error.message).toBe('melon GET /tenants answered 200 with text/html; charset=utf-8 instead of JSON.')
    expect(json(result).error.fix).toContain('melon.baseUrl')
  })
})

describe('transient faults are retried', () => {
  it('503 every time: gives up after the retry cap with the unavailable code', async () => {
    await setFaults(sb, '503=1')
    const result = await runCli(['tenants', '--json', '--config', sb.configPath])
    expect(result.code).toBe(7)
    expect(json(result).error).toMatchObject({code: 'SERVER_ERROR'})
    expect(json(result).error.message).toContain('melon GET /tenants: 503')
  })

  it('429 with Retry-After every time: reported as rate limited', async () => {
    await setFaults(sb, '429=1')
    const result = await runCli(['publish', '1.10001.1012', '--json', '--config', sb.configPath])
    expect(result.code).toBe(7)
    expect(json(result).error.code).toBe('RATE_LIMITED')
  })

  it('a third of the requests failing with 503, 429 or a reset: the commands still succeed', async () => {
    await setFaults(sb, '503=0.2,429=0.05,reset=0.05,latency=5ms')
    for (let i = 0; i < 3; i++) {
      expect((await runCli(['tenants', '--json', '--config', sb.configPath])).code).toBe(0)
      expect((await runCli(['publish', '1.10001.1012', '--json', '--config', sb.configPath])).code).toBe(0)
    }
    const {injected} = await getJson(`${sb.melon.baseUrl}/_sandbox/faults`)
    const {injected: immotopInjected} = await getJson(`${sb.immotop.baseUrl}/_sandbox/faults`)
    // The faults really happened (about 30 requests at 30 %).
    expect(Object.values({...injected}).reduce((a: number, b) => a + (b as number), 0) + Object.values({...immotopInjected}).reduce((a: number, b) => a + (b as number), 0)).toBeGreaterThan(0)
  })

  it('truncated downloads are fetched again; what arrives in Immotop 2 matches melon\'s SHA-256', async () => {
    await setFaults(sb, 'truncatefirst=1')
    const result = await runCli(['export-tenant', 'T-1002', '--json', '--config', sb.configPath])
    expect(result.code, result.stdout).toBe(0)
    // Every one of the four documents was cut off once.
    expect((await getJson(`${sb.melon.baseUrl}/_sandbox/faults`)).injected.truncate).toBe(4)
    const melon = await getJson(`${sb.melon.baseUrl}/api/partner/v1/tenants/T-1002`, {headers: {authorization: `Token ${sb.melon.token}`}})
    const handover = (await handovers()).find((h) => h.handoverId === json(result).handoverId)
    for (const doc of melon.documents) expect(handover.documents.find((d: any) => d.kind === doc.kind).sha256).toBe(doc.sha256)
  })

  it('every download truncated: nothing is delivered, and the error says what was received', async () => {
    await setFaults(sb, 'truncate=1')
    const before = (await handovers()).length
    const result = await runCli(['export-tenant', 'T-1003', '--json', '--config', sb.configPath])
    expect([7, 8]).toContain(result.code)
    expect(json(result).error.message).toContain('melon GET /tenants/{tenant_id}/documents/{document_id}')
    expect(await handovers()).toHaveLength(before)
    expect(readdirSync(sb.incomingDir).filter((n) => !n.startsWith('.'))).toEqual([])
  })
})

describe('the --faults syntax', () => {
  it('is accepted by the sandbox command as documented, and a bad spec is a usage error', async () => {
    const ok = await runCli(['sandbox', '--faults', 'nope=1', '--data-dir', `${sb.root}/x`])
    expect(ok.code).toBe(2)
    expect(ok.stderr).toContain('unknown fault "nope"')
    const {child, ready: readyDoc, exited} = spawnSandbox(['--data-dir', `${sb.root}/faulty`, '--faults', '503=0.2,429=0.05,reset=0.05,truncate=0.05,latency=50ms'])
    try {
      const ready = await readyDoc
      expect(ready.faults).toEqual({'503': 0.2, '429': 0.05, reset: 0.05, truncate: 0.05, truncatefirst: 0, latency: 50, malformed: 0, html: 0, ackdelay: 0, ackerror: 0, lostanswer: 0, trickle: 0, stuckpages: 0, endlesspages: 0, shortpages: 0, dateskew: 0, emptyview: []})
    } finally {
      // Stopped whatever the assertions said: a failing test must not leave a sandbox running.
      child.kill('SIGTERM')
    }
    expect((await exited).code).toBe(0)
  })
})

describe('interrupts', () => {
  it('SIGTERM during a slow call exits 143 with a one-line note', async () => {
    await setFaults(sb, 'latency=20s')
    const {spawn} = await import('node:child_process')
    const child = spawn(process.execPath, [BIN, 'tenants', '--config', sb.configPath], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
    let stderr = ''
    child.stderr.on('data', (c) => (stderr += c))
    // Barrier: the sandbox holds the CLI's request (the latency fault); only then is the call "slow".
    let inflight = 0
    for (let i = 0; i < 600 && inflight === 0; i++) {
      inflight = (await getJson(`${sb.melon.baseUrl}/_sandbox/faults`)).inflight
      if (inflight === 0) await new Promise((resolve) => setTimeout(resolve, 25))
    }
    expect(inflight).toBeGreaterThan(0)
    child.kill('SIGTERM')
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    expect(code).toBe(143)
    expect(stderr.trim().split('\n')[0]).toBe('Error: Interrupted by SIGTERM while reading tenants; temporary files were removed and no partial state was kept.')
  })
})
