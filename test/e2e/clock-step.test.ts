/**
 * Issue 24, hole 2: a step of the wall clock must not make a live sync look
 * dead. A sync waits for a pick-up (holding the lock and its claim); other
 * processes whose wall clock was stepped forward (test/helpers/clock-step.cjs
 * moves Date and Linux's boot time together, as the kernel does) try to run
 * beside it. And a sync whose lock file is taken away stops at once.
 */
import {existsSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {json, runCli, startCli} from '../helpers/cli.js'
import {getJson, sandboxPerTest, type TestSandbox} from '../helpers/sandbox.js'

const startSandbox = sandboxPerTest()
const PRELOAD = fileURLToPath(new URL('../helpers/clock-step.cjs', import.meta.url))
const stepped = (ms: number) => ({NODE_OPTIONS: `--require ${PRELOAD}`, MI_CLOCK_STEP_MS: String(ms)})
const pickup = (sb: TestSandbox, mode: 'saved' | 'off') => fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode})})

/** A `sync --once` that hands T-1001 over and waits for its pick-up (Immotop 2 picks nothing up): resolves once it waits. */
async function waitingSync(sb: TestSandbox) {
  await pickup(sb, 'off')
  const {child, output, exited} = startCli(['sync', '--once', '--concurrency', '1', '--json', '--config', sb.configPath])
  // Barrier: a control file is in the staging folder, so the sync is in its wait for pick-up.
  for (let i = 0; i < 600 && !readdirSync(sb.incomingDir).some((n) => n.endsWith('.xml_it2')); i++) await new Promise((r) => setTimeout(r, 50))
  expect(readdirSync(sb.incomingDir).some((n) => n.endsWith('.xml_it2')), output().stderr).toBe(true)
  return {child, exited}
}

describe('a forward step of the wall clock', () => {
  it.each([3_000, 30_000, 3_600_000])('of %i ms does not make the running sync look dead: a second sync, contracts --check and export-tenant are refused; one mail', async (step) => {
    const sb = await startSandbox()
    const first = await waitingSync(sb)
    const lockFile = join(sb.stateDir, 'sync.lock')
    const lockBefore = readFileSync(lockFile, 'utf8')
    expect(JSON.parse(lockBefore).pid).toBe(first.child.pid)

    const second = await runCli(['sync', '--once', '--json', '--config', sb.configPath], {env: stepped(step)})
    expect(second.code, second.stderr).toBe(75)
    expect(json(second).error.code).toBe('SYNC_RUNNING')
    const check = await runCli(['contracts', '--check', '--json', '--config', sb.configPath], {env: stepped(step)})
    expect(check.code, check.stderr).toBe(75)
    // The handover in hand is claimed by the waiting sync: another process does not take it over.
    const again = await runCli(['export-tenant', 'T-1001', '--json', '--config', sb.configPath], {env: stepped(step)})
    expect(again.code, again.stderr).toBe(5)
    expect(json(again).error.code).toBe('HANDOVER_BUSY')
    expect(readFileSync(lockFile, 'utf8')).toBe(lockBefore)

    await pickup(sb, 'saved')
    const done = await first.exited
    expect(done.code, done.stderr).toBe(0)
    const {mails} = await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)
    const {handovers} = await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)
    expect(handovers.filter((h: any) => h.record?.source?.tenantId === 'T-1001')).toHaveLength(1)
    expect(mails).toHaveLength(3)
    expect(new Set(mails.map((m: any) => m.messageId)).size).toBe(3)
    expect(mails.every((m: any) => m.deliveries === 1)).toBe(true)
  })
})

describe('a sync that lost its lock', () => {
  it('stops at once with SYNC_LOCK_LOST (exit 74) instead of going on; the next sync finishes each tenant once', async () => {
    const sb = await startSandbox()
    const first = await waitingSync(sb)
    rmSync(join(sb.stateDir, 'sync.lock'))
    const lost = await first.exited
    expect(lost.code, lost.stderr).toBe(74)
    expect(json(lost).error).toMatchObject({code: 'SYNC_LOCK_LOST', message: expect.stringContaining('no lock is there now')})
    expect(existsSync(join(sb.stateDir, 'sync.lock'))).toBe(false)
    const {mails} = await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)
    expect(mails).toHaveLength(0)
    await pickup(sb, 'saved')
    const rest = await runCli(['sync', '--once', '--json', '--config', sb.configPath])
    expect(rest.code, rest.stderr).toBe(0)
    const after = await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)
    expect(after.mails).toHaveLength(3)
    const {handovers} = await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)
    expect(handovers).toHaveLength(3)
  })
})
