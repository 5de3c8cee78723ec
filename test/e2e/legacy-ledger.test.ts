/**
 * A ledger that release 0.1.0 wrote through better-sqlite3 (test/fixtures/ledger-0.1.0)
 * opens with the node:sqlite ledger, passes its integrity check, keeps its
 * history, and nothing it records is handed over again.
 */
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {getJson, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

const FIXTURE = new URL('../fixtures/ledger-0.1.0/ledger.sqlite', import.meta.url)
const sandboxes: TestSandbox[] = []
afterEach(async () => {
  while (sandboxes.length) await sandboxes.pop()!.dispose()
})

describe('a ledger of release 0.1.0 (better-sqlite3)', () => {
  it('opens, is sound, keeps its history, and T-1001 is not handed over again', async () => {
    const sb = await testSandbox()
    sandboxes.push(sb)
    const stateDir = JSON.parse(readFileSync(sb.configPath, 'utf8')).stateDir as string
    mkdirSync(stateDir, {recursive: true, mode: 0o700})
    copyFileSync(FIXTURE, join(stateDir, 'ledger.sqlite'))
    writeFileSync(join(stateDir, '.melon-immotop-state'), '', {mode: 0o600})

    const doctor = json(await runCli(['doctor', '--json', '--config', sb.configPath]))
    expect(doctor.checks.find((c: {id: string}) => c.id === 'state')).toMatchObject({status: 'pass', detail: expect.stringContaining("passes SQLite's integrity check")})

    const before = json(await runCli(['history', '--tenant', 'T-1001', '--json', '--config', sb.configPath]))
    expect(JSON.stringify(before)).toContain('notified')

    const result = await runCli(['sync', '--once', '--json', '--config', sb.configPath])
    expect(result.code, result.stderr).toBe(0)
    expect(json(result).summary).toMatchObject({tenants: 3, exported: 2, alreadyDone: 1, failed: 0})
    const {handovers} = await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)
    // Handover ids are mi-<tenant>-<hash>: T-1001's went to the 0.1.0 sandbox, none to this one.
    const tenants = handovers.map((h: {handoverId: string | null}) => h.handoverId?.match(/^mi-(T-\d+)-/)?.[1]).sort()
    expect(tenants).toEqual(['T-1002', 'T-1003'])
    const {mails} = await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)
    expect(mails).toHaveLength(2)

    // Written by node:sqlite now, read again: the old and the new history in one ledger.
    const after = json(await runCli(['history', '--json', '--config', sb.configPath]))
    const text = JSON.stringify(after)
    for (const id of ['T-1001', 'T-1002', 'T-1003']) expect(text).toContain(id)
  })
})
