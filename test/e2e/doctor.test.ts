/**
 * doctor for the onboarding meeting: every check in a fixed order, skips for
 * dependants, a fix and an owner for every fail and warn, and each kind of
 * failure told apart against the sandbox or a local server that behaves so.
 */
import {chmodSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {configVariant, getJson, setFaults, testSandbox, testSandboxWith, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())
beforeEach(() => setFaults(sb, ''))

const IDS = [
  'config', 'config.permissions', 'secrets', 'node', 'network.proxy',
  'melon.dns', 'melon.tcp', 'melon.tls', 'melon.auth', 'melon.project', 'melon.rights',
  'immotop.dns', 'immotop.tcp', 'immotop.tls', 'immotop.test', 'immotop.auth', 'immotop.version-header', 'immotop.mandant', 'immotop.features',
  'staging.incoming', 'staging.ack', 'staging.roundtrip', 'state', 'staging.pickup', 'smtp', 'smtp.test-mail', 'clock',
]
const doctor = (config: string, extra: string[] = [], env?: NodeJS.ProcessEnv) => runCli(['doctor', '--json', '--config', config, ...extra], {env})
const check = (report: any, id: string) => report.checks.find((c: any) => c.id === id)
const statuses = (report: any, ids: string[]) => Object.fromEntries(ids.map((id) => [id, check(report, id)?.status]))

describe('doctor against a healthy sandbox', () => {
  it('passes every check in a fixed order; the deep and mail checks say how to run them', async () => {
    const result = await doctor(sb.configPath)
    expect(result.code).toBe(0)
    const report = json(result)
    expect(report.checks.map((c: any) => c.id)).toEqual(IDS)
    expect(report.summary).toEqual({passed: 25, warned: 0, failed: 0, skipped: 2, total: 27})
    expect(check(report, 'staging.roundtrip')).toMatchObject({status: 'skip', detail: expect.stringContaining('--deep')})
    expect(check(report, 'smtp.test-mail')).toMatchObject({status: 'skip', detail: expect.stringContaining('--send-test-mail')})
    for (const c of report.checks) {
      expect(Object.keys(c).sort()).toEqual(['detail', 'durationMs', 'fix', 'id', 'owner', 'status', 'title'])
      expect(typeof c.durationMs).toBe('number')
    }
    // A feature check, not a version number: W&W's REST services do not report one; the manual check is named.
    expect(check(report, 'immotop.features').detail).toMatch(/^Objekt validity \(gueltigvon\/gueltigbis, 2\.7\.19\), timestamps .* are present\. The REST services do not report their version: check it by hand in Immotop 2 \(Hilfe › Info\)/)
    // Every letting mandant, with its units and vacant units; the Stockwerk mandant 3 is not one.
    expect(check(report, 'immotop.mandant').detail).toBe('Mandant 1 Immobilien Muster AG (V): 10 units, 5 vacant; 2 Pensionskasse Seeblick (V): 2 units, 1 vacant.')
    expect(check(report, 'clock').detail).toMatch(/^Within 60 s of the servers \(melon [+-]\d+ s, Immotop 2 [+-]\d+ s\)\.$/)
    expect(result.stdout).toContain(`…${sb.melon.token.slice(-4)}`)
    expect(result.stdout + result.stderr).not.toContain(sb.melon.token)
    expect(result.stdout + result.stderr).not.toContain(sb.immotop.password)
  })

  it('prints one line per check, the detail, and a summary; --verbose adds durations', async () => {
    const result = await runCli(['doctor', '--verbose', '--config', sb.configPath])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/✔ Immotop 2: mandants, their units and vacancies \[immotop\.mandant\] \(\d+ ms\)\n {4}Mandant 1 Immobilien Muster AG \(V\): 10 units, 5 vacant;/)
    expect(result.stdout.trim().split('\n').at(-1)).toBe('25 of 27 checks passed.')
  })

  it('--deep delivers a probe and sees it picked up; --send-test-mail really sends one', async () => {
    const result = await doctor(sb.configPath, ['--deep', '--send-test-mail', 'it@muster-immo.example'])
    expect(result.code).toBe(0)
    const report = json(result)
    expect(check(report, 'staging.roundtrip').detail).toMatch(/^Probe picked up in \d+ ms \(Immotop 2 answered with DocumentId \d+\)\.$/)
    const mails = (await getJson(sb.smtp.inbox)).mails
    expect(mails.at(-1)).toMatchObject({to: ['it@muster-immo.example'], subject: 'melon-immotop: Testnachricht'})
  })
})

describe('doctor tells failures apart, each with a fix and who owns it', () => {
  it('DNS: the name does not resolve; everything behind it is skipped', async () => {
    const config = configVariant(sb, 'dns', (c) => (c.melon.baseUrl = 'https://melon.invalid'))
    const report = json(await doctor(config))
    expect(check(report, 'melon.dns')).toMatchObject({status: 'fail', detail: 'melon.invalid does not resolve (DNS).', owner: "customer's IT"})
    expect(statuses(report, ['melon.tcp', 'melon.tls', 'melon.auth', 'melon.rights', 'clock'])).toEqual({'melon.tcp': 'skip', 'melon.tls': 'skip', 'melon.auth': 'skip', 'melon.rights': 'skip', clock: 'skip'})
    expect(check(report, 'immotop.mandant').status).toBe('pass')
    expect(check(report, 'melon.rights').blockedBy).toBe('melon.dns')
    // On screen, what was skipped because of it is one line under the failure, not a line each.
    const human = await runCli(['doctor', '--config', config])
    const lines = human.stdout.split('\n')
    const at = lines.findIndex((l) => l.includes('[melon.dns]'))
    expect(lines.slice(at, at + 4).join('\n')).toMatch(/check\(s\) skipped because of this: melon\.tcp, melon\.tls, .*melon\.rights/)
    expect(human.stdout).not.toContain('[melon.rights]')
  })

  it('connection refused', async () => {
    const config = configVariant(sb, 'refused', (c) => (c.immotop.baseUrl = 'http://127.0.0.1:9'))
    const result = await doctor(config)
    expect(result.code).toBe(1)
    expect(check(json(result), 'immotop.tcp')).toMatchObject({status: 'fail', detail: '127.0.0.1:9 refuses the connection.', owner: 'W&W'})
  })

  it('a host that accepts the connection but never answers: within the budget, announced while it runs', async () => {
    // It reads nothing and answers nothing; a reset when doctor ends is no error of the test.
    const silent = createServer((socket) => socket.on('error', () => {}))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const config = configVariant(sb, 'hung', (c) => (c.melon.baseUrl = `http://127.0.0.1:${(silent.address() as {port: number}).port}`))
      const result = await doctor(config, ['--timeout', '4', '--budget', '6'])
      const report = json(result)
      expect(check(report, 'melon.tcp').status).toBe('pass')
      expect(check(report, 'melon.auth')).toMatchObject({status: 'fail', detail: 'No result within 4 s: the host accepts connections but does not answer.'})
      expect(result.stderr).toContain('… still running: melon: token accepted [melon.auth]')
    } finally {
      silent.close()
    }
  })

  it('a proxy that fails', async () => {
    const config = configVariant(sb, 'proxied', (c) => (c.melon.baseUrl = 'https://melon.sandbox.test'))
    const report = json(await doctor(config, [], {HTTPS_PROXY: 'http://127.0.0.1:9'}))
    expect(check(report, 'network.proxy').detail).toBe('melon through http://127.0.0.1:9 (HTTPS_PROXY/HTTP_PROXY, NO_PROXY).')
    expect(check(report, 'melon.tcp')).toMatchObject({status: 'fail', detail: '127.0.0.1:9 (the proxy) refuses the connection.', owner: "customer's IT"})
  })

  it('401: the Immotop 2 password is wrong (the Version header is then not judged)', async () => {
    const config = configVariant(sb, 'wrong-pw', (c) => (c.immotop.password = 'wrong-password-123'))
    const result = await doctor(config)
    expect(result.code).toBe(1)
    const report = json(result)
    expect(check(report, 'immotop.test').status).toBe('pass')
    expect(check(report, 'immotop.auth')).toMatchObject({status: 'fail', owner: 'W&W', detail: expect.stringContaining('401')})
    expect(check(report, 'immotop.auth').fix).toContain('immotop.password')
    expect(statuses(report, ['immotop.version-header', 'immotop.mandant', 'melon.auth'])).toEqual({'immotop.version-header': 'skip', 'immotop.mandant': 'skip', 'melon.auth': 'pass'})
    expect(result.stdout).not.toContain('wrong-password-123')
  })

  it('the Version header refused', async () => {
    const config = configVariant(sb, 'version', (c) => (c.immotop.apiVersion = '2.0'))
    const report = json(await doctor(config))
    expect(check(report, 'immotop.auth').status).toBe('pass')
    expect(check(report, 'immotop.version-header')).toMatchObject({status: 'fail', owner: 'W&W'})
    expect(check(report, 'immotop.version-header').detail).toMatch(/Version/)
    expect(check(report, 'immotop.version-header').fix).toContain('immotop.apiVersion')
  })

  it('401: the melon token is wrong', async () => {
    const config = configVariant(sb, 'wrong-token', (c) => (c.melon.token = 'wrong-token-1234567'))
    const report = json(await doctor(config))
    expect(check(report, 'melon.auth')).toMatchObject({status: 'fail', owner: 'emonitor', detail: 'melon GET /me: 401, the credentials were refused.'})
    expect(statuses(report, ['melon.project', 'melon.rights'])).toEqual({'melon.project': 'skip', 'melon.rights': 'skip'})
  })

  it('403: a right is missing, named with the commands it breaks', async () => {
    const config = configVariant(sb, 'read-only', (c) => (c.melon.token = `${sb.melon.token}-ro`))
    const report = json(await doctor(config))
    expect(check(report, 'melon.rights')).toMatchObject({
      status: 'fail',
      owner: 'emonitor',
      detail: 'The token lacks objects:write, documents:read, tenants:write: publish, unpublish, export-tenant, sync, sync (closing the loop), contracts will be refused.',
    })
    // export-tenant first marks the tenant in melon (tenants:write), before any document is read.
    const refused = await runCli(['export-tenant', 'T-1001', '--json', '--config', config])
    expect(refused.code).toBe(4)
    expect(json(refused).error.message).toBe('melon PUT /tenants/{tenant_id}/handover: 403, the account lacks the right for this call (missing right tenants:write).')
  })

  it('404: the melon project does not exist, or the base URL is not melon', async () => {
    const project = json(await doctor(configVariant(sb, 'project', (c) => (c.melon.project = 'other'))))
    expect(check(project, 'melon.auth').status).toBe('pass')
    expect(check(project, 'melon.project')).toMatchObject({status: 'fail', detail: 'melon does not know the project "other".'})
    const wrongBase = json(await doctor(configVariant(sb, 'base', (c) => (c.melon.baseUrl = sb.immotop.baseUrl))))
    expect(check(wrongBase, 'melon.auth')).toMatchObject({status: 'fail', detail: 'melon GET /me: 404, not found.'})
    expect(check(wrongBase, 'melon.auth').fix).toContain('melon.baseUrl')
  })

  it('429 and 5xx', async () => {
    await setFaults(sb, '429=1')
    const limited = json(await doctor(sb.configPath))
    expect(check(limited, 'melon.auth').detail).toMatch(/^melon GET \/me: 429, too many requests/)
    await setFaults(sb, '503=1')
    const broken = json(await doctor(sb.configPath))
    expect(check(broken, 'melon.auth').detail).toBe('melon GET /me: 503, the server failed.')
    expect(check(broken, 'immotop.test').detail).toBe('Immotop 2 GET Test: 503, the server failed.')
  })

  it('clock skew: a warning past a minute, a failure past five', async () => {
    await setFaults(sb, 'dateskew=-90s')
    const warn = json(await doctor(sb.configPath))
    expect(check(warn, 'clock')).toMatchObject({status: 'warn', owner: "customer's IT"})
    expect(check(warn, 'clock').fix).toContain('NTP')
    await setFaults(sb, 'dateskew=600s')
    const fail = await doctor(sb.configPath)
    expect(fail.code).toBe(1)
    expect(check(json(fail), 'clock').detail).toMatch(/melon -(59\d|60\d) s/)
  })
})

describe('doctor on local settings', () => {
  it('a missing secret fails, naming the environment variable; the network layers are still checked', async () => {
    const config = configVariant(sb, 'no-secret', (c) => delete c.immotop.password)
    const report = json(await doctor(config))
    expect(statuses(report, ['secrets', 'melon.tcp', 'melon.auth', 'immotop.test'])).toEqual({secrets: 'fail', 'melon.tcp': 'pass', 'melon.auth': 'skip', 'immotop.test': 'skip'})
    expect(check(report, 'secrets').fix).toContain('MELON_IMMOTOP_IMMOTOP_PASSWORD')
    expect((await doctor(config, [], {MELON_IMMOTOP_IMMOTOP_PASSWORD: sb.immotop.password})).code).toBe(0)
  })

  it('no config: that check fails with where it looked; all that needs it is skipped', async () => {
    const result = await runCli(['doctor', '--json'], {cwd: sb.root})
    expect(result.code).toBe(1)
    const report = json(result)
    expect(check(report, 'config')).toMatchObject({status: 'fail', detail: expect.stringContaining('No config found')})
    expect(report.checks.filter((c: any) => c.status !== 'skip').map((c: any) => c.id)).toEqual(['config', 'node'])
  })

  it('config readable by others: a warning with chmod 600; --strict turns it into exit 1', async () => {
    const config = configVariant(sb, 'open', () => {})
    chmodSync(config, 0o644)
    const lenient = await doctor(config)
    expect(lenient.code).toBe(0)
    expect(check(json(lenient), 'config.permissions')).toMatchObject({status: 'warn', fix: `chmod 600 ${config}`, owner: 'operator'})
    expect((await doctor(config, ['--strict'])).code).toBe(1)
  })

  it('staging: a missing folder fails with mkdir; old unprocessed control files warn that Immotop 2 is not processing', async () => {
    const missing = json(await doctor(configVariant(sb, 'staging', (c) => (c.staging.ackDir = `${sb.root}/missing-ack`))))
    expect(check(missing, 'staging.ack')).toMatchObject({status: 'fail', owner: "customer's IT"})
    expect(check(missing, 'staging.ack').fix).toContain('mkdir -p')

    const stuck = join(sb.root, 'stuck-in')
    mkdirSync(stuck)
    writeFileSync(join(stuck, 'mi-T-1-abc_01_dossier.xml_it2'), '<ControlFile/>')
    const old = new Date(Date.now() - 30 * 60_000)
    utimesSync(join(stuck, 'mi-T-1-abc_01_dossier.xml_it2'), old, old)
    const report = json(await doctor(configVariant(sb, 'stuck', (c) => (c.staging.incomingDir = stuck))))
    expect(check(report, 'staging.incoming')).toMatchObject({status: 'warn', owner: 'W&W'})
    expect(check(report, 'staging.incoming').detail).toMatch(/1 control file\(s\) in .* are older than 15 minutes/)
  })

  it('--deep against an Immotop 2 that never picks up fails the round trip naming W&W, and takes the probe back', async () => {
    const idle = join(sb.root, 'idle')
    mkdirSync(join(idle, 'in'), {recursive: true})
    mkdirSync(join(idle, 'ack'))
    const config = configVariant(sb, 'idle', (c) => {
      c.staging.incomingDir = join(idle, 'in')
      c.staging.ackDir = join(idle, 'ack')
      c.staging.pickupTimeoutSeconds = 1
    })
    const report = json(await doctor(config, ['--deep']))
    expect(check(report, 'staging.roundtrip')).toMatchObject({status: 'fail', owner: 'W&W'})
    expect(check(report, 'staging.roundtrip').detail).toBe(`Immotop 2 did not pick up the probe within 1 s (staging.pickupTimeoutSeconds); it was taken back from ${join(idle, 'in')}.`)
    expect(check(report, 'staging.roundtrip').fix).toMatch(/^Ask W&W to check that Immotop 2 imports staging folder 2/)
    expect(readdirSync(join(idle, 'in')).filter((n) => !n.startsWith('.'))).toEqual([])
  })

  it('a handover waiting for pick-up longer than the timeout is a warning naming W&W, with since when', async () => {
    const idle = join(sb.root, 'idle-sync')
    mkdirSync(join(idle, 'in'), {recursive: true})
    mkdirSync(join(idle, 'ack'))
    // Folders Immotop 2 does not import, one state folder, a short pick-up timeout.
    const idleConfig = (name: string, incoming: string) =>
      configVariant(sb, name, (c) => {
        c.staging.incomingDir = join(idle, incoming)
        c.staging.ackDir = join(idle, 'ack')
        c.staging.pickupTimeoutSeconds = 0.2
        c.stateDir = join(idle, 'state')
      })
    const config = idleConfig('idle-sync', 'in')
    expect((await runCli(['export-tenant', 'T-1003', '--config', config])).code).toBe(7)
    const report = json(await doctor(config, ['--only', 'staging.pickup']))
    expect(check(report, 'staging.pickup')).toMatchObject({status: 'warn', owner: 'W&W'})
    expect(check(report, 'staging.pickup').detail).toMatch(/^1 handover\(s\) delivered and not picked up by Immotop 2, the oldest since \d{4}-\d\d-\d\dT.* \(tenant T-1003, handover mi-T-1003-[0-9a-f]{12}\)\.$/)
    expect(check(report, 'staging.pickup').fix).toContain('Ask W&W to check that Immotop 2 imports staging folder 2')
    expect(check(report, 'staging.pickup').fix).not.toContain('configured when they were delivered')

    // staging.incomingDir changed meanwhile: the fix names the folder the handover waits in.
    mkdirSync(join(idle, 'new-in'))
    const moved = idleConfig('idle-sync-moved', 'new-in')
    const after = json(await doctor(moved, ['--only', 'staging.pickup']))
    expect(check(after, 'staging.pickup').fix).toMatch(new RegExp(`^1 of them wait in ${join(idle, 'in')}, the staging folder 2 configured when they were delivered: .* move their files into ${join(idle, 'new-in')}\\. `))
  })

  it('a state folder that holds another melon project\'s handovers fails the state check, with the fix', async () => {
    // A state folder whose ledger a run for project "sandbox" recorded.
    const stateDir = join(sb.root, 'sandbox-project-state')
    const {Ledger} = await import('../../src/state/ledger.js')
    const ledger = new Ledger(stateDir)
    ledger.belongsTo('sandbox')
    ledger.close()
    const config = configVariant(sb, 'other-project-state', (c) => {
      c.melon.project = 'production'
      c.stateDir = stateDir
    })
    const report = json(await doctor(config, ['--only', 'state']))
    expect(check(report, 'state')).toMatchObject({status: 'fail', owner: 'operator', detail: expect.stringContaining('belongs to melon project "sandbox", not "production"'), fix: expect.stringContaining('state folder of its own')})
  })

  it('mandants: a configured list is checked one by one; an unknown one fails naming the ones Immotop 2 has; a Stockwerk mandant warns', async () => {
    const unknown = json(await doctor(configVariant(sb, 'mandant-9', (c) => (c.immotop.mandant = [1, 9])), ['--only', 'immotop.mandant']))
    expect(check(unknown, 'immotop.mandant')).toMatchObject({status: 'fail', owner: 'operator', detail: 'Immotop 2 has no mandant 9 (it has 1, 2, 3).'})
    const owners = json(await doctor(configVariant(sb, 'mandant-3', (c) => (c.immotop.mandant = 3)), ['--only', 'immotop.mandant']))
    expect(check(owners, 'immotop.mandant')).toMatchObject({status: 'warn', owner: 'operator'})
    expect(check(owners, 'immotop.mandant').detail).toBe('Mandant 3 STWEG Rebhalde (S): 2 units, 2 vacant. Mandant 3 is not of a letting type (V).')
  })

  it('mandants: what the REST user cannot see (no unit at all, units without their Liegenschaft) is a warning naming W&W', async () => {
    await setFaults(sb, 'emptyview=GetDmsObjekt')
    const blind = check(json(await doctor(sb.configPath, ['--only', 'immotop.mandant'])), 'immotop.mandant')
    expect(blind).toMatchObject({status: 'warn', owner: 'W&W', fix: expect.stringContaining('read rights')})
    expect(blind.detail).toBe('Mandant 1 Immobilien Muster AG (V): 0 units, 0 vacant; 2 Pensionskasse Seeblick (V): 0 units, 0 vacant. mandant 1 shows no unit at all; mandant 2 shows no unit at all: the REST user may lack rights to them (publish --prune withdraws none of their listings).')
    await setFaults(sb, 'emptyview=GetDmsLiegenschaft')
    const orphans = check(json(await doctor(sb.configPath, ['--only', 'immotop.mandant'])), 'immotop.mandant')
    expect(orphans).toMatchObject({status: 'warn', owner: 'W&W'})
    expect(orphans.detail).toContain('10 unit(s) of mandant 1 have no Liegenschaft in GetDmsLiegenschaft')
  })

  it('a wrong SMTP password fails the smtp check; without notify there is nothing to check', async () => {
    const wrong = json(await doctor(configVariant(sb, 'smtp-pw', (c) => (c.notify.smtp.password = 'wrong-smtp-password-2'))))
    expect(check(wrong, 'smtp')).toMatchObject({status: 'fail', detail: expect.stringContaining('refused the login')})
    expect(check(wrong, 'smtp').fix).toContain('MELON_IMMOTOP_SMTP_PASSWORD')
    const none = json(await doctor(configVariant(sb, 'no-notify', (c) => delete c.notify)))
    expect(check(none, 'smtp')).toMatchObject({status: 'pass', detail: expect.stringContaining('not configured')})
  })
})

describe('doctor against an Immotop 2 older than 2.7.19', () => {
  it('the feature check fails naming the version; publish --all stops once with the same reason instead of guessing', async () => {
    const old = await testSandboxWith({immotopVersion: '2.7.18'})
    try {
      const report = json(await doctor(old.configPath, ['--only', 'immotop.features']))
      expect(check(report, 'immotop.features')).toMatchObject({status: 'fail', owner: 'W&W', fix: 'Ask W&W to update Immotop 2 to 2.7.19 or newer.'})
      expect(check(report, 'immotop.features').detail).toBe('GetDmsObjekt has no gueltigvon/gueltigbis: those columns come with Immotop 2 2.7.19, and without them a deactivated unit looks vacant.')
      const publish = await runCli(['publish', '--all', '--json', '--config', old.configPath])
      expect(publish.code).toBe(8)
      expect(json(publish).error).toMatchObject({code: 'IMMOTOP_TOO_OLD'})
      expect(json(publish).error.message).toContain('columns that Immotop 2 has since version 2.7.19')
      expect((await getJson(`${old.melon.baseUrl}/api/v2/objects/?format=json`))).toEqual([])
    } finally {
      await old.dispose()
    }
  })
})

describe('doctor options', () => {
  it('--only runs those checks and what they need; --skip reports a check as skipped; unknown ids are usage errors', async () => {
    const only = json(await doctor(sb.configPath, ['--only', 'immotop.mandant']))
    expect(only.checks.map((c: any) => c.id)).toEqual(['config', 'secrets', 'immotop.dns', 'immotop.tcp', 'immotop.tls', 'immotop.test', 'immotop.auth', 'immotop.version-header', 'immotop.mandant'])
    const skip = json(await doctor(sb.configPath, ['--skip', 'smtp,clock']))
    expect(statuses(skip, ['smtp', 'clock', 'smtp.test-mail'])).toEqual({smtp: 'skip', clock: 'skip', 'smtp.test-mail': 'skip'})
    expect(check(skip, 'smtp').detail).toBe('Skipped by --skip.')
    const bad = await runCli(['doctor', '--only', 'melon.api', '--config', sb.configPath])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('There is no check "melon.api".')
  })

  it('--report writes a redacted Markdown report, owner-only', async () => {
    const file = join(sb.root, 'report.md')
    const config = configVariant(sb, 'report', (c) => (c.immotop.password = 'CANARY-report-secret-1'))
    const result = await runCli(['doctor', '--report', file, '--config', config])
    expect(result.code).toBe(1)
    const text = readFileSync(file, 'utf8')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(text).toMatch(/^# melon-immotop doctor report/)
    expect(text).toContain('| Immotop 2: Basic auth accepted `immotop.auth` | fail |')
    expect(text).toContain('(W&W)')
    expect(text).not.toContain('CANARY-report-secret-1')
    expect(text).not.toContain(sb.melon.token)
  })
})
