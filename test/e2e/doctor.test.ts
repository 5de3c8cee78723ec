import {createServer} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {configVariant, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())

const IDS = ['config', 'config.permissions', 'secrets', 'melon.api', 'immotop.rest', 'immotop.mandant', 'staging.incoming', 'staging.ack', 'state', 'smtp']
const statusOf = (report: any) => Object.fromEntries(report.checks.map((c: any) => [c.id, c.status]))

describe('doctor', () => {
  it('passes every check against the sandbox, in a fixed order, with masked secrets', async () => {
    const result = await runCli(['doctor', '--json', '--config', sb.configPath])
    expect(result.code).toBe(0)
    const report = json(result)
    expect(report.checks.map((c: any) => c.id)).toEqual(IDS)
    expect(report.checks.every((c: any) => c.status === 'pass')).toBe(true)
    expect(report.summary).toEqual({passed: 10, warned: 0, failed: 0, skipped: 0, total: 10})
    for (const c of report.checks) expect(typeof c.durationMs).toBe('number')
    expect(result.stdout).toContain(`…${sb.melon.token.slice(-4)}`)
    expect(result.stdout).not.toContain(sb.melon.token)
    expect(result.stdout).not.toContain(sb.immotop.password)
  })

  it('prints one line per check and a summary for humans', async () => {
    const result = await runCli(['doctor', '--config', sb.configPath])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('✔ Immotop 2 mandant exists [immotop.mandant]')
    expect(result.stdout).toContain('Mandant 1: Immobilien Muster AG.')
    expect(result.stdout.trim().split('\n').at(-1)).toBe('10 of 10 checks passed.')
  })

  it('a wrong Immotop 2 password fails that check with 401 and the fix, skips its dependant, exits 1', async () => {
    const config = configVariant(sb, 'wrong-pw', (c) => (c.immotop.password = 'wrong-password-123'))
    const result = await runCli(['doctor', '--json', '--config', config])
    expect(result.code).toBe(1)
    const report = json(result)
    expect(statusOf(report)).toMatchObject({'melon.api': 'pass', 'immotop.rest': 'fail', 'immotop.mandant': 'skip'})
    const check = report.checks.find((c: any) => c.id === 'immotop.rest')
    expect(check.detail).toContain('401')
    expect(check.fix).toContain('immotop')
    expect(result.stdout).not.toContain('wrong-password-123')
  })

  it('a wrong melon token fails melon.api with 401', async () => {
    const config = configVariant(sb, 'wrong-token', (c) => (c.melon.token = 'wrong-token-1234567'))
    const report = json(await runCli(['doctor', '--json', '--config', config]))
    expect(statusOf(report)['melon.api']).toBe('fail')
    expect(report.checks.find((c: any) => c.id === 'melon.api').detail).toMatch(/401/)
  })

  it('an unknown mandant fails the mandant check', async () => {
    const config = configVariant(sb, 'mandant', (c) => (c.immotop.mandant = 99))
    const report = json(await runCli(['doctor', '--json', '--config', config]))
    expect(statusOf(report)['immotop.mandant']).toBe('fail')
    expect(report.checks.find((c: any) => c.id === 'immotop.mandant').detail).toContain('no mandant 99')
  })

  it('a missing secret fails the secrets check, naming the environment variable, and skips the network checks', async () => {
    const config = configVariant(sb, 'no-secret', (c) => delete c.immotop.password)
    const result = await runCli(['doctor', '--json', '--config', config])
    expect(result.code).toBe(1)
    const report = json(result)
    expect(statusOf(report)).toMatchObject({secrets: 'fail', 'melon.api': 'skip', 'immotop.rest': 'skip', 'immotop.mandant': 'skip', 'staging.incoming': 'pass'})
    expect(report.checks[2].fix).toContain('MELON_IMMOTOP_IMMOTOP_PASSWORD')
    // …and the variable really supplies it.
    const withEnv = await runCli(['doctor', '--json', '--config', config], {env: {MELON_IMMOTOP_IMMOTOP_PASSWORD: sb.immotop.password}})
    expect(withEnv.code).toBe(0)
  })

  it('no config: the config check fails with where it looked, everything else is skipped', async () => {
    const result = await runCli(['doctor', '--json'], {cwd: sb.root})
    expect(result.code).toBe(1)
    const report = json(result)
    expect(report.checks[0]).toMatchObject({id: 'config', status: 'fail'})
    expect(report.checks[0].detail).toContain('No config found')
    expect(report.checks.slice(1).every((c: any) => c.status === 'skip')).toBe(true)
  })

  it('tells a refused connection apart, and a host that never answers does not exceed the budget', async () => {
    const refused = configVariant(sb, 'refused', (c) => (c.melon.baseUrl = 'http://127.0.0.1:9'))
    const r1 = json(await runCli(['doctor', '--json', '--config', refused]))
    expect(r1.checks.find((c: any) => c.id === 'melon.api').detail).toContain('connection refused')

    // A TCP server that accepts and never answers.
    const silent = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as {port: number}).port
    try {
      const hung = configVariant(sb, 'hung', (c) => (c.immotop.baseUrl = `http://127.0.0.1:${port}`))
      const started = Date.now()
      const result = await runCli(['doctor', '--json', '--config', hung, '--timeout', '2', '--budget', '4'])
      const elapsed = Date.now() - started
      expect(result.code).toBe(1)
      expect(statusOf(json(result))['immotop.rest']).toBe('fail')
      expect(elapsed).toBeLessThan(15_000)
    } finally {
      silent.close()
    }
  })

  it('a staging folder that does not exist fails with the mkdir fix', async () => {
    const config = configVariant(sb, 'staging', (c) => (c.staging.ackDir = `${sb.root}/missing-ack`))
    const report = json(await runCli(['doctor', '--json', '--config', config]))
    const check = report.checks.find((c: any) => c.id === 'staging.ack')
    expect(check.status).toBe('fail')
    expect(check.fix).toContain('mkdir -p')
  })
})

describe('doctor: config file permissions', () => {
  it('warns (and still exits 0) when the config holding secrets is readable by others, with the chmod fix', async () => {
    const {chmodSync} = await import('node:fs')
    const config = configVariant(sb, 'open', () => {})
    chmodSync(config, 0o644)
    const result = await runCli(['doctor', '--json', '--config', config])
    expect(result.code).toBe(0)
    const check = json(result).checks.find((c: any) => c.id === 'config.permissions')
    expect(check.status).toBe('warn')
    expect(check.fix).toBe(`chmod 600 ${config}`)
    expect(json(result).summary).toMatchObject({passed: 9, warned: 1, failed: 0})
  })
})

describe('doctor: SMTP', () => {
  it('a wrong SMTP password fails the smtp check with the fix; without notify it has nothing to check', async () => {
    const wrong = configVariant(sb, 'smtp-pw', (c) => (c.notify.smtp.password = 'wrong-smtp-password-2'))
    const report = json(await runCli(['doctor', '--json', '--config', wrong]))
    const smtp = report.checks.find((c: any) => c.id === 'smtp')
    expect(smtp.status).toBe('fail')
    expect(smtp.detail).toContain('refused the login')
    expect(smtp.fix).toContain('MELON_IMMOTOP_SMTP_PASSWORD')
    const none = configVariant(sb, 'no-notify', (c) => delete c.notify)
    const without = json(await runCli(['doctor', '--json', '--config', none]))
    expect(without.checks.find((c: any) => c.id === 'smtp')).toMatchObject({status: 'pass', detail: expect.stringContaining('not configured')})
  })
})
