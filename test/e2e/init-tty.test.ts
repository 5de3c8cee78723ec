/**
 * init on a real terminal: util-linux `script` gives the CLI a pseudo-terminal,
 * and Ctrl-C is typed once the first question is on screen (a barrier, no sleep).
 */
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {hasScript, onTerminal} from '../helpers/terminal.js'

const dir = mkdtempSync(join(tmpdir(), 'mi-init-tty-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
const initOnTerminal = () => onTerminal('init', dir)

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

