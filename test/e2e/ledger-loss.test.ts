/**
 * A lost, emptied or damaged ledger never makes the tool hand anything over
 * (or mail anyone) twice: it stops with a state error naming the file and the
 * recovery, and `state restore` / `state rebuild` bring it back.
 */
import {readdirSync, readFileSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {getJson, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

const sandboxes: TestSandbox[] = []
afterEach(async () => {
  while (sandboxes.length) await sandboxes.pop()!.dispose()
})

async function handedOver(): Promise<TestSandbox> {
  const sb = await testSandbox()
  sandboxes.push(sb)
  const first = await runCli(['sync', '--once', '--json', '--config', sb.configPath])
  expect(first.code).toBe(0)
  expect(json(first).summary.exported).toBe(3)
  return sb
}
const counts = async (sb: TestSandbox) => ({
  handovers: (await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)).handovers.length as number,
  mails: (await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)).mails.length as number,
})
const ledgerFile = (sb: TestSandbox) => join(sb.stateDir, 'ledger.sqlite')
const backups = (sb: TestSandbox) => readdirSync(join(sb.stateDir, 'backups')).filter((n) => n.endsWith('.sqlite'))

describe('a lost ledger', () => {
  it('an emptied ledger stops sync with a state error naming the file and the recovery; nothing is sent again', async () => {
    const sb = await handedOver()
    expect(backups(sb)).toHaveLength(1)
    const before = await counts(sb)
    for (const suffix of ['-wal', '-shm']) rmSync(`${ledgerFile(sb)}${suffix}`, {force: true})
    truncateSync(ledgerFile(sb), 0)
    const result = await runCli(['sync', '--once', '--json', '--config', sb.configPath])
    expect(result.code).toBe(74)
    expect(json(result).error).toMatchObject({code: 'LEDGER_LOST'})
    expect(json(result).error.message).toBe(`The ledger ${ledgerFile(sb)} is empty, but ${sb.stateDir} was used before (it has .melon-immotop-state or backups).`)
    expect(json(result).error.fix).toContain('melon-immotop state restore')
    expect(await counts(sb)).toEqual(before)
    // export-tenant and history stop the same way; doctor does not call the state healthy.
    expect((await runCli(['export-tenant', 'T-1001', '--config', sb.configPath])).code).toBe(74)
    expect((await runCli(['history', '--config', sb.configPath])).code).toBe(74)
    const doctor = json(await runCli(['doctor', '--json', '--only', 'state', '--config', sb.configPath]))
    expect(doctor.checks.find((c: any) => c.id === 'state')).toMatchObject({status: 'fail', owner: 'operator'})

    // state restore brings the newest backup back: the next pass finds everything done.
    const restored = await runCli(['state', 'restore', '--json', '--config', sb.configPath])
    expect(restored.code).toBe(0)
    expect(json(restored).operations).toBe(3)
    const again = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
    expect(again.summary).toMatchObject({exported: 0, alreadyDone: 3, failed: 0})
    expect(await counts(sb)).toEqual(before)
  })

  it('state restore of an older backup adds what this installation handed over after it (melon\'s markers): nothing is delivered or mailed again (issue 24, hole 5)', async () => {
    const sb = await handedOver()
    const [older] = backups(sb)
    const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})
    const {id} = (await created.json()) as {id: string}
    const later = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
    expect(later.exported).toEqual([id])
    const before = await counts(sb)
    for (const suffix of ['-wal', '-shm']) rmSync(`${ledgerFile(sb)}${suffix}`, {force: true})
    truncateSync(ledgerFile(sb), 0)
    const restored = await runCli(['state', 'restore', '--from', join(sb.stateDir, 'backups', older!), '--json', '--config', sb.configPath])
    expect(restored.code, restored.stderr).toBe(0)
    const result = json(restored)
    expect(result.operations).toBe(3)
    // Immotop 2 answered and the answers were removed once read: no evidence is left but the marker, so it is taken as handed over.
    expect(result.afterBackup).toMatchObject({waiting: [], pickedUp: [], assumedDone: [id], notSent: []})
    const human = await runCli(['history', '--tenant', id, '--config', sb.configPath])
    expect(human.stdout).toContain('restored: no evidence left; taken as handed over, nothing resent')
    const again = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
    expect(again.summary).toMatchObject({exported: 0, alreadyDone: 4, failed: 0})
    expect(await counts(sb)).toEqual(before)
  })

  it('state restore over a sound ledger is refused (LEDGER_HEALTHY, exit 5) and changes nothing; --force replaces it and keeps it as replaced (issue 24, hole 11)', async () => {
    const sb = await handedOver()
    // SQLite's own -wal/-shm may come and go with any reader; nothing else may appear.
    const listing = () => readdirSync(sb.stateDir).filter((n) => !/-(wal|shm)$/.test(n)).sort()
    const files = listing()
    const ledgerBytes = readFileSync(ledgerFile(sb))
    const refused = await runCli(['state', 'restore', '--json', '--config', sb.configPath])
    expect(refused.code, refused.stderr).toBe(5)
    expect(json(refused).error).toMatchObject({code: 'LEDGER_HEALTHY', message: `The ledger ${ledgerFile(sb)} is sound (3 handovers); a backup put in its place would forget what it recorded since. Nothing was changed.`})
    expect(listing()).toEqual(files)
    expect(readFileSync(ledgerFile(sb)).equals(ledgerBytes)).toBe(true)
    const forced = await runCli(['state', 'restore', '--force', '--json', '--config', sb.configPath])
    expect(forced.code, forced.stderr).toBe(0)
    expect(json(forced).setAside.some((f: string) => f.includes('ledger.sqlite.replaced-'))).toBe(true)
    expect(json(forced).setAside.some((f: string) => f.includes('damaged'))).toBe(false)
  })

  it('a missing ledger without backups: state rebuild takes what melon and the folders show; nothing is resent, new tenants still go', async () => {
    const sb = await handedOver()
    const before = await counts(sb)
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${ledgerFile(sb)}${suffix}`, {force: true})
    rmSync(join(sb.stateDir, 'backups'), {recursive: true})
    // The marker alone says the folder was used.
    expect((await runCli(['sync', '--once', '--config', sb.configPath])).code).toBe(74)
    expect((await runCli(['state', 'restore', '--config', sb.configPath])).code).toBe(74)
    const rebuilt = await runCli(['state', 'rebuild', '--json', '--config', sb.configPath])
    expect(rebuilt.code).toBe(0)
    // Picked up (an answer was left in folder 1) or taken as handed over: either way nothing is resent.
    expect(json(rebuilt)).toMatchObject({waiting: [], notSent: []})
    expect([...json(rebuilt).pickedUp, ...json(rebuilt).assumedDone].sort()).toEqual(['T-1001', 'T-1002', 'T-1003'])
    const again = await runCli(['state', 'rebuild', '--config', sb.configPath])
    expect(again.stdout).toMatch(/^✔ Ledger rebuilt: 0 waiting for pick-up, \d picked up, \d taken as handed over, 0 to hand over\./)
    const pass = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
    expect(pass.summary).toMatchObject({exported: 0, alreadyDone: 3})
    expect(await counts(sb)).toEqual(before)
    await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})
    const next = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
    expect(next.summary).toMatchObject({exported: 1, alreadyDone: 3})
  })

  it('rebuild with a staging folder that cannot be read stops before it changes anything (exit 7)', async () => {
    const sb = await handedOver()
    writeFileSync(ledgerFile(sb), 'damaged')
    for (const suffix of ['-wal', '-shm']) rmSync(`${ledgerFile(sb)}${suffix}`, {force: true})
    const before = readdirSync(sb.stateDir).sort()
    const {configVariant} = await import('../helpers/sandbox.js')
    const offline = configVariant(sb, 'offline', (c) => (c.staging.incomingDir = join(sb.root, 'share-offline')))
    const rebuilt = await runCli(['state', 'rebuild', '--json', '--config', offline])
    expect(rebuilt.code).toBe(7)
    expect(json(rebuilt).error).toMatchObject({code: 'STAGING_UNREADABLE'})
    // The damaged ledger is still where it was, and no new ledger stands beside it.
    expect(readdirSync(sb.stateDir).sort()).toEqual(before)
    expect(readFileSync(ledgerFile(sb), 'utf8')).toBe('damaged')
  })

  it('rebuild finds a handover still waiting in staging folder 2, and hands over a tenant named as not sent', async () => {
    const sb = await testSandbox()
    sandboxes.push(sb)
    await fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode: 'off'})})
    const {configVariant} = await import('../helpers/sandbox.js')
    const quick = configVariant(sb, 'quick', (c) => (c.staging.pickupTimeoutSeconds = 0.2))
    expect((await runCli(['export-tenant', 'T-1001', '--config', quick])).code).toBe(7)
    writeFileSync(ledgerFile(sb), 'this is not an SQLite database, it is garbage')
    for (const suffix of ['-wal', '-shm']) rmSync(`${ledgerFile(sb)}${suffix}`, {force: true})
    const broken = await runCli(['sync', '--once', '--json', '--config', quick])
    expect(broken.code).toBe(74)
    expect(json(broken).error).toMatchObject({code: 'LEDGER_CORRUPT'})
    expect(json(broken).error.message).toMatch(/^The ledger .*ledger\.sqlite is damaged \(SQLITE_NOTADB\)\.$/)
    const rebuilt = json(await runCli(['state', 'rebuild', '--not-sent', 'T-1003', '--json', '--config', quick]))
    expect(rebuilt).toMatchObject({waiting: ['T-1001'], assumedDone: ['T-1002'], notSent: ['T-1003']})
    expect(rebuilt.setAside.some((f: string) => f.includes('ledger.sqlite.damaged-'))).toBe(true)
    await fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode: 'saved'})})
    let pass: any
    for (let i = 0; i < 30 && !(pass && pass.summary.waiting === 0); i++) pass = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
    expect(pass.summary.failed).toBe(0)
    const {handovers, ...rest} = await counts(sb)
    // T-1001 picked up (its waiting files, never rewritten), T-1003 handed over now, T-1002 not resent.
    expect(handovers).toBe(2)
    expect(rest.mails).toBe(2)
  })
})
