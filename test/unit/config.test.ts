import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {configAdvice, configWarnings, loadConfig, requireSecrets} from '../../src/config/load.js'
import {configPath} from '../../src/config/paths.js'
import {ConfigError} from '../../src/errors.js'

const valid = {
  melon: {baseUrl: 'https://{project}.api.melon.rent', project: 'acme', token: 'tok_1234567890abcd'},
  immotop: {baseUrl: 'https://immotop.acme.ch:5100', password: 'pw_1234567890abcd', mandant: 3},
  staging: {incomingDir: './staging/in', ackDir: './staging/ack'},
  stateDir: './state',
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mi-config-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

const write = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConfigError)
  return error as ConfigError
}

describe('loadConfig: search places', () => {
  it.each([
    ['.melon-immotoprc', JSON.stringify(valid)],
    ['.melon-immotoprc.json', JSON.stringify(valid)],
    ['.melon-immotoprc.yaml', `melon:\n  project: acme\n  token: tok_1234567890abcd\nimmotop:\n  baseUrl: https://immotop.acme.ch:5100\n  password: pw_1234567890abcd\n  mandant: 3\nstaging:\n  incomingDir: ./staging/in\n  ackDir: ./staging/ack\nstateDir: ./state\n`],
    ['.melon-immotoprc.yml', `melon: {project: acme, token: tok_1234567890abcd}\nimmotop: {baseUrl: 'https://immotop.acme.ch:5100', password: pw_1234567890abcd, mandant: 3}\nstaging: {incomingDir: ./staging/in, ackDir: ./staging/ack}\nstateDir: ./state\n`],
    ['melon-immotop.config.cjs', `module.exports = ${JSON.stringify(valid)}`],
    ['melon-immotop.config.mjs', `export default ${JSON.stringify(valid)}`],
    ['package.json', JSON.stringify({name: 'x', 'melon-immotop': valid})],
  ])('finds %s from a subfolder, applies defaults and resolves paths against the file', async (name, text) => {
    const file = write(name, text)
    const sub = join(dir, 'a', 'b')
    mkdirSync(sub, {recursive: true})
    const loaded = await loadConfig({cwd: sub, env: {}})
    expect(loaded.filepath).toBe(file)
    expect(loaded.config.immotop.user).toBe('wwdms')
    expect(loaded.config.immotop.apiVersion).toBe('1.0')
    expect(loaded.config.melon.baseUrl).toBe('https://{project}.api.melon.rent')
    expect(loaded.config.staging.incomingDir).toBe(join(dir, 'staging', 'in'))
    expect(loaded.config.stateDir).toBe(join(dir, 'state'))
    expect(loaded.sources['immotop.user']).toBe('default')
    expect(loaded.sources['immotop.mandant']).toBe('file')
    expect(loaded.missingSecrets).toEqual([])
  })

  it('takes --config and MELON_IMMOTOP_CONFIG', async () => {
    const file = write('custom.json', JSON.stringify(valid))
    expect((await loadConfig({configPath: file, cwd: '/', env: {}})).filepath).toBe(file)
    expect((await loadConfig({cwd: '/', env: {MELON_IMMOTOP_CONFIG: file}})).filepath).toBe(file)
  })
})

describe('loadConfig: the per-user config folder', () => {
  it('is searched after the folders up to home: $XDG_CONFIG_HOME/melon-immotop/config.yaml (README "Config")', async () => {
    const saved = process.env.XDG_CONFIG_HOME
    process.env.XDG_CONFIG_HOME = join(dir, 'xdg')
    try {
      mkdirSync(join(dir, 'xdg', 'melon-immotop'), {recursive: true})
      const file = write(join('xdg', 'melon-immotop', 'config.yaml'), JSON.stringify(valid))
      mkdirSync(join(dir, 'work'))
      const loaded = await loadConfig({cwd: join(dir, 'work'), env: {}})
      expect(loaded.filepath).toBe(file)
      // A config in the working folder still wins.
      const local = write(join('work', '.melon-immotoprc.json'), JSON.stringify(valid))
      expect((await loadConfig({cwd: join(dir, 'work'), env: {}})).filepath).toBe(local)
    } finally {
      if (saved === undefined) delete process.env.XDG_CONFIG_HOME
      else process.env.XDG_CONFIG_HOME = saved
    }
  })
})

describe('loadConfig: secrets from the environment', () => {
  it('overlays secrets from the environment and says where each came from', async () => {
    const {melon, immotop, ...rest} = valid
    const file = write('c.json', JSON.stringify({...rest, melon: {...melon, token: undefined}, immotop: {...immotop, password: undefined}}))
    const noSecrets = await loadConfig({configPath: file, env: {}})
    expect(noSecrets.missingSecrets).toEqual(['melon.token', 'immotop.password'])
    const err = (() => {
      try {
        requireSecrets(noSecrets, ['immotop.password'])
      } catch (e) {
        return e as ConfigError
      }
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect(err!.message).toContain('immotop.password is not set')
    expect(err!.fix).toContain('MELON_IMMOTOP_IMMOTOP_PASSWORD')
    expect(err!.fix).not.toContain('--secrets-file')
    // The env file init writes next to the config is named when it is there.
    write('melon-immotop.env', "MELON_IMMOTOP_IMMOTOP_PASSWORD='x'\n")
    const withFile = (() => {
      try {
        requireSecrets(noSecrets, ['immotop.password'])
      } catch (e) {
        return e as ConfigError
      }
    })()
    expect(withFile!.fix).toContain(`--secrets-file ${join(dir, 'melon-immotop.env')}`)
    const withEnv = await loadConfig({configPath: file, env: {MELON_IMMOTOP_MELON_TOKEN: 'env-token-123456', MELON_IMMOTOP_IMMOTOP_PASSWORD: 'env-pass-123456'}})
    expect(withEnv.config.melon.token).toBe('env-token-123456')
    expect(withEnv.config.immotop.password).toBe('env-pass-123456')
    expect(withEnv.sources['melon.token']).toBe('env')
    expect(withEnv.missingSecrets).toEqual([])
  })
})

describe('loadConfig: errors name the file, the key and the fix', () => {
  it('no config found lists where it looked', async () => {
    const err = await configError(loadConfig({cwd: dir, env: {}}))
    expect(err.code).toBe('CONFIG_NOT_FOUND')
    expect(err.message).toContain('.melon-immotoprc.yaml')
    expect(err.message).toContain(dir)
    expect(err.exitCode).toBe(78)
    expect(err.fix).toMatch(/^Run `melon-immotop init`/)
  })
  it('a missing --config file', async () => {
    const err = await configError(loadConfig({configPath: join(dir, 'nope.yaml'), env: {}}))
    expect(err.message).toContain('nope.yaml does not exist')
  })
  it('a folder or a pipe as --config is named as such, not read (a pipe would never end)', async () => {
    const folder = await configError(loadConfig({configPath: dir, env: {}}))
    expect(folder).toMatchObject({code: 'CONFIG_NOT_FOUND', exitCode: 78, message: `${dir} is a folder, not a config file.`})
    expect(folder.fix).toContain('--config <folder>/.melon-immotoprc.yaml')
    const pipe = join(dir, 'config.fifo')
    execFileSync('mkfifo', [pipe])
    expect(await configError(loadConfig({configPath: pipe, env: {}}))).toMatchObject({message: `${pipe} is not a regular file, not a config file.`})
  })
  it('a YAML syntax error gives the line', async () => {
    const file = write('.melon-immotoprc.yaml', 'melon:\n  project: acme\n  token: [unclosed\nimmotop: {}\n')
    const err = await configError(loadConfig({configPath: file, env: {}}))
    expect(err.code).toBe('CONFIG_SYNTAX')
    expect(err.message).toContain(file)
    expect(err.message).toMatch(/line \d+/)
  })
  it('a JSON syntax error names the file', async () => {
    const file = write('.melon-immotoprc.json', '{"melon": {"project": "acme",}}')
    const err = await configError(loadConfig({configPath: file, env: {}}))
    expect(err.code).toBe('CONFIG_SYNTAX')
    expect(err.message).toContain(file)
  })
  it('an unknown key suggests the right one', async () => {
    const file = write('c.json', JSON.stringify({...valid, immotop: {...valid.immotop, pasword: 'x'}}))
    const err = await configError(loadConfig({configPath: file, env: {}}))
    expect(err.code).toBe('CONFIG_UNKNOWN_KEY')
    expect(err.message).toContain('"immotop.pasword"')
    expect(err.fix).toContain('Did you mean "immotop.password"?')
  })
  it('a misspelt key is reported as unknown, not as the real key missing', async () => {
    const {staging, ...rest} = valid
    const file = write('c.json', JSON.stringify({...rest, staging: {incomingDir: staging.incomingDir, ackDirectory: staging.ackDir}}))
    const err = await configError(loadConfig({configPath: file, env: {}}))
    expect(err.code).toBe('CONFIG_UNKNOWN_KEY')
    expect(err.message).toContain('"staging.ackDirectory"')
    expect(err.fix).toContain('Did you mean "staging.ackDir"?')
  })
  it('a wrong type names the key', async () => {
    const file = write('c.json', JSON.stringify({...valid, immotop: {...valid.immotop, mandant: 'drei'}}))
    const err = await configError(loadConfig({configPath: file, env: {}}))
    expect(err.code).toBe('CONFIG_INVALID')
    expect(err.message).toContain('immotop.mandant')
  })
  it('a missing key names it', async () => {
    const {stateDir: _s, ...rest} = valid
    const file = write('c.json', JSON.stringify(rest))
    const err = await configError(loadConfig({configPath: file, env: {}}))
    expect(err.code).toBe('CONFIG_MISSING_KEY')
    expect(err.message).toContain('stateDir is missing')
  })
  it('a CA file that does not exist', async () => {
    const file = write('c.json', JSON.stringify({...valid, immotop: {...valid.immotop, caFile: './ca.pem'}}))
    const err = await configError(loadConfig({configPath: file, env: {}}))
    expect(err.message).toContain('immotop.caFile')
    expect(err.message).toContain(join(dir, 'ca.pem'))
  })
  it("the mail server's CA file is checked too, and a folder or a pipe is not a CA file", async () => {
    const smtp = (caFile: string) => write('c.json', JSON.stringify({...valid, notify: {recipients: ['a@b.example'], from: 'a@b.example', smtp: {host: 'mail.example', caFile}}}))
    expect((await configError(loadConfig({configPath: smtp('./nope.pem'), env: {}}))).message).toBe(`${join(dir, 'c.json')}: notify.smtp.caFile: CA file ${join(dir, 'nope.pem')} does not exist.`)
    const pipe = join(dir, 'ca.fifo')
    execFileSync('mkfifo', [pipe])
    expect((await configError(loadConfig({configPath: smtp(pipe), env: {}}))).message).toBe(`${join(dir, 'c.json')}: notify.smtp.caFile: CA file ${pipe} is not a regular file.`)
    const melon = write('m.json', JSON.stringify({...valid, melon: {...valid.melon, caFile: dir}}))
    expect((await configError(loadConfig({configPath: melon, env: {}}))).message).toContain(`melon.caFile: CA file ${dir} is not a regular file.`)
  })
})

describe('did you mean', () => {
  it.each([
    ['immotop', 'pasword', 'password'],
    ['staging', 'ackDirectory', 'ackDir'],
    ['staging', 'incoming', 'incomingDir'],
    ['melon', 'Token', 'token'],
    ['immotop', 'mandnat', 'mandant'],
  ])('%s.%s → %s', async (section, typo, expected) => {
    const file = write('c.json', JSON.stringify({...valid, [section]: {...(valid as any)[section], [typo]: 'x'}}))
    const err = await configError(loadConfig({configPath: file, env: {}}))
    expect(err.fix).toContain(`Did you mean "${section}.${expected}"?`)
  })

  it('offers no guess for something unrelated', async () => {
    const file = write('c.json', JSON.stringify({...valid, melon: {...valid.melon, colour: 'blue'}}))
    const err = await configError(loadConfig({configPath: file, env: {}}))
    expect(err.fix).not.toContain('Did you mean')
    expect(err.fix).toContain('known keys here')
  })
})

describe('config permissions by platform (Windows tested with an injected platform)', () => {
  it('a secret-holding config readable by others: a chmod warning on Linux; on Windows no mode warning but NTFS advice', async () => {
    const file = write('c.json', JSON.stringify(valid))
    chmodSync(file, 0o644)
    const loaded = await loadConfig({configPath: file, env: {}})
    expect(configWarnings(loaded, 'linux')).toEqual([expect.objectContaining({fix: `chmod 600 ${file}`})])
    expect(configAdvice(loaded, 'linux')).toBeNull()
    expect(configWarnings(loaded, 'win32')).toEqual([])
    expect(configAdvice(loaded, 'win32')).toContain(`icacls "${file}"`)
    expect(configAdvice(loaded, 'win32')).not.toContain(valid.melon.token)
    // Well-known SIDs, not names that Windows translates ("Administratoren"), and nothing only cmd understands.
    expect(configAdvice(loaded, 'win32')).toContain('"*S-1-5-18:F" "*S-1-5-32-544:F"')
    expect(configAdvice(loaded, 'win32')).not.toMatch(/Administrators:F|%USERNAME%/)
  })
  it('no advice for a config that holds no secret', async () => {
    const {melon, immotop, ...rest} = valid
    const file = write('c.json', JSON.stringify({...rest, melon: {...melon, token: undefined}, immotop: {...immotop, password: undefined}}))
    expect(configAdvice(await loadConfig({configPath: file, env: {}}), 'win32')).toBeNull()
  })
})

describe('staging and state paths by platform (Windows tested with an injected platform)', () => {
  const base = 'C:\\ProgramData\\melon-immotop'
  it.each([
    ['\\\\immotop01\\Staging$\\DMS2IT', '\\\\immotop01\\Staging$\\DMS2IT'],
    ['//immotop01/Staging$/DMS2IT', '//immotop01/Staging$/DMS2IT'],
    ['D:\\Immotop\\Staging\\IT2DMS', 'D:\\Immotop\\Staging\\IT2DMS'],
    ['D:/Immotop/Staging', 'D:/Immotop/Staging'],
    ['staging\\in', 'C:\\ProgramData\\melon-immotop\\staging\\in'],
    ['.\\state', 'C:\\ProgramData\\melon-immotop\\state'],
  ])('on Windows, %s is kept as written or taken from the config folder', (written, expected) => {
    expect(configPath(written, base, 'win32')).toBe(expected)
  })

  it('on Linux, absolute paths are kept and relative ones are taken from the config folder', () => {
    expect(configPath('/mnt/immotop/staging', '/etc/melon-immotop', 'linux')).toBe('/mnt/immotop/staging')
    expect(configPath('./state', '/etc/melon-immotop', 'linux')).toBe('/etc/melon-immotop/state')
  })

  it.skipIf(process.platform === 'win32')('a Windows staging path in a config read elsewhere is refused with the fix, not created as a strange local folder', async () => {
    const file = write('c.json', JSON.stringify({...valid, staging: {incomingDir: '\\\\immotop01\\Staging$\\DMS2IT', ackDir: './ack'}}))
    const error = await configError(loadConfig({configPath: file, env: {}}))
    expect(error.message).toBe(`${file}: staging.incomingDir "\\\\immotop01\\Staging$\\DMS2IT" is a Windows path, but this machine runs ${process.platform}.`)
    expect(error.fix).toContain('where the share is mounted here')
  })
})
