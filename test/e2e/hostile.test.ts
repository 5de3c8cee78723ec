/**
 * Hostile and broken surroundings (issue 10): answers that never end, a disk
 * that fills up, credentials where they do not belong, code in a config,
 * leftovers of a crash. Each case ends with its own clear error within its
 * configured limit, and nothing is written outside the configured folders.
 */
import {spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {BIN, json, runCli} from '../helpers/cli.js'
import {configVariant, getJson, setFaults, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())
beforeEach(() => setFaults(sb, ''))

const handovers = async () => (await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)).handovers as any[]
const spoolEmpty = () => !existsSync(join(sb.stateDir, 'spool')) || readdirSync(join(sb.stateDir, 'spool')).every((d) => readdirSync(join(sb.stateDir, 'spool', d)).length === 0)

describe('everything from outside is bounded', () => {
  it('a document that trickles in ends with DOWNLOAD_TOO_SLOW within the configured bound, and nothing is delivered', async () => {
    await setFaults(sb, 'trickle=200ms')
    const config = configVariant(sb, 'slow', (c) => {
      c.melon.downloadGraceSeconds = 1
      c.melon.downloadMinBytesPerSecond = 1_000_000
    })
    const before = (await handovers()).length
    const result = await runCli(['export-tenant', 'T-1001', '--json', '--config', config])
    expect(result.code).toBe(7)
    expect(json(result).error).toMatchObject({code: 'DOWNLOAD_TOO_SLOW'})
    expect(json(result).error.message).toMatch(/^melon GET \/tenants\/\{tenant_id\}\/documents\/\{document_id\}: \d+ of \d+ bytes arrived within 1 s, below the minimum rate\.$/)
    expect(json(result).error.fix).toContain('melon.downloadMinBytesPerSecond')
    expect(await handovers()).toHaveLength(before)
    expect(spoolEmpty()).toBe(true)
  })

  it('a document that trickles under a generous overall bound is cut by the rate floor over its sliding window (issue 24, hole 7)', async () => {
    await setFaults(sb, 'trickle=200ms')
    // The overall bound would wait an hour; the floor (1000 B/s over any 2 s) ends it after its window.
    const config = configVariant(sb, 'trickle-floor', (c) => {
      c.melon.downloadGraceSeconds = 3600
      c.melon.downloadMinBytesPerSecond = 1
      c.melon.downloadFloorBytesPerSecond = 1000
      c.melon.downloadFloorWindowSeconds = 2
    })
    const before = (await handovers()).length
    const result = await runCli(['export-tenant', 'T-1001', '--json', '--config', config])
    expect(result.code, result.stderr).toBe(7)
    expect(json(result).error).toMatchObject({code: 'DOWNLOAD_TOO_SLOW'})
    expect(json(result).error.message).toMatch(/^melon GET \/tenants\/\{tenant_id\}\/documents\/\{document_id\}: fewer than 1000 bytes per second over the last 2 s \(\d+ of \d+ bytes arrived\)\.$/)
    expect(json(result).error.fix).toContain('melon.downloadFloorBytesPerSecond')
    expect(await handovers()).toHaveLength(before)
    expect(spoolEmpty()).toBe(true)
  })

  it('a floor of 0 turns the window off; a config with a window out of range is refused', async () => {
    const zero = await runCli(['config', 'validate', '--json', '--config', configVariant(sb, 'floor-off', (c) => (c.melon.downloadFloorBytesPerSecond = 0))])
    expect(zero.code, zero.stderr).toBe(0)
    const wide = await runCli(['config', 'validate', '--json', '--config', configVariant(sb, 'floor-wide', (c) => (c.melon.downloadFloorWindowSeconds = 0))])
    expect(wide.code).toBe(78)
    expect(json(wide).error.message).toContain('melon.downloadFloorWindowSeconds')
  })

  it('a document declared larger than melon.maxDocumentBytes is refused before any byte is downloaded', async () => {
    const config = configVariant(sb, 'small-docs', (c) => (c.melon.maxDocumentBytes = 1000))
    const result = await runCli(['export-tenant', 'T-1001', '--json', '--config', config])
    expect(result.code).toBe(8)
    expect(json(result).error).toMatchObject({code: 'DOCUMENT_TOO_LARGE'})
    expect(json(result).error.message).toMatch(/^melon declares document D-[\w-]+ of tenant T-1001 with \d+ bytes, more than melon\.maxDocumentBytes \(1000\); nothing was downloaded\.$/)
    expect(spoolEmpty()).toBe(true)
  })

  it('pagination: a next_page that does not grow, or never ends, stops with PAGINATION_RUNAWAY', async () => {
    await setFaults(sb, 'stuckpages=1')
    const stuck = await runCli(['tenants', '--json', '--config', sb.configPath])
    expect(stuck.code).toBe(8)
    expect(json(stuck).error).toMatchObject({code: 'PAGINATION_RUNAWAY', message: 'melon GET /tenants: page 1 names page 1 as the next one; stopped reading.'})
    await setFaults(sb, 'endlesspages=1')
    const capped = configVariant(sb, 'pages', (c) => (c.melon.maxPages = 5))
    const endless = await runCli(['tenants', '--json', '--config', capped])
    expect(endless.code).toBe(8)
    expect(json(endless).error.message).toBe('melon GET /tenants: more than 5 pages (melon.maxPages); stopped reading.')
  })

  it('pagination: a list that ends before count says is an error (PAGINATION_SHORT), never a shorter list; state rebuild changes nothing then', async () => {
    // A sandbox of its own: the 60 more tenants would change what the other tests here hand over.
    const own = await testSandbox()
    try {
      const created = await fetch(`${own.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({count: 60})})
      expect(created.status).toBe(201)
      const all = json(await runCli(['tenants', '--json', '--config', own.configPath]))
      const count = all.tenants?.length ?? all.length
      expect(count).toBeGreaterThan(50)
      await setFaults(own, 'shortpages=1')
      const short = await runCli(['tenants', '--json', '--config', own.configPath])
      expect(short.code).toBe(8)
      expect(json(short).error).toMatchObject({code: 'PAGINATION_SHORT', message: `melon GET /tenants: page 1 ends the list after 50 of ${count} items; stopped reading.`})
      mkdirSync(own.stateDir, {recursive: true})
      const stateBefore = readdirSync(own.stateDir).sort()
      const rebuild = await runCli(['state', 'rebuild', '--json', '--config', own.configPath])
      expect(rebuild.code).toBe(8)
      expect(readdirSync(own.stateDir).sort()).toEqual(stateBefore)
    } finally {
      await own.dispose()
    }
  })

  it('an answer file larger than staging.maxAnswerBytes is refused after a stat, naming the file; it is never read', async () => {
    await fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode: 'off'})})
    try {
      const planned = json(await runCli(['export-tenant', 'T-1002', '--dry-run', '--json', '--config', sb.configPath]))
      const control = planned.files[0].fileName.replace(/\.[^.]+$/, '.xml_it2')
      writeFileSync(join(sb.ackDir, control), Buffer.alloc(200 * 1024, 0x41))
      const result = await runCli(['export-tenant', 'T-1002', '--json', '--config', sb.configPath])
      expect(result.code).toBe(8)
      expect(json(result).error.message).toBe(`${join(sb.ackDir, control)} is 204800 bytes; an answer from Immotop 2 is a small control file (at most 65536 bytes), so it was not read.`)
      expect(json(result).error.fix).toContain('staging.maxAnswerBytes')
    } finally {
      await fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode: 'saved'})})
    }
  })
})

/**
 * Runs the CLI in a private mount namespace with a tiny tmpfs over `folder`,
 * so that its writes there fill the disk. Asynchronously: the sandbox serves
 * from this very process.
 */
function withFullDisk(folder: string, args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  mkdirSync(folder, {recursive: true, mode: 0o700})
  const script = `mount -t tmpfs -o size=96k,mode=0700 tmpfs "$1" && shift && exec "$@"`
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', folder, process.execPath, BIN, ...args], {env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c) => (stdout += c))
  child.stderr.on('data', (c) => (stderr += c))
  return new Promise((resolve) => child.once('close', (code) => resolve({code, stdout, stderr})))
}

describe('a full disk is said as such, naming the folder', () => {
  it('spool full while downloading: exit 74 DISK_FULL naming the spool folder; nothing delivered; the next run continues', async () => {
    const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({object_reference_number: '1.10001.1901', dossier_size_bytes: 512 * 1024})})
    const {id} = (await created.json()) as {id: string}
    const result = await withFullDisk(join(sb.stateDir, 'spool'), ['export-tenant', id, '--json', '--config', sb.configPath])
    expect(result.code, result.stderr).toBe(74)
    expect(JSON.parse(result.stdout).error).toMatchObject({code: 'DISK_FULL'})
    expect(JSON.parse(result.stdout).error.message).toMatch(new RegExp(`^The disk is full: no space left to write into ${join(sb.stateDir, 'spool')}/mi-`))
    expect((await handovers()).some((h) => h.record?.source?.tenantId === id)).toBe(false)
    const again = await runCli(['export-tenant', id, '--json', '--config', sb.configPath])
    expect(again.code).toBe(0)
    expect(json(again).status).toBe('exported')
  })

  it('staging folder full while delivering: exit 74 naming the folder', async () => {
    const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({object_reference_number: '1.10001.1901', dossier_size_bytes: 512 * 1024})})
    const {id} = (await created.json()) as {id: string}
    const result = await withFullDisk(join(sb.incomingDir, '.melon-immotop-tmp'), ['export-tenant', id, '--json', '--config', sb.configPath])
    expect(result.code, result.stderr).toBe(74)
    expect(JSON.parse(result.stdout).error.message).toContain(`no space left to write into ${join(sb.incomingDir, '.melon-immotop-tmp')}`)
  })
})

describe('config files that would leak or run code', () => {
  it('credentials inside a base URL are refused at load, and never echoed', async () => {
    const config = configVariant(sb, 'url-creds', (c) => (c.immotop.baseUrl = c.immotop.baseUrl.replace('http://', 'http://wwdms:CANARY-url-secret@')))
    for (const command of [['config', 'show'], ['config', 'validate'], ['publish', '--all', '--dry-run']]) {
      const result = await runCli([...command, '--config', config])
      expect(result.code).toBe(78)
      expect(result.stderr).toContain('immotop.baseUrl carries a user name or password inside the URL')
      expect(result.stdout + result.stderr).not.toContain('CANARY-url-secret')
    }
  })

  it('a JS config found by the search runs only when it is the user\'s own and writable by no one else; named, it loads', async () => {
    const dir = join(sb.root, 'jsconf')
    const inner = join(dir, 'work')
    mkdirSync(inner, {recursive: true})
    const file = join(dir, 'melon-immotop.config.cjs')
    const marker = join(dir, 'ran.txt')
    writeFileSync(file, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x'); module.exports = ${JSON.stringify(sb.config)}\n`)
    chmodSync(file, 0o664)
    const refused = await runCli(['config', 'validate'], {cwd: inner})
    expect(refused.code).toBe(78)
    expect(refused.stderr).toContain(`Found ${file}, a JavaScript config that would run code, and did not load it: it is writable by group or others.`)
    expect(existsSync(marker)).toBe(false)
    chmodSync(file, 0o600)
    expect((await runCli(['config', 'validate'], {cwd: inner})).code).toBe(0)
    expect(existsSync(marker)).toBe(true)
    chmodSync(file, 0o666)
    expect((await runCli(['config', 'validate', '--config', file], {cwd: inner})).code).toBe(0)
  })
})

describe('leftovers of a crash', () => {
  it('answers of finished handovers are recorded and removed; answers of others stay', async () => {
    await setFaults(sb, '')
    const done = json(await runCli(['export-tenant', 'T-1003', '--json', '--config', sb.configPath]))
    expect(done.status).toBe('exported')
    // A crash after "picked_up" and before the answers were deleted leaves this:
    const ours = `${done.files[1].fileName.replace(/\.[^.]+$/, '')}.xml_it2`
    writeFileSync(join(sb.ackDir, ours), `<ControlFile><Action>SavedDocument</Action><DmsDocumentId>${done.files[1].dmsDocumentId}</DmsDocumentId><DocumentId>777</DocumentId></ControlFile>`)
    writeFileSync(join(sb.ackDir, 'someone-else.xml_it2'), '<ControlFile><Action>SavedDocument</Action><DmsDocumentId>other-1</DmsDocumentId></ControlFile>')
    const result = await runCli(['sync', '--once', '--config', sb.configPath])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`Removed 1 answer(s) of finished handovers that an interrupted run left in ${sb.ackDir}.`)
    expect(readdirSync(sb.ackDir).filter((n) => !n.startsWith('.'))).toEqual(['someone-else.xml_it2'])
  })

  it('export-tenant sweeps partial files an interrupted run left in the staging temporary folder, as sync does', async () => {
    const tmp = join(sb.incomingDir, '.melon-immotop-tmp')
    mkdirSync(tmp, {recursive: true, mode: 0o700})
    writeFileSync(join(tmp, 'mi-T-9-old_01_dossier.pdf'), 'partial')
    const old = new Date(Date.now() - 60 * 60_000)
    utimesSync(join(tmp, 'mi-T-9-old_01_dossier.pdf'), old, old)
    expect((await runCli(['export-tenant', 'T-1001', '--config', sb.configPath])).code).toBe(0)
    expect(readdirSync(tmp)).toEqual([])
  })
})
