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
    const result = await runCli(['init', '--yes', '--json', '--doctor', ...flags()], {cwd: dir, env: secrets()})
    expect(result.code).toBe(0)
    const out = json(result)
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
    const started = Date.now()
    const result = await runCli(['init', ...flags({'melon-project': undefined})], {cwd: dir, env: secrets()})
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--melon-project is missing (melon project (the first part of <project>.melon.rent)) and there is no terminal to ask.')
    expect(existsSync(join(dir, '.melon-immotoprc.yaml'))).toBe(false)
  })

  it('a bad answer and a failing live check are errors naming the flag; nothing is written', async () => {
    const dir = join(sb.root, 'c')
    mkdirSync(dir)
    const bad = await runCli(['init', '--yes', ...flags({'immotop-mandant': 'eins'})], {cwd: dir, env: secrets()})
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--immotop-mandant: A whole number greater than 0.')
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
    expect(forced.stderr).toContain(`set -a; . ${join(dir, 'melon-immotop.env')}; set +a`)
    // Without the environment the secrets are missing; with it, doctor passes.
    expect((await runCli(['doctor', '--json'], {cwd: dir})).code).toBe(1)
    expect((await runCli(['doctor', '--json'], {cwd: dir, env: secrets()})).code).toBe(0)
  })
})
