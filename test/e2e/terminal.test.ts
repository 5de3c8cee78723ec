/**
 * Terminal behaviour through a real pseudo-terminal (util-linux `script`):
 * spinners only on a TTY and never under CI, colours off with NO_COLOR, tables
 * fit to the width, and a terminal without a width must not hang the spinner.
 */
import {spawn} from 'node:child_process'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN} from '../helpers/cli.js'
import {setFaults, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())

const ESC = '\u001b['

function inTerminal(command: string, env: NodeJS.ProcessEnv, size = 'cols 120 rows 40'): Promise<{code: number | null; output: string}> {
  return new Promise((resolve, reject) => {
    const inner = `stty ${size}; exec "${process.execPath}" "${BIN}" ${command} --config "${sb.configPath}"`
    const cleanEnv: NodeJS.ProcessEnv = {...process.env, ...env}
    for (const key of ['CI', 'NO_COLOR', 'FORCE_COLOR']) if (!(key in env)) delete cleanEnv[key]
    const child = spawn('script', ['-qec', inner, '/dev/null'], {env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (c) => (output += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, output})
    })
  })
}

describe('on a terminal', () => {
  it('shows an ora spinner and colours', async () => {
    const {code, output} = await inTerminal('tenants', {})
    expect(code).toBe(0)
    expect(output).toContain('Reading tenants from melon')
    expect(output).toContain(`${ESC}?25l`) // the spinner hides the cursor
    expect(output).toContain(`${ESC}1m`) // bold table head
    expect(output).toContain('Laura Meier')
  })

  it('shows no spinner when CI=true', async () => {
    const {code, output} = await inTerminal('tenants', {CI: 'true'})
    expect(code).toBe(0)
    expect(output).not.toContain('Reading tenants from melon')
    expect(output).toContain('Laura Meier')
  })

  it('prints no colour codes with NO_COLOR (spinner frames aside, which only move the cursor)', async () => {
    const {code, output} = await inTerminal('tenants', {NO_COLOR: '1'})
    expect(code).toBe(0)
    expect(output).not.toMatch(/\u001b\[\d+(;\d+)*m/)
    expect(output).toContain('Laura Meier')
  })

  it('publish --all shows a progress bar', async () => {
    await setFaults(sb, 'latency=150ms')
    try {
      const {code, output} = await inTerminal('publish --all', {})
      expect(code).toBe(0)
      expect(output).toMatch(/\[█*░+\] \d\/6 [12]\.\d/)
      expect(output).toContain('Summary (mandants 1, 2): 6 created')
    } finally {
      await setFaults(sb, '')
    }
  })

  it('tables are box-drawn and fit a 60-column terminal, wrapping the widest columns', async () => {
    const {code, output} = await inTerminal('tenants', {NO_COLOR: '1'}, 'cols 60 rows 50')
    expect(code).toBe(0)
    const lines = output.replace(/\r/g, '').split('\n').filter((l) => l.includes('│'))
    expect(lines.length).toBeGreaterThan(4)
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(60)
    expect(output).toContain('3 tenant(s) with status without_contract.')
  })

  it('a terminal that reports no width gets no spinner and does not hang', async () => {
    const {code, output} = await inTerminal('tenants', {}, 'cols 0 rows 0')
    expect(code).toBe(0)
    expect(output).not.toContain('Reading tenants from melon')
    expect(output).toContain('Laura Meier')
  })
})
