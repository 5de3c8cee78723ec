/** `melon-immotop service`: writes the unit files for the real config, owner-only, never a secret, never over existing files. */
import {chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir, userInfo} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())

describe('service', () => {
  it('writes a systemd service and timer naming the config and init\'s env file; refuses to overwrite without --force', async () => {
    const envFile = join(dirname(sb.configPath), 'melon-immotop.env')
    writeFileSync(envFile, `MELON_IMMOTOP_MELON_TOKEN='${sb.melon.token}'\n`, {mode: 0o600})
    const output = join(sb.root, 'units')
    // An account that exists and can read the config: the one running the tests.
    const me = userInfo().username
    const result = await runCli(['service', '--kind', 'systemd-timer', '--user', me, '--output', output, '--json', '--config', sb.configPath])
    expect(result.code, result.stderr).toBe(0)
    const out = json(result)
    expect(out.files).toEqual([join(output, 'melon-immotop-sync.service'), join(output, 'melon-immotop-sync.timer')])
    expect(out.install).toContain('sudo systemctl enable --now melon-immotop-sync.timer')
    const service = readFileSync(out.files[0], 'utf8')
    expect(service).toContain(`--config ${sb.configPath}`)
    expect(service).toContain(`--secrets-file ${envFile}`)
    expect(service).toContain(`User=${me}`)
    for (const file of out.files) {
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(readFileSync(file, 'utf8')).not.toContain(sb.melon.token)
    }
    const again = await runCli(['service', '--kind', 'systemd-timer', '--output', output, '--config', sb.configPath])
    expect(again.code).toBe(5)
    expect(again.stderr).toContain('melon-immotop-sync.service, ')
    expect(again.stderr).toContain('Pass --force to overwrite')
    expect(readFileSync(out.files[0], 'utf8')).toBe(service)
    const forced = await runCli(['service', '--kind', 'systemd-timer', '--interval', '300', '--output', output, '--force', '--config', sb.configPath])
    expect(forced.code, forced.stderr).toBe(0)
    expect(readFileSync(join(output, 'melon-immotop-sync.timer'), 'utf8')).toContain('OnUnitInactiveSec=300s')
  })

  it('writes a WinSW definition on request', async () => {
    const output = join(sb.root, 'winsw')
    const result = await runCli(['service', '--kind', 'winsw', '--output', output, '--json', '--config', sb.configPath])
    expect(result.code, result.stderr).toBe(0)
    const xml = readFileSync(join(output, 'melon-immotop-sync.xml'), 'utf8')
    expect(xml).toContain('<id>melon-immotop-sync</id>')
    expect(xml).toContain(`<executable>${process.execPath}</executable>`)
  })

  it('a line break in --user or in the config path never reaches the unit file: refused (exit 2), nothing written (issue 24, hole 9)', async () => {
    const output = join(sb.root, 'injected')
    const user = await runCli(['service', '--user', 'root\nExecStartPre=/bin/sh -c id', '--output', output, '--json', '--config', sb.configPath])
    expect(user.code, user.stderr).toBe(2)
    expect(json(user).error).toMatchObject({code: 'SERVICE_VALUE_UNSAFE', message: '--user holds the control character U+000A; nothing was written.'})
    const folder = join(sb.root, 'a\nExecStartPre=x')
    mkdirSync(folder)
    copyFileSync(sb.configPath, join(folder, 'config.json'))
    const path = await runCli(['service', '--output', output, '--json', '--config', join(folder, 'config.json')])
    expect(path.code, path.stderr).toBe(2)
    expect(json(path).error.message).toBe('--config holds the control character U+000A; nothing was written.')
    const odd = await runCli(['service', '--user', 'me;reboot', '--output', output, '--config', sb.configPath])
    expect(odd.code).toBe(2)
    expect(odd.stderr).toContain('--user is not an account name')
    expect(() => statSync(output)).toThrow()
  })

  it('--user must exist and be able to read the config (issue 24, hole 9)', async () => {
    const output = join(sb.root, 'accounts')
    const unknown = await runCli(['service', '--user', 'mi-no-such-account', '--output', output, '--json', '--config', sb.configPath])
    expect(unknown.code, unknown.stderr).toBe(2)
    expect(json(unknown).error).toMatchObject({code: 'SERVICE_USER_UNKNOWN', message: 'The account "mi-no-such-account" (--user) does not exist on this machine; nothing was written.'})
    // The sandbox's folder is 0700: "nobody" cannot even reach the config.
    const hidden = await runCli(['service', '--user', 'nobody', '--output', output, '--json', '--config', sb.configPath])
    expect(hidden.code, hidden.stderr).toBe(78)
    expect(json(hidden).error).toMatchObject({code: 'SERVICE_USER_CANNOT_READ', message: `The account "nobody" (--user) cannot read ${sb.configPath} (the folder ${sb.root} is not open to it): the service would fail at its first start; nothing was written.`})
    const open = mkdtempSync(join(tmpdir(), 'mi-service-open-'))
    try {
      chmodSync(open, 0o755)
      const config = join(open, 'config.json')
      copyFileSync(sb.configPath, config)
      chmodSync(config, 0o600)
      const owner = await runCli(['service', '--user', 'nobody', '--output', output, '--json', '--config', config])
      expect(owner.code, owner.stderr).toBe(78)
      expect(json(owner).error.fix).toBe(`Give it read access, e.g. \`sudo chgrp nobody ${config} && sudo chmod 640 ${config}\`, or run the service as the file's owner.`)
      expect(() => statSync(output)).toThrow()
      chmodSync(config, 0o644)
      const ok = await runCli(['service', '--user', 'nobody', '--output', output, '--json', '--config', config])
      expect(ok.code, ok.stderr).toBe(0)
      expect(readFileSync(join(output, 'melon-immotop-sync.service'), 'utf8')).toContain('User=nobody')
    } finally {
      rmSync(open, {recursive: true, force: true})
    }
  })

  it('a broken config is refused before anything is written', async () => {
    const bad = join(sb.root, 'bad.json')
    writeFileSync(bad, '{"melon": {}}')
    const output = join(sb.root, 'none')
    const result = await runCli(['service', '--output', output, '--config', bad])
    expect(result.code).toBe(78)
    expect(() => statSync(output)).toThrow()
  })
})
