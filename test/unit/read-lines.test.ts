/**
 * readLineBatches and linesOf: an export read line by line through one reused buffer.
 * Lines that straddle a read, CRLF and LF, blank lines, a missing final line
 * end and long lines come out as a plain split would give them; a line over
 * the limit is refused with its number.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {linesOf, MAX_LINE_BYTES, readLineBatches} from '../../src/services/publish/export-files.js'

const dir = mkdtempSync(join(tmpdir(), 'mi-lines-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** Every line as text, decoded while its batch is current (the bytes are reused after that). */
async function lines(file: string): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = []
  let batches = 0
  for await (const batch of readLineBatches(file)) {
    batches++
    for (const {line, bytes} of linesOf(batch)) out.push([line, bytes.toString('latin1')])
  }
  expect(batches).toBeGreaterThan(0)
  return out
}

/** What a plain split of the whole file gives: LF ends a line, a CR before it is dropped, no empty last line. */
function expected(text: string): Array<[number, string]> {
  const parts = text.split('\n')
  if (parts.at(-1) === '') parts.pop()
  return parts.map((part, i) => [i + 1, part.endsWith('\r') ? part.slice(0, -1) : part])
}

describe('readLineBatches', () => {
  it('gives every line of a file of many reads, with its number, whatever straddles a read', async () => {
    // Lines of varying length (1 to ~3,000 bytes), so that line ends fall everywhere around the 1 MiB reads.
    const parts: string[] = []
    let size = 0
    for (let i = 0; size < 3.5 * 1024 * 1024; i++) {
      const text = `${i}#`.padEnd((i * 7919) % 3000, String.fromCharCode(65 + (i % 26)))
      const end = i % 3 === 0 ? '\r\n' : '\n'
      parts.push(i % 97 === 0 ? end : text + end)
      size += text.length + end.length
    }
    const text = parts.join('') + 'last line without its end'
    const file = join(dir, 'many.txt')
    writeFileSync(file, text, 'latin1')
    const got = await lines(file)
    expect(got.length).toBeGreaterThan(2000)
    expect(got).toEqual(expected(text))
  })

  it('keeps a line longer than one read (1.5 MiB) whole', async () => {
    const long = 'x'.repeat(1.5 * 1024 * 1024)
    const text = `first\r\n${long}\nafter\n`
    const file = join(dir, 'long.txt')
    writeFileSync(file, text, 'latin1')
    expect(await lines(file)).toEqual([[1, 'first'], [2, long], [3, 'after']])
  })

  it.each([
    ['just over the limit, then its line end', `one\ntwo\n${'y'.repeat(MAX_LINE_BYTES + 1)}\nfour\n`],
    ['far over it, without a line end', `one\ntwo\n${'y'.repeat(MAX_LINE_BYTES + 2 * 1024 * 1024)}`],
    ['as the last line, just over', `one\ntwo\n${'y'.repeat(MAX_LINE_BYTES + 1)}`],
  ])('refuses a line over the limit, naming its number: %s', async (_name, text) => {
    const file = join(dir, 'too-long.txt')
    writeFileSync(file, text, 'latin1')
    await expect(lines(file)).rejects.toMatchObject({code: 'LINE_TOO_LONG', message: expect.stringContaining('line 3 ')})
  })

  it('accepts a line of exactly the limit', async () => {
    const file = join(dir, 'at-limit.txt')
    writeFileSync(file, `one\n${'z'.repeat(MAX_LINE_BYTES)}\r\nthree`, 'latin1')
    expect((await lines(file)).map(([n, t]) => [n, t.length])).toEqual([[1, 3], [2, MAX_LINE_BYTES], [3, 5]])
  })

  it('an empty file gives no line; a missing file is named', async () => {
    const file = join(dir, 'empty.txt')
    writeFileSync(file, '')
    const got: unknown[] = []
    for await (const batch of readLineBatches(file)) got.push(...linesOf(batch))
    expect(got).toEqual([])
    await expect(readLineBatches(join(dir, 'missing.txt')).next()).rejects.toMatchObject({code: 'INPUT_UNREADABLE'})
  })
})
