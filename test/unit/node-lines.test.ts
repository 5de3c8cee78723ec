import {describe, expect, it} from 'vitest'
import {judgeNode, lineToInstall, NODE_LINES} from '../../src/core/node-lines.js'
import {readFileSync} from 'node:fs'

describe('Node.js lines (doctor "node")', () => {
  it('passes a supported line well before its end of life', () => {
    expect(judgeNode('v24.11.0', '2026-12-08')).toMatchObject({status: 'pass', detail: 'Node.js v24.11.0 (supported until 2028-04-30).'})
    expect(judgeNode('22.18.0', '2026-12-08').status).toBe('pass')
    expect(judgeNode('26.1.0', '2026-12-08').status).toBe('pass')
  })

  it('warns 90 days before the end of life, naming the date and the line to install', () => {
    expect(judgeNode('22.20.0', '2027-01-29').status).toBe('pass')
    const warn = judgeNode('22.20.0', '2027-01-30')
    expect(warn).toMatchObject({status: 'warn', detail: expect.stringContaining('end of life on 2027-04-30, in 90 day(s)')})
    expect(warn.fix).toContain('Install Node.js 26')
  })

  it('fails a line past its end of life, and one older than the oldest supported release', () => {
    expect(judgeNode('22.20.0', '2027-05-01')).toMatchObject({status: 'fail', detail: expect.stringContaining('reached its end of life on 2027-04-30')})
    expect(judgeNode('20.20.2', '2026-12-08')).toMatchObject({status: 'fail', detail: expect.stringContaining('reached its end of life on 2026-04-30')})
    expect(judgeNode('25.2.0', '2026-12-08')).toMatchObject({status: 'fail', detail: expect.stringContaining('2026-06-01')})
    expect(judgeNode('22.17.1', '2026-12-08')).toMatchObject({status: 'fail', detail: expect.stringContaining('needs 22.18 or later')})
    expect(judgeNode('16.20.0', '2026-12-08').status).toBe('fail')
    expect(judgeNode('20.20.2', '2026-12-08').fix).toMatch(/^Install Node\.js 26 \(LTS until 2029-04-30\)/)
  })

  it('warns on a line newer than the tested ones and on a short-lived odd line', () => {
    expect(judgeNode('28.0.0', '2028-05-01').status).toBe('warn')
    expect(judgeNode('27.1.0', '2027-01-01').status).toBe('warn')
  })

  it('the line to install skips lines near their end', () => {
    expect(lineToInstall('2026-12-08').major).toBe(26)
    expect(lineToInstall('2029-03-01').major).toBe(26)
  })

  it('agrees with package.json engines', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    const oldest = NODE_LINES[0]!
    expect(pkg.engines.node).toBe(`^${oldest.major}.${oldest.minMinor}.0 || >=${NODE_LINES[1]!.major}.0.0`)
  })
})
