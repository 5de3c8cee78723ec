import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mi-cfgcmd-'))
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const TOKEN = 'tok-SECRET-show-1234'
const PASSWORD = 'pw-SECRET-show-5678'
// Unreachable on purpose: config commands must not touch the network.
const base = {
  melon: {baseUrl: 'https://{project}.api.melon.invalid', project: 'acme', token: TOKEN},
  immotop: {baseUrl: 'https://immotop.invalid:5100', password: PASSWORD, mandant: 3},
  staging: {incomingDir: './in', ackDir: './ack'},
  stateDir: './state',
}

function write(name: string, content: string, mode = 0o600): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  chmodSync(path, mode)
  return path
}

describe('config show', () => {
  it('prints every effective value with its source, secrets masked', async () => {
    const {melon, ...rest} = base
    const file = write('show.json', JSON.stringify({...rest, melon: {project: melon.project}}))
    const result = await runCli(['config', 'show', '--json', '--config', file], {env: {MELON_IMMOTOP_MELON_TOKEN: TOKEN}})
    expect(result.code).toBe(0)
    const out = json(result)
    const byKey = Object.fromEntries(out.values.map((v: any) => [v.key, v]))
    expect(byKey['melon.token']).toEqual({key: 'melon.token', value: '…1234', source: 'env'})
    expect(byKey['immotop.password']).toEqual({key: 'immotop.password', value: '…5678', source: 'file'})
    expect(byKey['immotop.user']).toEqual({key: 'immotop.user', value: 'wwdms', source: 'default'})
    expect(byKey['melon.baseUrl']).toMatchObject({value: 'https://{project}.api.melon.rent', source: 'default'})
    expect(byKey['staging.incomingDir']).toMatchObject({value: join(dir, 'in'), source: 'file'})
    expect(result.stdout + result.stderr).not.toContain(TOKEN)
    expect(result.stdout + result.stderr).not.toContain(PASSWORD)
    const human = await runCli(['config', 'show', '--config', file], {env: {MELON_IMMOTOP_MELON_TOKEN: TOKEN}})
    expect(human.stdout).toMatch(/immotop\.user\s+wwdms\s+\(default\)/)
    expect(human.stdout).toMatch(/melon\.token\s+…1234\s+\(env\)/)
  })
})

describe('config validate', () => {
  it('accepts a valid config without any network call', async () => {
    const file = write('valid.json', JSON.stringify(base))
    const result = await runCli(['config', 'validate', '--config', file])
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe(`✔ ${file} is valid.`)
  })

  it('warns when a file holding secrets is readable by others, with the chmod fix', async () => {
    const file = write('open.json', JSON.stringify(base), 0o644)
    const result = await runCli(['config', 'validate', '--json', '--config', file])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`readable by others (mode 644). Fix: chmod 600 ${file}`)
    expect(json(result).warnings[0].fix).toBe(`chmod 600 ${file}`)
    const tight = write('tight.json', JSON.stringify(base), 0o600)
    expect((await runCli(['config', 'validate', '--config', tight])).stderr).toBe('')
  })

  it.each([
    ['a YAML syntax error, with the line', 'broken.yaml', 'melon:\n  project: acme\n  token: [x\n', /Cannot parse config .*broken\.yaml \(line \d+, column \d+\)/],
    ['a JSON syntax error', 'broken.json', '{"melon": }', /Cannot parse config .*broken\.json/],
    ['an unknown key, with a suggestion', 'typo.json', JSON.stringify({...base, staging: {...base.staging, ackDirectory: 'x'}}), /unknown key "staging\.ackDirectory"[\s\S]*Did you mean "staging\.ackDir"\?/],
    ['a wrong type', 'type.json', JSON.stringify({...base, immotop: {...base.immotop, mandant: '3'}}), /immotop\.mandant: expected a mandant number, a list of numbers, or "all" \(got string\)/],
    ['a missing secret, naming the variable', 'nosecret.json', JSON.stringify({...base, melon: {project: 'acme'}}), /melon\.token is not set[\s\S]*MELON_IMMOTOP_MELON_TOKEN/],
  ])('%s exits 78 naming the file', async (_name, fileName, content, message) => {
    const file = write(fileName, content)
    const result = await runCli(['config', 'validate', '--config', file])
    expect(result.code).toBe(78)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).toContain(fileName)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('no config found lists where it looked, for every command', async () => {
    for (const command of [['config', 'validate'], ['config', 'show'], ['tenants'], ['publish', '1.1.1'], ['export-tenant', 'T-1']]) {
      const result = await runCli([...command, '--json'], {cwd: dir})
      expect(result.code, command.join(' ')).toBe(78)
      expect(json(result).error.code).toBe('CONFIG_NOT_FOUND')
      expect(json(result).error.message).toContain('.melon-immotoprc.yaml')
    }
  })
})
