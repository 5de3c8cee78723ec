/**
 * init on a real terminal: util-linux `script` gives the CLI a pseudo-terminal,
 * and Ctrl-C is typed once the first question is on screen (a barrier, no sleep).
 */
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {BIN} from '../helpers/cli.js'

// `script` is util-linux; macOS has a different one and Windows none (init's Ctrl-C there is the same inquirer code path).
const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0
const dir = mkdtempSync(join(tmpdir(), 'mi-init-tty-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** init on a pseudo-terminal; `until(text)` resolves once the screen shows it (or the process ended). */
function initOnTerminal() {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  for (const key of ['CI', 'GITHUB_ACTIONS', 'MELON_IMMOTOP_CONFIG', 'MELON_IMMOTOP_MELON_TOKEN', 'MELON_IMMOTOP_IMMOTOP_PASSWORD']) delete env[key]
  const child = spawn('script', ['-qec', `"${process.execPath}" "${BIN}" init`, '/dev/null'], {cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe']})
  const state = {screen: ''}
  const waiters: Array<{text: string; resolve: () => void}> = []
  child.stdout.on('data', (chunk) => {
    state.screen += chunk
    for (const w of waiters) if (state.screen.includes(w.text)) w.resolve()
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000)
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => (clearTimeout(killer), resolve(code))))
  const until = (text: string) => Promise.race([new Promise<void>((resolve) => waiters.push({text, resolve})), exited.then(() => undefined)])
  return {state, until, exited, type: (keys: string) => child.stdin.write(keys)}
}

describe.skipIf(!hasScript)('init on a terminal', () => {
  it('checks an answer as it is typed and asks again', async () => {
    const term = initOnTerminal()
    await term.until('melon API base URL')
    term.type('ftp://melon.example\r')
    await term.until('must use https://')
    term.type('\u0003')
    expect(await term.exited).toBe(130)
    expect(term.state.screen).toContain('melon.baseUrl must use https:// (got ftp:).')
  })

  it('Ctrl-C at a question is an interrupt (exit 130) and writes nothing', async () => {
    const term = initOnTerminal()
    await term.until('melon API base URL')
    term.type('\u0003')
    const code = await term.exited
    const screen = term.state.screen
    expect(screen).toContain('melon API base URL')
    expect(code).toBe(130)
    expect(screen).toContain('Interrupted by Ctrl-C while answering init; nothing was written.')
    expect(screen).not.toMatch(/ExitPromptError|at .*\.js:\d+/)
    expect(existsSync(join(dir, '.melon-immotoprc.yaml'))).toBe(false)
  })
})

