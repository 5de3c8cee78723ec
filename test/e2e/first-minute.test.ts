/**
 * The first minute of a new user: version, help in every spelling, a typo
 * that gets a "did you mean" (on a terminal as a question, otherwise as a
 * line or JSON), and missing arguments named.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Config} from '@oclif/core'
import {afterAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {hasScript, onTerminal} from '../helpers/terminal.js'
import {suggestCommand} from '../../src/hooks/command-not-found.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'mi-first-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('--version', () => {
  it('prints what oclif would, without loading it; -v the same; --json one document', async () => {
    const oclif = await Config.load(root)
    for (const flag of ['--version', '-v']) {
      const result = await runCli([flag])
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(`${oclif.userAgent}\n`)
    }
    const doc = json(await runCli(['--version', '--json']))
    expect(doc).toMatchObject({name: 'melon-immotop', version: oclif.version, node: process.version, userAgent: oclif.userAgent})
  })
})

describe('help', () => {
  it.each([[['help', 'publish']], [['publish', '--help']], [['publish', '-h']]])('%j shows usage with the arguments', async (args) => {
    const result = await runCli(args)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('USAGE')
    expect(result.stdout).toMatch(/ARGUMENTS\n\s+\[UNITS\.\.\.\]/)
  })

  it('a missing argument is named, with exit 2', async () => {
    const result = await runCli(['export-tenant'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Missing 1 required argument: tenant')
  })
})


describe('NODE_ENV', () => {
  // vitest, some shells and many CI images set NODE_ENV=test or development: oclif would then try to register
  // tsx or ts-node on every start (about 0.15 s of CPU) and could run src/ instead of what was built.
  it.each(['development', 'test'])('NODE_ENV=%s runs the built dist/ without looking for a TypeScript loader', async (nodeEnv) => {
    const result = await runCli(['config', 'validate', '--config', join(tmpdir(), 'mi-no-such-config.json')], {env: {NODE_ENV: nodeEnv, DEBUG: 'oclif:config:ts-path'}})
    expect(result.code).toBe(78)
    expect(result.stderr).toContain('enableAutoTranspile is explicitly set to false')
    expect(result.stderr).not.toMatch(/regist\w* (tsx|ts-node)/i)
  })
})
describe('a mistyped command', () => {
  it('names the closest command and the corrected line, exit 2', async () => {
    const result = await runCli(['publsh', '1.10001.1012', '--dry-run'])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('Error: "publsh" is not a melon-immotop command. Did you mean "publish"?\nFix: Run melon-immotop publish 1.10001.1012 --dry-run, or melon-immotop help for every command.\n')
  })

  it('with --json: one JSON document with the suggestion', async () => {
    const result = await runCli(['confg', 'shw', '--json'])
    expect(result.code).toBe(2)
    expect(json(result).error).toMatchObject({code: 'UNKNOWN_COMMAND', suggestion: 'config show', exitCode: 2})
  })

  it('nothing close: points to help only', async () => {
    const result = await runCli(['xyzzy'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Fix: Run melon-immotop help for every command.')
    expect(result.stderr).not.toContain('Did you mean')
  })

  it('finds two-word commands and keeps the arguments', () => {
    const ids = ['publish', 'config:show', 'config:validate', 'state:restore', 'state:rebuild', 'sync']
    expect(suggestCommand('state:rebuld:--not-sent', ids)).toEqual({typed: 'state rebuld', suggestion: 'state rebuild', rest: ['--not-sent']})
    expect(suggestCommand('pubish:1.10001.1012', ids)).toEqual({typed: 'pubish', suggestion: 'publish', rest: ['1.10001.1012']})
    expect(suggestCommand('zzz', ids)).toEqual({typed: 'zzz', rest: []})
  })

  it.skipIf(!hasScript)('on a terminal asks, and yes runs the command meant', async () => {
    const config = join(dir, 'c.json')
    writeFileSync(config, '{}')
    const term = onTerminal(`confg valdate --config "${config}"`, dir)
    await term.until('(Y/n)')
    expect(term.state.screen).toContain('Did you mean "config validate"')
    term.type('y\r')
    const code = await term.exited
    // config validate ran on the (empty) file: its own error, exit 78.
    expect(term.state.screen).toContain('melon is missing')
    expect(code).toBe(78)
  })
})
