/** `melon-immotop service`: writes the unit files for the real config, owner-only, never a secret, never over existing files. */
import {readFileSync, statSync, writeFileSync} from 'node:fs'
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
    const result = await runCli(['service', '--kind', 'systemd-timer', '--user', 'melon', '--output', output, '--json', '--config', sb.configPath])
    expect(result.code, result.stderr).toBe(0)
    const out = json(result)
    expect(out.files).toEqual([join(output, 'melon-immotop-sync.service'), join(output, 'melon-immotop-sync.timer')])
    expect(out.install).toContain('sudo systemctl enable --now melon-immotop-sync.timer')
    const service = readFileSync(out.files[0], 'utf8')
    expect(service).toContain(`--config ${sb.configPath}`)
    expect(service).toContain(`--secrets-file ${envFile}`)
    expect(service).toContain('User=melon')
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

  it('a broken config is refused before anything is written', async () => {
    const bad = join(sb.root, 'bad.json')
    writeFileSync(bad, '{"melon": {}}')
    const output = join(sb.root, 'none')
    const result = await runCli(['service', '--output', output, '--config', bad])
    expect(result.code).toBe(78)
    expect(() => statSync(output)).toThrow()
  })
})
