/**
 * The Node.js the tool runs on: an unsupported line is refused before anything
 * loads, a Node.js without its built-in SQLite is named as such (never as a
 * damaged ledger), and the ledger's SQLite prints no warning on any supported line.
 */
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {sandboxPerTest, type TestSandbox} from '../helpers/sandbox.js'

const sandbox = sandboxPerTest()

const stateDirOf = (sb: TestSandbox) => JSON.parse(readFileSync(sb.configPath, 'utf8')).stateDir as string

describe('the Node.js underneath', () => {
  it('a line older than 22.18 is refused at start, with exit 78 and one JSON document', async () => {
    const sb = await sandbox()
    const preload = join(sb.root, 'old-node.cjs')
    writeFileSync(preload, "Object.defineProperty(process.versions, 'node', {value: '20.20.2'})\n")
    const result = await runCli(['tenants', '--json', '--config', sb.configPath], {env: {NODE_OPTIONS: `--require ${JSON.stringify(preload)}`}})
    expect(result.code).toBe(78)
    expect(json(result).error).toMatchObject({code: 'NODE_UNSUPPORTED', message: expect.stringContaining('needs Node.js 22 (22.18 or later), 24 or 26')})
    expect(result.stderr).toBe('')
    const text = await runCli(['tenants', '--config', sb.configPath], {env: {NODE_OPTIONS: `--require ${JSON.stringify(preload)}`}})
    expect(text.code).toBe(78)
    expect(text.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Error: melon-immotop does not run on Node\.js/), expect.stringMatching(/^Fix: Install Node\.js 24 or 26/)])
  })

  it('without node:sqlite, sync says so (SQLITE_UNAVAILABLE, exit 78), opens no ledger, and doctor names it', async () => {
    const sb = await sandbox()
    const env = {NODE_OPTIONS: '--no-experimental-sqlite'}
    const result = await runCli(['sync', '--once', '--json', '--config', sb.configPath], {env})
    expect(result.code).toBe(78)
    const error = json(result).error
    expect(error.code).toBe('SQLITE_UNAVAILABLE')
    expect(error.message).not.toMatch(/damaged|corrupt/i)
    expect(error.fix).toContain('Node.js 22 (22.18 or later), 24 or 26')
    expect(existsSync(join(stateDirOf(sb), 'ledger.sqlite'))).toBe(false)
    const doctor = json(await runCli(['doctor', '--json', '--config', sb.configPath], {env}))
    const node = doctor.checks.find((c: {id: string}) => c.id === 'node')
    expect(node).toMatchObject({status: 'fail', detail: expect.stringContaining('no usable built-in SQLite')})
  })

  it('opening, writing and backing up the ledger prints no warning (Node 22 marks node:sqlite experimental)', async () => {
    const sb = await sandbox()
    const result = await runCli(['sync', '--once', '--json', '--config', sb.configPath])
    expect(result.code, result.stderr).toBe(0)
    expect(json(result).summary).toMatchObject({exported: 3})
    expect(existsSync(join(stateDirOf(sb), 'ledger.sqlite'))).toBe(true)
    expect(result.stderr).not.toMatch(/Warning/)
  })
})
