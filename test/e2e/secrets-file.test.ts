/**
 * --secrets-file as Windows editors and shells write it: UTF-8 with or without
 * BOM (Notepad, PowerShell 7) and UTF-16 with BOM (PowerShell 5.1's `>`) give
 * both secrets; anything else is refused whole (exit 2), never read in part.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
let config: string
let token: string
let password: string
beforeAll(async () => {
  sb = await testSandbox()
  const c = JSON.parse(readFileSync(sb.configPath, 'utf8'))
  token = c.melon.token
  password = c.immotop.password
  delete c.melon.token
  delete c.immotop.password
  config = join(sb.root, 'no-secrets.json')
  writeFileSync(config, JSON.stringify(c), {mode: 0o600})
})
afterAll(async () => sb?.dispose())

// The token first: a BOM left in front of the first name loses exactly that secret.
const text = () => `MELON_IMMOTOP_MELON_TOKEN=${token}\r\n# melon-immotop secrets\r\nMELON_IMMOTOP_IMMOTOP_PASSWORD=${password}\r\n`
const ENCODINGS: Array<[string, (t: string) => Buffer]> = [
  ['UTF-8', (t) => Buffer.from(t)],
  ['UTF-8 with BOM', (t) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t)])],
  ['UTF-16 LE with BOM (PowerShell 5.1 >)', (t) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')])],
  ['UTF-16 BE with BOM', (t) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(t, 'utf16le').swap16()])],
]

describe('a secrets file in the encodings of Windows tools', () => {
  it.each(ENCODINGS)('%s: both secrets are read', async (name, encode) => {
    const file = join(sb.root, `${name.replace(/\W+/g, '-')}.env`)
    writeFileSync(file, encode(text()), {mode: 0o600})
    const result = await runCli(['config', 'show', '--json', '--config', config, '--secrets-file', file])
    expect(result.code, result.stderr).toBe(0)
    const shown = json(result).values as Array<{key: string; source: string; value: string}>
    for (const key of ['melon.token', 'immotop.password']) expect(shown.find((v) => v.key === key)).toMatchObject({source: 'env', value: expect.stringMatching(/^…/)})
    expect(result.stdout + result.stderr).not.toContain(token)
  })

  it.each([
    ['UTF-16 without BOM', (t: string) => Buffer.from(t, 'utf16le'), 'without a byte-order mark'],
    ['Windows-1252', (t: string) => Buffer.from(`# Zürich\r\n${t}`, 'latin1'), 'not UTF-8'],
  ])('%s is refused whole, naming the file and the encoding', async (name, encode, reason) => {
    const file = join(sb.root, `${name.replace(/\W+/g, '-')}.env`)
    writeFileSync(file, encode(text()), {mode: 0o600})
    const result = await runCli(['config', 'show', '--json', '--config', config, '--secrets-file', file])
    expect(result.code).toBe(2)
    const error = json(result).error
    expect(error).toMatchObject({code: 'SECRETS_FILE_ENCODING', message: expect.stringContaining(file)})
    expect(error.message).toContain(reason)
    expect(error.fix).toContain('UTF-8')
    expect(result.stdout + result.stderr).not.toContain(token)
  })
})
