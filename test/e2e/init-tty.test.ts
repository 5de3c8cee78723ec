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

describe.skipIf(!hasScript)('init on a terminal', () => {
  it('Ctrl-C at a question is an interrupt (exit 130) and writes nothing', async () => {
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
    for (const key of ['CI', 'GITHUB_ACTIONS', 'MELON_IMMOTOP_CONFIG', 'MELON_IMMOTOP_MELON_TOKEN', 'MELON_IMMOTOP_IMMOTOP_PASSWORD']) delete env[key]
    const child = spawn('script', ['-qec', `"${process.execPath}" "${BIN}" init`, '/dev/null'], {cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe']})
    let screen = ''
    const asked = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk) => {
        screen += chunk
        if (screen.includes('melon API base URL')) resolve()
      })
    })
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000)
    await Promise.race([asked, exited])
    child.stdin.write('\u0003')
    const code = await exited
    clearTimeout(killer)
    expect(screen).toContain('melon API base URL')
    expect(code).toBe(130)
    expect(screen).toContain('Interrupted by Ctrl-C while answering init; nothing was written.')
    expect(screen).not.toMatch(/ExitPromptError|at .*\.js:\d+/)
    expect(existsSync(join(dir, '.melon-immotoprc.yaml'))).toBe(false)
  })
})

