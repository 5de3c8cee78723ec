/**
 * The init wizard driven by scripted answers: every question validated as it
 * is answered (a rejected answer is asked again, with the reason), live checks
 * that can fail, be retried or be skipped, and the files it writes.
 */
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {parseEnv} from 'node:util'
import {join, resolve} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {loadConfig} from '../../src/config/load.js'
import {UsageError} from '../../src/errors.js'
import {parseMandantAnswer, runInit, type InitIO, type LiveChecks, type Question} from '../../src/services/init.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mi-init-'))
  mkdirSync(join(dir, 'in'))
  mkdirSync(join(dir, 'ack'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

/** Answers per question key, used in order; '' takes the default. Records every rejection. */
function scripted(answers: Record<string, string[]>, confirms: Record<string, boolean[]> = {}) {
  const rejected: Array<{key: string; value: string; reason: string}> = []
  const asked: string[] = []
  const said: string[] = []
  const io: InitIO = {
    async ask(q: Question) {
      asked.push(q.key)
      for (;;) {
        const next = answers[q.key]?.shift()
        if (next === undefined) throw new Error(`no scripted answer left for ${q.key}`)
        const value = next === '' ? (q.default ?? '') : next
        const reason = q.validate(value)
        if (reason === null) return value
        rejected.push({key: q.key, value, reason})
      }
    },
    async confirm(message, defaultValue) {
      const key = Object.keys(confirms).find((k) => message.includes(k))
      return key ? (confirms[key]!.shift() ?? defaultValue) : defaultValue
    },
    say: (line) => said.push(line),
    async checkFailed(name) {
      return this.confirm(`Enter the ${name} settings again?`, true)
    },
  }
  return {io, rejected, asked, said}
}

const ok: LiveChecks = {melon: async () => null, immotop: async () => null, smtp: async () => null}
const answers = () => ({
  'melon.baseUrl': [''],
  'melon.project': ['muster-immo'],
  'melon.token': ['tok-secret-0001'],
  'immotop.baseUrl': ['https://immotop.muster-immo.ch:5100'],
  'immotop.password': ['pw-secret-0002'],
  'immotop.mandant': [''],
  'immotop.caFile': [''],
  'staging.incomingDir': [join(dir, 'in')],
  'staging.ackDir': [join(dir, 'ack')],
  'stateDir': [join(dir, 'state')],
})

describe('init wizard', () => {
  it('asks everything, proposes defaults, writes a valid config with mode 600', async () => {
    const {io, asked} = scripted(answers())
    const file = join(dir, 'config.yaml')
    const result = await runInit(io, {file, force: false, liveChecks: true, secrets: 'file', notify: false, checks: ok})
    expect(asked).toEqual(['melon.baseUrl', 'melon.project', 'melon.token', 'immotop.baseUrl', 'immotop.password', 'immotop.caFile', 'immotop.mandant', 'staging.incomingDir', 'staging.ackDir', 'stateDir'])
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(result.checks).toEqual({'melon': 'passed', 'Immotop 2': 'passed'})
    const written = parseYaml(readFileSync(file, 'utf8'))
    expect(written).toEqual({
      melon: {baseUrl: 'https://{project}.api.melon.rent', project: 'muster-immo', token: 'tok-secret-0001'},
      immotop: {baseUrl: 'https://immotop.muster-immo.ch:5100', user: 'wwdms', password: 'pw-secret-0002', apiVersion: '1.0', mandant: 'all'},
      staging: {incomingDir: join(dir, 'in'), ackDir: join(dir, 'ack')},
      stateDir: join(dir, 'state'),
    })
    const loaded = await loadConfig({configPath: file, env: {}})
    expect(loaded.missingSecrets).toEqual([])
  })

  it('proposes a state folder of the melon project\'s own (a ledger serves one project)', async () => {
    const script = answers()
    script.stateDir = ['']
    const {io} = scripted(script)
    const file = join(dir, 'own-state.yaml')
    await runInit(io, {file, force: false, liveChecks: false, secrets: 'file', notify: false, checks: ok})
    expect(parseYaml(readFileSync(file, 'utf8')).stateDir).toBe(resolve('state', 'muster-immo'))
  })

  it('checks the format as each answer is given, and asks again with the reason', async () => {
    const script = answers()
    script['melon.project'] = ['Muster Immo', 'muster-immo']
    script['immotop.baseUrl'] = ['http://immotop.muster-immo.ch:5100', 'not a url', 'https://immotop.muster-immo.ch:5100']
    script['immotop.mandant'] = ['drei', '0', '3']
    script['immotop.caFile'] = [join(dir, 'nope.pem'), '']
    script['staging.incomingDir'] = [join(dir, 'missing'), join(dir, 'in')]
    const {io, rejected} = scripted(script)
    await runInit(io, {file: join(dir, 'c.yaml'), force: false, liveChecks: false, secrets: 'file', notify: false, checks: ok})
    expect(rejected.map((r) => [r.key, r.value])).toEqual([
      ['melon.project', 'Muster Immo'],
      ['immotop.baseUrl', 'http://immotop.muster-immo.ch:5100'],
      ['immotop.baseUrl', 'not a url'],
      ['immotop.caFile', join(dir, 'nope.pem')],
      ['immotop.mandant', 'drei'],
      ['immotop.mandant', '0'],
      ['staging.incomingDir', join(dir, 'missing')],
    ])
    expect(rejected[1]!.reason).toContain('plain http:// to immotop.muster-immo.ch:5100 is refused')
    expect(rejected[6]!.reason).toContain(`mkdir -p ${join(dir, 'missing')}`)
  })

  it('offers the mandants Immotop 2 has, and takes one, several or all', async () => {
    const script = answers()
    script['immotop.mandant'] = ['1, 2']
    const {io, said} = scripted(script)
    const checks: LiveChecks = {...ok, immotopMandants: async () => [{nr: 1, bez: 'Immobilien Muster AG', type: 'V'}, {nr: 3, bez: 'STWEG Rebhalde', type: 'S'}]}
    const result = await runInit(io, {file: join(dir, 'm.yaml'), force: false, liveChecks: true, secrets: 'file', notify: false, checks})
    expect(said.join('\n')).toContain('Immotop 2 has 2 mandant(s): 1 Immobilien Muster AG (Vermietung); 3 STWEG Rebhalde (Stockwerk). "all" takes every Vermietung mandant.')
    expect(result.config.immotop.mandant).toEqual([1, 2])
    expect([parseMandantAnswer('all'), parseMandantAnswer(' 3 '), parseMandantAnswer('2,2'), parseMandantAnswer('1,x'), parseMandantAnswer('')]).toEqual(['all', 3, 2, null, null])
  })

  it('a failing live check is shown; entering the settings again fixes it; a check can be skipped', async () => {
    const script = answers()
    script['melon.baseUrl'] = ['', '']
    script['melon.project'] = ['muster-immo', 'muster-immo']
    script['melon.token'] = ['wrong-token-0000', 'tok-secret-0001']
    let calls = 0
    const checks: LiveChecks = {...ok, melon: async (c) => (++calls === 1 ? `melon GET /me: 401 for ${c.project}. Fix: check the token.` : null)}
    const {io, said} = scripted(script, {'Check the Immotop 2': [false]})
    const result = await runInit(io, {file: join(dir, 'c.yaml'), force: false, liveChecks: true, secrets: 'file', notify: false, checks})
    expect(calls).toBe(2)
    expect(said).toContain('✖ melon: melon GET /me: 401 for muster-immo. Fix: check the token.')
    expect(result.checks).toEqual({melon: 'passed', 'Immotop 2': 'skipped'})
    expect(parseYaml(readFileSync(join(dir, 'c.yaml'), 'utf8')).melon.token).toBe('tok-secret-0001')
  })

  it('notifications: recipients validated, SMTP login asked only with a user, checked live', async () => {
    const script = {
      ...answers(),
      'notify.recipients': ['vertrag@', 'vertrag@muster-immo.ch, it@muster-immo.ch'],
      'notify.from': ['melon-immotop <noreply@muster-immo.ch>'],
      'notify.smtp.host': ['mail.muster-immo.ch'],
      'notify.smtp.port': ['', ],
      'notify.smtp.user': ['melon-immotop'],
      'notify.smtp.password': ['smtp-secret-0003'],
    }
    let checked: any
    const {io, rejected} = scripted(script)
    const result = await runInit(io, {file: join(dir, 'c.yaml'), force: false, liveChecks: true, secrets: 'file', notify: 'ask', checks: {...ok, smtp: async (c) => ((checked = c), null)}})
    expect(rejected.map((r) => r.key)).toEqual(['notify.recipients'])
    expect(checked).toMatchObject({recipients: ['vertrag@muster-immo.ch', 'it@muster-immo.ch'], smtp: {host: 'mail.muster-immo.ch', port: 587, secure: false, user: 'melon-immotop'}})
    expect(result.checks['mail server']).toBe('passed')
    const loaded = await loadConfig({configPath: join(dir, 'c.yaml'), env: {}})
    expect(loaded.config.notify?.smtp.password).toBe('smtp-secret-0003')
  })

  it('--secrets env: the config holds no secret; an env file (600) holds them, and the config loads with it', async () => {
    const {io, said} = scripted(answers())
    const file = join(dir, 'c.yaml')
    const result = await runInit(io, {file, force: false, liveChecks: false, secrets: 'env', notify: false, checks: ok})
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain('tok-secret-0001')
    expect(text).not.toContain('pw-secret-0002')
    expect(result.envFile).toBe(join(dir, 'melon-immotop.env'))
    expect(statSync(result.envFile!).mode & 0o777).toBe(0o600)
    // Read with Node's own env-file parser, as --secrets-file does.
    const env = parseEnv(readFileSync(result.envFile!, 'utf8'))
    expect(env).toEqual({MELON_IMMOTOP_MELON_TOKEN: 'tok-secret-0001', MELON_IMMOTOP_IMMOTOP_PASSWORD: 'pw-secret-0002'})
    expect(said.join('\n')).not.toContain('tok-secret-0001')
    expect(said).toContain(`Pass it to melon-immotop with --secrets-file ${result.envFile} (read exactly as written; a shell's \`set -a; . file\` would expand $ and backticks).`)
    expect((await loadConfig({configPath: file, env})).missingSecrets).toEqual([])
  })

  it('--secrets env writes values that Node\'s parser reads back exactly, $, backticks, backslashes and quotes included', async () => {
    const script = answers()
    script['melon.token'] = ["tok$HOME\\n'q"]
    script['immotop.password'] = ['pw$PATH\\t']
    const {io} = scripted(script)
    const result = await runInit(io, {file: join(dir, 'q.yaml'), force: false, liveChecks: false, secrets: 'env', notify: false, checks: ok})
    expect(parseEnv(readFileSync(result.envFile!, 'utf8'))).toEqual({MELON_IMMOTOP_MELON_TOKEN: "tok$HOME\\n'q", MELON_IMMOTOP_IMMOTOP_PASSWORD: 'pw$PATH\\t'})
  })

  it('refuses to overwrite an existing config without force', async () => {
    const file = join(dir, 'c.yaml')
    writeFileSync(file, 'keep: me\n')
    const {io} = scripted(answers())
    await expect(runInit(io, {file, force: false, liveChecks: false, secrets: 'file', notify: false, checks: ok})).rejects.toThrowError(UsageError)
    expect(readFileSync(file, 'utf8')).toBe('keep: me\n')
    const again = scripted(answers())
    await runInit(again.io, {file, force: true, liveChecks: false, secrets: 'file', notify: false, checks: ok})
    expect(readFileSync(file, 'utf8')).toContain('muster-immo')
    expect(existsSync(`${file}.${process.pid}.tmp`)).toBe(false)
  })
})
