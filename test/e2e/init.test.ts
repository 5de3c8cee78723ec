/** init without a terminal: every answer from flags and environment, checked live against the sandbox. */
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())

/** The answers as flags; `change` replaces (or with undefined, drops) some. */
const flags = (change: Record<string, string | undefined> = {}) => {
  const all: Record<string, string | undefined> = {
    'melon-base-url': sb.melon.baseUrl,
    'melon-project': sb.melon.project,
    'immotop-url': sb.immotop.baseUrl,
    'immotop-mandant': '1',
    'incoming-dir': sb.incomingDir,
    'ack-dir': sb.ackDir,
    ...change,
  }
  return Object.entries(all).flatMap(([k, v]) => (v === undefined ? [] : [`--${k}`, v]))
}
const secrets = () => ({MELON_IMMOTOP_MELON_TOKEN: sb.melon.token, MELON_IMMOTOP_IMMOTOP_PASSWORD: sb.immotop.password})

describe('init without a terminal', () => {
  it('writes a working config from flags, checks each connection, and runs doctor on request', async () => {
    const dir = join(sb.root, 'a')
    mkdirSync(dir)
    const result = await runCli(['init', '--yes', '--json', '--doctor', ...flags({'immotop-mandant': '1,2'})], {cwd: dir, env: secrets()})
    expect(result.code).toBe(0)
    // The live check offers the mandants Immotop 2 has.
    expect(result.stderr).toContain('Immotop 2 has 3 mandant(s): 1 Immobilien Muster AG (Vermietung); 2 Pensionskasse Seeblick (Vermietung); 3 STWEG Rebhalde (Stockwerk).')
    const out = json(result)
    expect(out.config.immotop.mandant).toEqual([1, 2])
    expect(out).toMatchObject({file: join(dir, '.melon-immotoprc.yaml'), envFile: null, checks: {melon: 'passed', 'Immotop 2': 'passed'}, doctor: 'passed'})
    expect(out.doctorReport.summary.failed).toBe(0)
    expect(statSync(out.file).mode & 0o777).toBe(0o600)
    expect(result.stdout + result.stderr).not.toContain(sb.melon.token)
    // The written config is found from that folder and works.
    expect((await runCli(['tenants', '--json'], {cwd: dir})).code).toBe(0)
  })

  it('names a missing answer instead of waiting for one', async () => {
    const dir = join(sb.root, 'b')
    mkdirSync(dir)
    const result = await runCli(['init', ...flags({'melon-project': undefined})], {cwd: dir, env: secrets()})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('1 answer(s) missing and there is no terminal to ask: --melon-project.')
    expect(existsSync(join(dir, '.melon-immotoprc.yaml'))).toBe(false)
    // Every missing answer is named in one run, secrets with their environment variable.
    const several = await runCli(['init', ...flags({'melon-project': undefined, 'incoming-dir': undefined})], {cwd: dir, env: {...secrets(), MELON_IMMOTOP_MELON_TOKEN: ''}})
    expect(several.code).toBe(2)
    expect(several.stderr).toMatch(/3 answer\(s\) missing and there is no terminal to ask: --melon-project, --melon-token \(or MELON_IMMOTOP_MELON_TOKEN\), --incoming-dir\./)
  })

  it('a bad answer and a failing live check are errors naming the flag; nothing is written', async () => {
    const dir = join(sb.root, 'c')
    mkdirSync(dir)
    const bad = await runCli(['init', '--yes', ...flags({'immotop-mandant': 'eins'})], {cwd: dir, env: secrets()})
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--immotop-mandant: A mandant number greater than 0, numbers separated by commas, or all.')
    const wrong = await runCli(['init', '--yes', ...flags()], {cwd: dir, env: {...secrets(), MELON_IMMOTOP_IMMOTOP_PASSWORD: 'wrong-password-77'}})
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('Immotop 2: Immotop 2 GET Test: 401, the credentials were refused.')
    expect(wrong.stderr).toContain('--no-check')
    expect(wrong.stderr).not.toContain('wrong-password-77')
    expect(existsSync(join(dir, '.melon-immotoprc.yaml'))).toBe(false)
  })

  it('refuses to overwrite without --force; --secrets env keeps secrets out of the config', async () => {
    const dir = join(sb.root, 'd')
    mkdirSync(dir)
    writeFileSync(join(dir, '.melon-immotoprc.yaml'), 'old: true\n')
    const refused = await runCli(['init', '--yes', ...flags()], {cwd: dir, env: secrets()})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('exists already; init does not overwrite it.')
    const forced = await runCli(['init', '--yes', '--force', '--secrets', 'env', '--json', ...flags()], {cwd: dir, env: secrets()})
    expect(forced.code).toBe(0)
    const text = readFileSync(join(dir, '.melon-immotoprc.yaml'), 'utf8')
    expect(text).not.toContain(sb.melon.token)
    expect(statSync(join(dir, 'melon-immotop.env')).mode & 0o777).toBe(0o600)
    expect(forced.stderr).toContain(`--secrets-file ${join(dir, 'melon-immotop.env')}`)
    // Without the environment the secrets are missing; with it, doctor passes.
    expect((await runCli(['doctor', '--json'], {cwd: dir})).code).toBe(1)
    expect((await runCli(['doctor', '--json'], {cwd: dir, env: secrets()})).code).toBe(0)
    // …or with init's own env file, read exactly as written.
    expect((await runCli(['doctor', '--json', '--secrets-file', join(dir, 'melon-immotop.env')], {cwd: dir})).code).toBe(0)
  })
})

describe('init on a terminal', () => {
  it('asks through inquirer, rejects a bad answer with its reason, and writes the config', async () => {
    const {spawn} = await import('node:child_process')
    const {BIN} = await import('../helpers/cli.js')
    const dir = join(sb.root, 'tty')
    mkdirSync(dir)
    const command = `stty cols 200 rows 50; cd "${dir}" && exec "${process.execPath}" "${BIN}" init --no-check --no-doctor`
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
    delete env.CI
    const child = spawn('script', ['-qec', command, '/dev/null'], {env, stdio: ['pipe', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (c) => (output += c.toString()))
    const plain = () => output.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
    let consumed = 0
    /** Waits for `text` to appear after what was already answered, then types `answer` and Enter. */
    const answer = async (text: string, typed: string) => {
      for (let i = 0; i < 200; i++) {
        const at = plain().indexOf(text, consumed)
        if (at >= 0) {
          consumed = at + text.length
          await new Promise((r) => setTimeout(r, 60))
          child.stdin.write(`${typed}\r`)
          return
        }
        await new Promise((r) => setTimeout(r, 50))
      }
      throw new Error(`prompt "${text}" did not appear; output so far:\n${plain().slice(-2000)}`)
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      await answer('melon API base URL', sb.melon.baseUrl)
      await answer('melon project', 'Bad Project')
      await answer('Lowercase letters, digits and -', '\u0015sandbox')
      await answer('melon API token', sb.melon.token)
      await answer('Immotop 2 REST URL', sb.immotop.baseUrl)
      await answer('Immotop 2 password', sb.immotop.password)
      await answer('CA file', '')
      await answer('Immotop 2 mandants to publish', '')
      await answer('Staging folder to Immotop 2', sb.incomingDir)
      await answer('acknowledgements from Immotop 2', sb.ackDir)
      await answer('State directory', '')
      await answer('Mail the contract staff', 'n')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
    const file = join(dir, '.melon-immotoprc.yaml')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(plain()).toContain(`Wrote ${file} (mode 600).`)
    expect(plain()).not.toContain(sb.melon.token)
    expect(plain()).not.toContain(sb.immotop.password)
    expect((await runCli(['doctor', '--json'], {cwd: dir})).code).toBe(0)
  })
})
