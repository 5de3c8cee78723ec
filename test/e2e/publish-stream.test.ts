/**
 * Large feeds are published as a stream: the IDX file is read twice (check,
 * then publish) and nothing holds the vacancies or the items. Proved here:
 * no record is lost or reordered, stdout stays one JSON document even when
 * the run fails midway, and a file that changes between the passes is refused.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {JsonDocumentStream} from '../../src/cli/json-stream.js'
import {readVacancies, type SourceSpec} from '../../src/services/publish/sources.js'
import {json, runCli} from '../helpers/cli.js'
import {testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
let template: string[]
beforeAll(async () => {
  sb = await testSandbox()
  template = Buffer.from(await (await fetch(`${sb.immotop.baseUrl}/_sandbox/export/portal.idx`)).arrayBuffer()).toString('latin1').split(/\r?\n/).filter(Boolean)
})
afterAll(() => sb.dispose())

/** n records with ref_object 100000.. in file order, lines alternating UTF-8 and ISO-8859-1 as the sandbox's export does. */
function feed(name: string, n: number, offset = 0): {file: string; refs: string[]} {
  const lines: string[] = []
  const refs: string[] = []
  for (let i = 0; i < n; i++) {
    const fields = template[i % template.length]!.split('#')
    fields[7] = String(100000 + offset + i)
    refs.push(`${fields[5]}.${fields[6]}.${fields[7]}`)
    lines.push(fields.join('#'))
  }
  const file = join(sb.root, name)
  writeFileSync(file, Buffer.from(lines.join('\r\n') + '\r\n', 'latin1'))
  return {file, refs}
}

describe('publish as a stream', () => {
  it('2,500 records: one JSON document, every record once and in file order', async () => {
    const {file, refs} = feed('big.idx', 2500)
    const result = await runCli(['publish', '--from-idx', file, '--all', '--dry-run', '--json', '--config', sb.configPath])
    expect(result.code, result.stderr).toBe(0)
    const report = json(result)
    expect(report.items.map((i: any) => i.reference)).toEqual(refs)
    expect(report.items.every((i: any) => i.action === 'dry-run' && i.listing.reference_number === i.reference)).toBe(true)
    expect(report).toMatchObject({source: 'idx', summary: {failed: 0}})
  }, 60_000)

  it('a run that fails after items went out closes the same document with the error, and exits with its code', async () => {
    const first = feed('prune-1.idx', 5)
    expect((await runCli(['publish', '--from-idx', first.file, '--all', '--config', sb.configPath])).code).toBe(0)
    const {file} = feed('prune-2.idx', 30, 1000)
    // Withdrawing the first feed's five listings needs --yes without a terminal: refused, after the 30 items went out.
    const result = await runCli(['publish', '--from-idx', file, '--all', '--prune', '--json', '--config', sb.configPath])
    expect(result.code).toBe(2)
    const doc = json(result)
    expect(doc.items).toHaveLength(30)
    expect(doc.error).toMatchObject({code: 'CONFIRMATION_NEEDED', exitCode: 2})
  }, 60_000)

  it('a file that changes between the check and the publish is refused before the first record that differs', async () => {
    const {file} = feed('moving.idx', 50)
    const spec: SourceSpec = {kind: 'idx', file, refs: [], includeSale: false, skipInvalid: false, prune: false, today: new Date().toISOString().slice(0, 10)} as unknown as SourceSpec
    const read = await readVacancies(spec, {})
    expect(read.vacantRefs).toHaveLength(50)
    const original = readFileSync(file)
    feed('moving.idx', 50, 7) // rewritten in place: other references
    const seen: string[] = []
    await expect(
      (async () => {
        for await (const entry of read.stream!()) seen.push(entry.reference)
      })(),
    ).rejects.toMatchObject({code: 'INPUT_CHANGED'})
    expect(seen).toEqual([])
    writeFileSync(file, original)
    for await (const entry of read.stream!()) seen.push(entry.reference)
    expect(seen).toEqual(read.vacantRefs)
  })

  const spec = (file: string, skipInvalid: boolean) =>
    ({kind: 'idx', file, refs: [], includeSale: false, skipInvalid, prune: false, today: new Date().toISOString().slice(0, 10)}) as unknown as SourceSpec
  const lines = (file: string) => readFileSync(file).toString('latin1').split('\r\n').filter(Boolean)
  const collect = async (read: Awaited<ReturnType<typeof readVacancies>>) => {
    const seen: string[] = []
    for await (const entry of read.stream!()) seen.push(entry.reference)
    return seen
  }

  it('with --skip-invalid, a repeated record key is published once, from its first line, in file order', async () => {
    const {file, refs} = feed('repeats.idx', 6)
    const all = lines(file)
    writeFileSync(file, Buffer.from([...all.slice(0, 4), all[1], ...all.slice(4), all[5]].join('\r\n') + '\r\n', 'latin1'))
    const read = await readVacancies(spec(file, true), {})
    expect(read.invalid.map((i) => i.line)).toEqual([5, 8])
    expect(await collect(read)).toEqual(refs)
  })

  it('a file that gained a repeated record between the check and the publish is refused', async () => {
    const {file} = feed('gains-repeat.idx', 6)
    const read = await readVacancies(spec(file, false), {})
    const all = lines(file)
    writeFileSync(file, Buffer.from([...all.slice(0, 3), all[0], ...all.slice(3)].join('\r\n') + '\r\n', 'latin1'))
    await expect(collect(read)).rejects.toMatchObject({code: 'INPUT_CHANGED'})
  })
})

describe('the JSON document stream', () => {
  const collect = () => {
    const out = new PassThrough()
    let text = ''
    out.on('data', (c) => (text += c))
    return {out, text: () => text}
  }

  it('head, items and tail make one document; each item is scrubbed on its own', async () => {
    const sink = collect()
    const stream = new JsonDocumentStream({source: 'idx'}, 'items', (t) => t.replaceAll('SECRET', '…cret'), sink.out)
    for (let i = 0; i < 3; i++) await stream.item({n: i, note: 'SECRET'})
    await stream.end({summary: {n: 3}})
    expect(JSON.parse(sink.text())).toEqual({source: 'idx', items: [0, 1, 2].map((n) => ({n, note: '…cret'})), summary: {n: 3}})
    expect(stream.isOpen).toBe(false)
  })

  it('a member whose value is undefined is left out, as JSON.stringify leaves it out', async () => {
    const sink = collect()
    const stream = new JsonDocumentStream({source: 'idx', dryRun: undefined}, 'items', (t) => t, sink.out)
    await stream.item({n: 1})
    await stream.end({details: undefined, summary: {n: 1}})
    expect(JSON.parse(sink.text())).toEqual({source: 'idx', items: [{n: 1}], summary: {n: 1}})
  })

  it('no items, or a failure midway: still one document', async () => {
    const empty = collect()
    await new JsonDocumentStream({source: 'idx'}, 'items', (t) => t, empty.out).end({summary: {}})
    expect(JSON.parse(empty.text())).toEqual({source: 'idx', items: [], summary: {}})
    const failing = collect()
    const stream = new JsonDocumentStream({source: 'idx'}, 'items', (t) => t, failing.out)
    await stream.item({n: 1})
    expect(stream.isOpen).toBe(true)
    stream.fail({code: 'X', message: 'm'})
    expect(JSON.parse(failing.text())).toEqual({source: 'idx', items: [{n: 1}], error: {code: 'X', message: 'm'}})
  })
})
