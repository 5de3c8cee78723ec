/**
 * sync as a service: it outlives an outage, writes one JSON line per pass,
 * logs with levels and zoned timestamps into a rotated file, and reads its
 * secrets from an env file exactly as written.
 */
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, connect, type Server} from 'node:net'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {BIN, json, runCli} from '../helpers/cli.js'
import {configVariant, getJson, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

const sandboxes: TestSandbox[] = []
const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) server.close()
  while (sandboxes.length) await sandboxes.pop()!.dispose()
})
const ZONED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (INFO |WARN |ERROR|DEBUG) /

/** A port that refuses connections now; `open()` makes it forward to `target` from then on. */
async function outage(target: URL): Promise<{url: string; open: () => Promise<void>}> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as {port: number}).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return {
    url: `http://127.0.0.1:${port}`,
    open: () =>
      new Promise<void>((resolve) => {
        const forward = createServer((socket) => {
          // A reset on either side ends both, as a proxy would; unheard, the error would end the test run.
          const upstream = connect(Number(target.port), target.hostname)
          socket.on('error', () => upstream.destroy())
          upstream.on('error', () => socket.destroy())
          socket.pipe(upstream).pipe(socket)
        })
        servers.push(forward)
        forward.listen(port, '127.0.0.1', resolve)
      }),
  }
}

describe('sync as a service', () => {
  it('outlives an outage of melon: the failed pass is logged and retried, the next one hands everything over; JSON Lines on stdout', async () => {
    const sb = await testSandbox()
    sandboxes.push(sb)
    const down = await outage(new URL(sb.melon.baseUrl))
    const config = configVariant(sb, 'down', (c) => (c.melon.baseUrl = down.url))
    const child = spawn(process.execPath, [BIN, 'sync', '--interval', '1', '--json', '--config', config], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    const lines = () => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
    const waitFor = async (check: () => boolean) => {
      for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 50))
      expect(check(), `stdout: ${stdout}\nstderr: ${stderr}`).toBe(true)
    }
    await waitFor(() => lines().some((l) => l.error))
    const failed = lines().find((l) => l.error)
    expect(failed).toMatchObject({error: {code: 'CONNECTION_REFUSED'}, retryInSeconds: 1})
    expect(stderr).toMatch(/ERROR pass failed: .* Retrying in 1 s\. Fix: /)
    await down.open()
    await waitFor(() => lines().some((l) => l.summary?.exported === 3))
    child.kill('SIGTERM')
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0)
    for (const line of stdout.trim().split('\n')) expect(line).not.toContain('\n  ')
    expect((await getJson(sb.smtp.inbox)).mails).toHaveLength(3)
  })

  it('logs with levels and zoned ISO timestamps, to a file that is rotated by size', async () => {
    const sb = await testSandbox()
    sandboxes.push(sb)
    const file = join(sb.root, 'sync.log')
    const first = await runCli(['sync', '--once', '--log-file', file, '--log-max-bytes', '300', '--config', sb.configPath])
    expect(first.code).toBe(0)
    for (const line of first.stdout.trim().split('\n')) expect(line).toMatch(ZONED)
    expect(first.stdout).toMatch(/INFO {2}pass: 3 without contract, 3 exported/)
    for (let i = 0; i < 4; i++) expect((await runCli(['sync', '--once', '--log-file', file, '--log-max-bytes', '300', '--config', sb.configPath])).code).toBe(0)
    expect(existsSync(`${file}.1`)).toBe(true)
    for (const name of [file, `${file}.1`]) for (const line of readFileSync(name, 'utf8').trim().split('\n')) expect(line).toMatch(ZONED)
    const quiet = await runCli(['sync', '--once', '--log-level', 'warn', '--config', sb.configPath])
    expect(quiet.code).toBe(0)
    expect(quiet.stdout).toBe('')
  })

  it('--secrets-file loads secrets exactly as written: $ and backticks stay, nothing is expanded', async () => {
    const sb = await testSandbox()
    sandboxes.push(sb)
    const config = configVariant(sb, 'no-secrets', (c) => {
      delete c.melon.token
      delete c.immotop.password
    })
    const env = join(sb.root, 'melon-immotop.env')
    writeFileSync(env, `MELON_IMMOTOP_MELON_TOKEN=${sb.melon.token}\nMELON_IMMOTOP_IMMOTOP_PASSWORD='pa$$w0rd\`id\`$HOME'\n`, {mode: 0o600})
    const shown = json(await runCli(['config', 'show', '--json', '--secrets-file', env, '--config', config]))
    expect(JSON.stringify(shown)).toContain('…HOME')
    expect(JSON.stringify(shown)).not.toContain('pa$$w0rd')
    const tenants = await runCli(['tenants', '--json', '--secrets-file', env, '--config', config])
    expect(tenants.code).toBe(0)
    expect(json(tenants).count).toBe(3)
    const missing = await runCli(['tenants', '--secrets-file', join(sb.root, 'nope.env'), '--config', config])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(`Cannot read the secrets file ${join(sb.root, 'nope.env')} (no such file).`)
  })
})
