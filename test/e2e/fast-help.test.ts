/**
 * `<command> --help` is answered from the manifest (src/cli/fast-help.ts)
 * with the very text oclif prints: for every command, at two widths, with
 * and without colour. Where the fast path must not answer (a user theme, a
 * topic, a typo, more flags) oclif does, as before.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
import {runCli} from '../helpers/cli.js'

const OCLIF_ONLY = fileURLToPath(new URL('../helpers/oclif-only.mjs', import.meta.url))
const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {commands: Record<string, unknown>}
const words = Object.keys(manifest.commands).map((id) => id.split(':'))
const dir = mkdtempSync(join(tmpdir(), 'mi-fast-help-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
// No user theme from the machine running the tests, unless a test sets one.
const plain = {XDG_CONFIG_HOME: join(dir, 'no-config'), HOME: join(dir, 'home'), LOCALAPPDATA: join(dir, 'no-config')}

/** Both ways, with oclif's debug log on: the fast path must not have loaded oclif's config. */
async function both(args: string[], env: NodeJS.ProcessEnv) {
  const [fast, oclif] = await Promise.all([runCli(args, {env: {...env, DEBUG: 'oclif:*'}}), runCli(args, {env, bin: OCLIF_ONLY})])
  return {fast, oclif}
}

describe('<command> --help from the manifest', () => {
  it.each(words.map((w) => [w.join(' ')]))('%s: the same text as oclif, at 80 and 132 columns, with colour and without', async (id) => {
    for (const env of [{...plain, OCLIF_COLUMNS: '80', NO_COLOR: '1'}, {...plain, OCLIF_COLUMNS: '132', FORCE_COLOR: '1', NO_COLOR: ''}] as NodeJS.ProcessEnv[]) {
      for (const flag of ['--help', '-h']) {
        const {fast, oclif} = await both([...id.split(' '), flag], env)
        expect(oclif.code).toBe(0)
        expect(oclif.stdout).toContain('USAGE')
        if (env.FORCE_COLOR) expect(oclif.stdout).toContain('\u001b[1mUSAGE')
        expect(fast.stdout).toBe(oclif.stdout)
        expect(fast.code).toBe(0)
        // Answered without oclif's config: it logs every start under DEBUG=oclif:*.
        expect(fast.stderr).not.toContain('oclif:config')
      }
    }
  })

  it('a user theme (theme.json in oclif\'s config folder) is honoured: oclif answers', async () => {
    const configHome = join(dir, 'themed')
    mkdirSync(join(configHome, 'melon-immotop'), {recursive: true})
    writeFileSync(join(configHome, 'melon-immotop', 'theme.json'), JSON.stringify({sectionHeader: 'red'}))
    const env = {...plain, XDG_CONFIG_HOME: configHome, FORCE_COLOR: '1', NO_COLOR: ''}
    const {fast, oclif} = await both(['tenants', '--help'], env)
    expect(oclif.stdout).toContain('\u001b[31m')
    expect(fast.stdout).toBe(oclif.stdout)
    expect(fast.stderr).toContain('oclif:config')
    // oclif switches themes off only for exactly 1 or true; TRUE leaves the theme on, and the fast path must see that too.
    for (const [value, themed] of [['1', false], ['TRUE', true]] as const) {
      const again = await both(['tenants', '--help'], {...env, MELON_IMMOTOP_DISABLE_THEME: value})
      expect(again.oclif.stdout.includes('\u001b[31m'), value).toBe(themed)
      expect(again.fast.stdout, value).toBe(again.oclif.stdout)
    }
  })

  it.each([[['config', '--help']], [['tenant', '--help']], [['tenants', '--json', '--help']]])('%j is left to oclif, with its usual answer', async (args) => {
    const {fast, oclif} = await both(args, {...plain, NO_COLOR: '1'})
    expect(fast.stderr).toContain('oclif:config')
    expect(fast.code).toBe(oclif.code)
    expect(fast.stdout).toBe(oclif.stdout)
  })
})

describe("oclif's plugins (help, autocomplete) load only for what needs them", () => {
  const config = join(dir, 'config.json')
  writeFileSync(config, JSON.stringify({melon: {baseUrl: 'http://127.0.0.1:9', project: 'p', token: 'mlt_0123456789abcdef'}, immotop: {baseUrl: 'http://127.0.0.1:9', user: 'u', password: 'pw_0123456789', mandant: 1}, staging: {incomingDir: dir, ackDir: dir}, stateDir: join(dir, 'state')}), {mode: 0o600})

  it.each([[['config', 'show', '--config', config]], [['config', 'validate', '--config', config, '--json']], [['config']], [['config', 'shwo']], [['export-tenant']], [['publish', '--from-idx']]])('%j: without them, and the same answer as with them', async (args) => {
    const env = {...plain, NO_COLOR: '1'}
    const [logged, fast, oclif] = await Promise.all([runCli(args, {env: {...env, DEBUG: 'oclif:*'}}), runCli(args, {env}), runCli(args, {env, bin: OCLIF_ONLY})])
    expect(logged.stderr).toContain('oclif:config')
    expect(logged.stderr).not.toContain('loading plugins')
    expect(fast.code).toBe(oclif.code)
    expect(fast.stdout).toBe(oclif.stdout)
    expect(fast.stderr).toBe(oclif.stderr)
  })

  it.each([[['help', 'config', 'show']], [['autocomplete']], [['--help']], [['conifg']], [['Config', 'show']]])('%j: with them, as before', async (args) => {
    const {fast, oclif} = await both(args, {...plain, NO_COLOR: '1'})
    expect(fast.stderr).toContain("loading plugins [ '@oclif/plugin-autocomplete', '@oclif/plugin-help' ]")
    expect(fast.code).toBe(oclif.code)
    expect(fast.stdout).toBe(oclif.stdout)
  })
})

