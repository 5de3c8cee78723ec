import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {createTransport} from 'nodemailer'
import {parse as parseYaml} from 'yaml'
import {runCli, spawnSandbox} from '../helpers/cli.js'

const root = mkdtempSync(join(tmpdir(), 'mi-sandbox-cmd-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

const startCommand = (args: string[]) => spawnSandbox(args.filter((a) => a !== '--json'))

describe('melon-immotop sandbox', () => {
  it('starts on free loopback ports, prints one ready document, writes a 0600 config, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(root, 'a')
    const configPath = join(root, 'a.yaml')
    const sb = startCommand(['--json', '--data-dir', dataDir, '--write-config', configPath])
    const ready = await sb.ready
    expect(ready.melon.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(ready.immotop.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(ready.melon.baseUrl).not.toBe(ready.immotop.baseUrl)
    expect(ready.stagingDir).toBe(join(dataDir, 'staging'))
    expect(ready.configPath).toBe(configPath)
    const config = parseYaml(readFileSync(configPath, 'utf8'))
    // The ready document masks secrets; the config holds them, owner-only.
    expect(JSON.stringify(ready)).not.toContain(config.melon.token)
    expect(JSON.stringify(ready)).not.toContain(config.immotop.password)
    expect(statSync(configPath).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, 'sandbox.sqlite')).mode & 0o077).toBe(0)
    expect(config.immotop.user).toBe('wwdms')
    // Both emulators answer, and the written config works for the real CLI.
    const doctor = await runCli(['doctor', '--json', '--config', configPath])
    expect(doctor.code).toBe(0)
    sb.child.kill('SIGTERM')
    const end = await sb.exited
    expect(end.code).toBe(0)
    expect(end.stderr).toContain('Sandbox stopped')
    await expect(fetch(`${ready.melon.baseUrl}/api/v2/objects/`)).rejects.toThrow()
  })

  it('keeps its data and secrets across restarts with the same --data-dir, and writes JSON for .json', async () => {
    const dataDir = join(root, 'b')
    const first = startCommand(['--json', '--data-dir', dataDir, '--write-config', join(root, 'b1.json')])
    await first.ready
    const c1 = JSON.parse(readFileSync(join(root, 'b1.json'), 'utf8'))
    await fetch(`${c1.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})
    first.child.kill('SIGINT')
    expect((await first.exited).code).toBe(0)
    const second = startCommand(['--json', '--data-dir', dataDir, '--write-config', join(root, 'b2.json')])
    await second.ready
    const c2 = JSON.parse(readFileSync(join(root, 'b2.json'), 'utf8'))
    expect(c2.melon.token).toBe(c1.melon.token)
    const tenants = await runCli(['tenants', '--json', '--config', join(root, 'b2.json')])
    expect(JSON.parse(tenants.stdout).count).toBe(4)
    second.child.kill('SIGTERM')
    await second.exited
  })

  it('a mail client that drops its connection inside a transaction, twice, leaves the SMTP sink running', async () => {
    const configPath = join(root, 'd.json')
    const sb = startCommand(['--json', '--data-dir', join(root, 'd'), '--write-config', configPath])
    const ready = await sb.ready
    const {smtp} = JSON.parse(readFileSync(configPath, 'utf8')).notify
    const plain = Buffer.from(`\0${smtp.user}\0${smtp.password}`).toString('base64')
    for (let i = 0; i < 2; i++) {
      // Up to MAIL FROM, so the sink is inside a transaction, then a reset as a killed client leaves it.
      const socket = connect(smtp.port, smtp.host)
      let seen = ''
      const reply = (code: string) =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (new RegExp(`^${code} `, 'm').test(seen)) {
              seen = ''
              socket.off('data', onData)
              resolve()
            }
          }
          const onData = (chunk: Buffer) => {
            seen += chunk
            check()
          }
          socket.on('data', onData)
          socket.once('error', reject)
          check()
        })
      await reply('220')
      socket.write('EHLO test\r\n')
      await reply('250')
      socket.write(`AUTH PLAIN ${plain}\r\n`)
      await reply('235')
      socket.write('MAIL FROM:<a@example.test>\r\n')
      await reply('250')
      socket.resetAndDestroy()
      await new Promise((resolve) => socket.once('close', resolve))
    }
    const transport = createTransport({host: smtp.host, port: smtp.port, secure: false, auth: {user: smtp.user, pass: smtp.password}})
    await transport.sendMail({from: 'a@example.test', to: 'b@example.test', subject: 'after the resets', text: 'x'})
    transport.close()
    const mails = (await (await fetch(`${ready.immotop.baseUrl}/_sandbox/mails`)).json()).mails
    expect(mails.map((m: any) => m.subject)).toEqual(['after the resets'])
    expect(sb.child.exitCode).toBe(null)
    sb.child.kill('SIGTERM')
    expect((await sb.exited).code).toBe(0)
  })

  it('refuses a non-loopback host with the config exit code', async () => {
    const result = await runCli(['sandbox', '--host', '0.0.0.0', '--data-dir', join(root, 'c')])
    expect(result.code).toBe(78)
    expect(result.stderr).toContain('loopback only')
  })
})
