/**
 * dta-mpexp read as a stream (readDtaRows, the two passes of readVacancies,
 * the details file) gives exactly what the whole-file reading gives: the same
 * rows, problems, line numbers, vacancies and order, also where a quoted
 * field spans lines across two reads of the file.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import iconv from 'iconv-lite'
import {afterAll, describe, expect, it} from 'vitest'
import {parseDtaMpexp, vacanciesFromDta} from '../../src/core/dta-mpexp.js'
import {DTA_MPEXP_HEADER} from '../../src/sandbox/exports.js'
import {readDetailsFile} from '../../src/services/publish/details-file.js'
import {readDtaRows, type DtaItem} from '../../src/services/publish/export-files.js'
import {readVacancies, type SourceSpec, type VacancyEntry} from '../../src/services/publish/sources.js'

const fixturePath = new URL('../../../shared/fixtures/wwimmo/dta-mpexp.csv', import.meta.url)
const TODAY = '2026-11-26'
const dir = mkdtempSync(join(tmpdir(), 'mi-dta-stream-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const row = (values: Record<string, string>) => DTA_MPEXP_HEADER.map((c) => values[c] ?? '').join(';')
const unitRow = (property: number, unit: number, extra: Record<string, string> = {}) =>
  row({
    property_id: String(property),
    property_name: 'Löwenweg 1',
    unit_adress_street_name: 'Löwenweg 1',
    unit_adress_postcode: '8157',
    unit_adress_city: 'Dielsdorf',
    unit_adress_country: '756',
    unit_id: String(unit),
    unit_name: `${unit % 5}-ZWG`,
    unit_type: `${(unit % 4) + 1}-Zimmerwohnung`,
    unit_square_meter: '80',
    unit_level: String(unit % 3),
    property_manager1_name: 'Hans Property',
    property_manager1_email: 'hp@immo.ch',
    ...extra,
  })

/**
 * About 3 MB (three reads of the file): 6,000 units over several rows each, in
 * no order of unit; let, vacant (ended or ending), invalid dates and unit
 * types; every 97th row with a quoted field of three lines; Latin-1 and UTF-8
 * lines; CRLF.
 */
function bigExport(): Buffer {
  const lines: Buffer[] = [Buffer.from(`\uFEFF${DTA_MPEXP_HEADER.join(';')}\r\n`, 'utf8')]
  let n = 0
  let size = lines[0]!.length
  let across = false
  for (let round = 0; round < 3; round++) {
    for (let u = 0; u < 6000; u++) {
      n++
      const unit = 1000 + ((u * 7919) % 6000)
      const periods: Record<string, string> =
        round === 0 ? {utilisation_period_start: '01.01.2001', utilisation_period_end: '31.12.2005'}
        : round === 1 ? (unit % 3 === 0 ? {utilisation_period_start: '01.01.2006'} : {utilisation_period_start: '01.01.2006', utilisation_period_end: unit % 3 === 1 ? '31.12.2015' : '31.01.2027'})
        : unit % 11 === 0 ? {utilisation_period_start: '31.02.2030'} : {}
      const extra: Record<string, string> = {...periods}
      if (n % 97 === 0) extra.property_name = `"Haus ${n}\r\nHinterhaus; Nord\r\n""Seeblick"""`
      if (unit % 13 === 0) extra.unit_type = 'Bastelraum'
      const text = unitRow(10000 + (unit % 7), unit, extra) + '\r\n'
      lines.push(n % 2 === 0 ? iconv.encode(text, 'latin1') : Buffer.from(text, 'utf8'))
      size += lines.at(-1)!.length
      // One quoted field whose lines lie on both sides of the first read's end (1 MiB).
      if (!across && size > (1 << 20) - 600) {
        across = true
        // Its first line ends 10 bytes before 1 MiB: the first read ends inside its second line.
        const prefix = Buffer.from(unitRow(10007, 9999, {property_name: '"'}), 'utf8').indexOf('"') + 1
        const first = 'V'.repeat((1 << 20) - 10 - size - prefix)
        const spanning = Buffer.from(`${unitRow(10007, 9999, {property_name: `"${first}\r\n${'Hinterhaus '.repeat(8)}\r\nEnde"`})}\r\n`, 'utf8')
        expect(size + spanning.indexOf('\n')).toBeLessThan(1 << 20)
        expect(size + spanning.indexOf('\n', spanning.indexOf('\n') + 1)).toBeGreaterThan(1 << 20)
        lines.push(spanning)
        size += spanning.length
      }
    }
  }
  return Buffer.concat(lines)
}

async function streamed(path: string): Promise<DtaItem[]> {
  const items: DtaItem[] = []
  for await (const item of readDtaRows(path)) items.push(item)
  return items
}

const asItems = (bytes: Buffer): DtaItem[] => {
  const parsed = parseDtaMpexp(bytes)
  if (parsed.problems[0]?.message.startsWith('is not valid CSV')) return [{broken: parsed.problems[0]}]
  return [...parsed.rows.map((r) => ({row: r})), ...parsed.problems.map((p) => ({problem: p}))].sort((a, b) => ('row' in a ? a.row.line : a.problem.line) - ('row' in b ? b.row.line : b.problem.line))
}

function spec(file: string, extra: Partial<SourceSpec> = {}): SourceSpec {
  return {kind: 'dta-mpexp', file, refs: [], includeSale: false, skipInvalid: true, mandants: [1], mandantTypes: [], defaultMandant: 1, prune: false, today: TODAY, ...extra}
}

async function drain(stream: AsyncIterable<VacancyEntry>): Promise<VacancyEntry[]> {
  const out: VacancyEntry[] = []
  for await (const entry of stream) out.push(entry)
  return out
}

describe('readDtaRows: the rows of a file as a stream, as the whole-file reading has them', () => {
  const big = bigExport()
  const bigPath = join(dir, 'big.csv')
  writeFileSync(bigPath, big)

  it("W&W's sample", async () => {
    expect(await streamed(fixturePath.pathname)).toEqual(asItems(readFileSync(fixturePath)))
  })

  it('a 3 MB export whose quoted fields span lines across reads: every row, problem and line number the same', async () => {
    expect(big.length).toBeGreaterThan(3 * (1 << 20) - 300_000)
    const items = await streamed(bigPath)
    expect(items.filter((i) => 'row' in i)).toHaveLength(18_001)
    expect(items.find((i) => 'row' in i && i.row.values.unit_id === '9999')).toMatchObject({row: {values: {property_name: expect.stringMatching(/^V+\n/)}}})
    expect(items.find((i) => 'row' in i && i.row.values.unit_id === '9999')).toMatchObject({row: {values: {property_name: expect.stringContaining(`\n${'Hinterhaus '.repeat(8)}\nEnde`)}}})
    expect(items.some((i) => 'row' in i && i.row.values.property_name!.includes('\nHinterhaus; Nord\n"Seeblick"'))).toBe(true)
    expect(items).toEqual(asItems(big))
  })

  it('an unclosed quote refuses the file, as the whole-file reading does; so does a header without the needed columns', async () => {
    const broken = Buffer.concat([big.subarray(0, 1_500_000), Buffer.from(`\r\n${unitRow(1, 1, {property_name: '"ohne Ende'})}\r\n${unitRow(1, 2)}\r\n`)])
    writeFileSync(join(dir, 'broken.csv'), broken)
    const items = await streamed(join(dir, 'broken.csv'))
    expect(items.at(-1)).toEqual(asItems(broken)[0])
    expect(items.filter((i) => 'broken' in i)).toHaveLength(1)
    writeFileSync(join(dir, 'header.csv'), 'a;b;c\r\n1;2;3\r\n')
    expect(await streamed(join(dir, 'header.csv'))).toEqual([{problem: parseDtaMpexp(Buffer.from('a;b;c\r\n1;2;3\r\n')).problems[0]}])
    writeFileSync(join(dir, 'empty.csv'), '')
    expect(await streamed(join(dir, 'empty.csv'))).toEqual([{problem: {line: 1, message: 'the file is empty'}}])
  })

  it('publish reads it in two passes: the same vacancies in the same order, skipped units and problems as the whole-file reading', async () => {
    const whole = parseDtaMpexp(big)
    const outcomes = vacanciesFromDta(whole.rows, {mandant: 1, today: TODAY})
    const result = await readVacancies(spec(bigPath), {})
    const vacancies = await drain(result.stream!())
    const expected = outcomes.flatMap((o) => (o.kind === 'vacancy' ? [{reference: o.reference, vacancy: o.vacancy, line: o.line}] : []))
    expect(expected.length).toBeGreaterThan(1000)
    expect(vacancies).toEqual(expected)
    expect(result.vacantRefs).toEqual(expected.map((e) => e.reference))
    expect(result.skipped.map((s) => [s.reference, s.line])).toEqual(outcomes.flatMap((o) => (o.kind === 'let' ? [[o.reference, o.line]] : [])))
    expect(result.invalid.map((i) => i.line)).toEqual([...whole.problems, ...outcomes.flatMap((o) => (o.kind === 'invalid' ? [o.problem] : []))].map((p) => p.line))
    expect(result.invalid.length).toBeGreaterThan(500)
  })

  it('named units: only they, in file order', async () => {
    const all = (await readVacancies(spec(bigPath), {})).vacantRefs!
    const named = [all[40]!, all[3]!]
    const result = await readVacancies(spec(bigPath, {refs: named}), {})
    expect((await drain(result.stream!())).map((v) => v.reference)).toEqual([all[3], all[40]])
  })

  it('a file changed between the passes is refused before the first vacancy that differs', async () => {
    const path = join(dir, 'changing.csv')
    writeFileSync(path, big)
    const result = await readVacancies(spec(path), {})
    const stream = result.stream!()[Symbol.asyncIterator]()
    // Another export lands in place: its rows sit on other lines.
    writeFileSync(path, Buffer.concat([Buffer.from(`${DTA_MPEXP_HEADER.join(';')}\r\n${unitRow(1, 1)}\r\n`), big.subarray(big.indexOf('\n') + 1)]))
    await expect(stream.next()).rejects.toMatchObject({code: 'INPUT_CHANGED'})
  })

  it('a details file is read as a stream too: the same details per unit, and the same problems', async () => {
    const index = await readDetailsFile(bigPath)
    const whole = parseDtaMpexp(big)
    expect(index.format).toBe('dta-mpexp')
    const keys = new Set(whole.rows.map((r) => `${r.values.property_id}.${r.values.unit_id}`))
    expect(index.byUnitKey.size + new Set(index.problems.filter((p) => p.field === 'unit_type').map((p) => p.line)).size).toBe(keys.size)
    expect(index.byUnitKey.get('10006.1000')).toMatchObject({category: 'apartment', rooms: 1, areaM2: 80})
    const idx = await readDetailsFile(new URL('../../../shared/fixtures/idx/visol-sample.idx', import.meta.url).pathname)
    expect(idx.format).toBe('idx')
    expect(idx.byReference.size).toBeGreaterThan(0)
  })
})
