/**
 * publish from all three sources against the sandbox, on the same units, and
 * the listing lifecycle: created, updated, unchanged (no write), withdrawn.
 */
import {copyFileSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {configVariant, getJson, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url)
let sb: TestSandbox
let csv: string
let idx: string
const VACANT = ['1.10001.1012', '1.10001.1013', '1.10001.1901', '1.10002.2002']

beforeAll(async () => {
  sb = await testSandbox()
  csv = join(sb.root, 'units.csv')
  idx = join(sb.root, 'units.idx')
  writeFileSync(csv, Buffer.from(await (await fetch(`${sb.immotop.baseUrl}/_sandbox/export/dta-mpexp.csv`)).arrayBuffer()))
  writeFileSync(idx, Buffer.from(await (await fetch(`${sb.immotop.baseUrl}/_sandbox/export/portal.idx`)).arrayBuffer()))
})
afterAll(() => sb.dispose())

const writes = async () => (await getJson(`${sb.melon.baseUrl}/_sandbox/writes`)).writes as Array<{method: string; path: string}>
const listings = async () => (await getJson(`${sb.melon.baseUrl}/api/partner/v1/objects?page_size=100`, {headers: {authorization: `Token ${sb.melon.token}`}})).results as any[]
const publish = (args: string[], config = sb.configPath) => runCli(['publish', ...args, '--json', '--config', config])
const byRef = (report: any) => Object.fromEntries(report.items.map((i: any) => [i.reference, i.action]))

describe('three sources, the same units', () => {
  it('the sandbox exports are real dta-mpexp (ISO-8859-1, CRLF) and IDX 3.01 (CRLF, mixed encodings)', () => {
    const csvBytes = readFileSync(csv)
    expect(csvBytes.includes(Buffer.from('Löwen', 'utf8'))).toBe(false)
    expect(csvBytes.includes(Buffer.from('Wohnüberbauung', 'latin1'))).toBe(true)
    expect(csvBytes.includes(Buffer.from('\r\n'))).toBe(true)
    const idxLines = readFileSync(idx).toString('latin1').split('\r\n').filter(Boolean)
    expect(idxLines).toHaveLength(4)
    for (const l of idxLines) expect(l.split('#')).toHaveLength(184)
  })

  it('--from-csv publishes the vacant units with rent on request, and lists the let ones as skipped', async () => {
    const result = await publish(['--from-csv', csv])
    expect(result.code).toBe(0)
    const report = json(result)
    expect(report.source).toBe('dta-mpexp')
    expect(report.summary).toEqual({created: 4, updated: 0, unchanged: 0, failed: 0, skipped: 4, withdrawn: 0})
    for (const ref of VACANT) expect(byRef(report)[ref]).toBe('created')
    const l1013 = report.items.find((i: any) => i.reference === '1.10001.1013').listing
    expect(l1013).toMatchObject({availability: 'from_date', rentalgross: null, rooms: 2.5, floor: 'Dachgeschoss', managed_by: 'melon-immotop:dta-mpexp'})
    expect(l1013.building).toMatchObject({building_title: 'Wohnüberbauung Sonnenhof', city: 'Thalwil', land_code: 'CH'})
  })

  it('--from-idx updates the same four listings (rent now known), never duplicating them', async () => {
    const report = json(await publish(['--from-idx', idx]))
    expect(report.source).toBe('idx')
    expect(report.summary).toMatchObject({created: 0, updated: 4, failed: 0})
    expect(report.items.find((i: any) => i.reference === '1.10001.1012').listing).toMatchObject({rentalgross: 2730, rentalgross_net: 2450, incidentals: 280, managed_by: 'melon-immotop:idx'})
    expect(report.items.find((i: any) => i.reference === '1.10001.1012').listing.description).toBe('4.5-Zimmerwohnung 2. OG rechts\nSchöne Lage, nahe öffentlicher Verkehr.\n- Waschturm\n- Keller')
    expect((await listings()).map((l) => l.reference_number).sort()).toEqual(VACANT)
  })

  it('--all from the REST views updates them again; a second --all is unchanged and writes nothing', async () => {
    const first = json(await publish(['--all']))
    expect(first.source).toBe('rest')
    expect(first.summary).toMatchObject({updated: 4, failed: 0, skipped: 4})
    const before = (await writes()).length
    const second = json(await publish(['--all']))
    expect(second.summary).toMatchObject({created: 0, updated: 0, unchanged: 4, failed: 0})
    expect(await writes()).toHaveLength(before)
  })

  it('names records of a file; an unknown one is an error naming the file', async () => {
    const named = json(await publish(['--from-idx', idx, '1.10001.1901']))
    expect(named.items.map((i: any) => i.reference)).toEqual(['1.10001.1901'])
    const unknown = await publish(['--from-idx', idx, '9.9.9'])
    expect(unknown.code).toBe(3)
    expect(json(unknown).error.message).toBe(`${idx} has no record with reference 9.9.9.`)
  })
})

describe('bad input files', () => {
  it('a malformed record stops everything, naming file, line and field; --skip-invalid publishes the rest and lists it', async () => {
    const lines = readFileSync(idx).toString('latin1').split('\r\n').filter(Boolean)
    const fields = lines[1]!.split('#')
    fields[19] = 'zweitausend' // rent_net, field 20
    const broken = join(sb.root, 'broken.idx')
    writeFileSync(broken, Buffer.from([lines[0], fields.join('#'), lines[2]].join('\r\n'), 'latin1'))
    const before = (await writes()).length
    const result = await publish(['--from-idx', broken])
    expect(result.code).toBe(65)
    expect(json(result).error.message).toBe(`${broken}:2: rent_net (field 20) "zweitausend" is not a number. Nothing was published.`)
    expect(json(result).error.fix).toContain('--skip-invalid')
    expect(await writes()).toHaveLength(before)

    const skipping = json(await publish(['--from-idx', broken, '--skip-invalid']))
    expect(skipping.summary.failed).toBe(0)
    expect(skipping.items.find((i: any) => i.action === 'skipped' && i.line === 2).reason).toContain(':2: rent_net (field 20)')
  })

  it('a file with no records, and a file that does not exist', async () => {
    const empty = join(sb.root, 'empty.idx')
    writeFileSync(empty, '')
    const r1 = await publish(['--from-idx', empty])
    expect(r1.code).toBe(65)
    expect(json(r1).error.message).toContain('the file holds no IDX 3.01 record')
    const r2 = await publish(['--from-csv', join(sb.root, 'nope.csv')])
    expect(r2.code).toBe(2)
    expect(json(r2).error.message).toContain('nope.csv (no such file)')
  })
})

describe('the real fixture files', () => {
  it('visol-sample.idx: two RENT records published, four SALE records skipped with a note', async () => {
    const file = join(sb.root, 'visol.idx')
    copyFileSync(new URL('idx/visol-sample.idx', FIXTURES), file)
    const report = json(await publish(['--from-idx', file]))
    expect(byRef(report)).toEqual({
      '41jkr.TLcWD.9VoHE': 'skipped',
      'j1mlJ.lHv2P.9Fw7c': 'skipped',
      'I4KtP.lveoi.Apdft': 'skipped',
      'hShZ4.zQDgp.QF0C3': 'skipped',
      '134.13401.134011402': 'created',
      '134.13470.134700024': 'created',
    })
    expect(report.items.filter((i: any) => i.action === 'skipped').every((i: any) => /SALE record/.test(i.reason))).toBe(true)
  })

  it('realforce-property-idxv3.idx: the SALE record only with --include-sale', async () => {
    const file = join(sb.root, 'realforce.idx')
    copyFileSync(new URL('idx/realforce-property-idxv3.idx', FIXTURES), file)
    expect(json(await publish(['--from-idx', file])).summary).toMatchObject({created: 0, skipped: 1})
    const sale = json(await publish(['--from-idx', file, '--include-sale']))
    expect(sale.items[0]).toMatchObject({reference: '..826588', action: 'created', listing: {price_unit: 'once', rentalgross: 1290000}})
  })

  it('dta-mpexp.csv: every unit let, so nothing is published and the run succeeds', async () => {
    const file = join(sb.root, 'wwimmo.csv')
    copyFileSync(new URL('wwimmo/dta-mpexp.csv', FIXTURES), file)
    const result = await publish(['--from-csv', file])
    expect(result.code).toBe(0)
    expect(json(result).summary).toEqual({created: 0, updated: 0, unchanged: 0, failed: 0, skipped: 5, withdrawn: 0})
  })
})

describe('withdrawing', () => {
  it('--all --prune withdraws only this source\'s listings whose unit is no longer vacant, never others', async () => {
    // Someone else's listing, and one this tool made from another source.
    const put = (ref: string, managedBy: string | null) =>
      fetch(`${sb.melon.baseUrl}/api/partner/v1/objects/${ref}`, {
        method: 'PUT',
        headers: {authorization: `Token ${sb.melon.token}`, 'content-type': 'application/json'},
        body: JSON.stringify({...listingsTemplate, reference_number: ref, managed_by: managedBy}),
      })
    const template = (await listings()).find((l) => l.reference_number === '1.10001.1012')
    const {num_applications: _n, created_at: _c, updated_at: _u, ...listingsTemplate} = template
    expect((await put('8.8.8', null)).status).toBe(201)
    expect((await put('7.7.7', 'melon-immotop:rest')).status).toBe(201)
    // The IDX source no longer has 1.10001.1901.
    const lines = readFileSync(idx).toString('latin1').split('\r\n').filter(Boolean)
    const smaller = join(sb.root, 'smaller.idx')
    writeFileSync(smaller, Buffer.from(lines.filter((l) => !l.includes('#1901#')).join('\r\n'), 'latin1'))
    await publish(['--from-idx', idx]) // the IDX source owns the four units now

    // Stale: every listing from the IDX source that the smaller feed no longer has, which includes
    // the fixture records published above, but not 8.8.8 (foreign) nor 7.7.7 (REST source).
    const stale = ['1.10001.1901', '134.13401.134011402', '134.13470.134700024', '..826588']
    const noTty = await publish(['--from-idx', smaller, '--all', '--prune'])
    expect(noTty.code).toBe(2)
    expect(json(noTty).error.message).toMatch(/^--prune would withdraw 4 listing\(s\) \(.*1\.10001\.1901.*\), and there is no terminal to ask\.$/)

    const dry = json(await publish(['--from-idx', smaller, '--all', '--prune', '--dry-run']))
    expect(dry.items.filter((i: any) => i.action === 'would-withdraw').map((i: any) => i.reference).sort()).toEqual([...stale].sort())

    const result = await publish(['--from-idx', smaller, '--all', '--prune', '--yes'])
    expect(result.code).toBe(0)
    expect(json(result).summary.withdrawn).toBe(4)
    const refs = (await listings()).map((l) => l.reference_number)
    expect(refs).not.toContain('1.10001.1901')
    expect(refs).toContain('8.8.8')
    expect(refs).toContain('7.7.7')
  })

  it('unpublish withdraws one listing; refuses one the tool did not create unless --force; unknown is 3', async () => {
    const deletesBefore = (await writes()).filter((w) => w.method === 'DELETE').length
    const ok = await runCli(['unpublish', '1.10002.2002', '--json', '--config', sb.configPath])
    expect(ok.code).toBe(0)
    expect(json(ok)).toEqual({reference: '1.10002.2002', action: 'withdrawn'})
    const foreign = await runCli(['unpublish', '8.8.8', '--config', sb.configPath])
    expect(foreign.code).toBe(5)
    expect(foreign.stderr).toContain('was not created by melon-immotop')
    expect((await runCli(['unpublish', '8.8.8', '--force', '--config', sb.configPath])).code).toBe(0)
    const unknown = await runCli(['unpublish', '9.9.9', '--config', sb.configPath])
    expect(unknown.code).toBe(3)
    expect((await writes()).filter((w) => w.method === 'DELETE')).toHaveLength(deletesBefore + 2)
  })

  it('publish --all uses the configured source (publish.source and publish.file)', async () => {
    const config = configVariant(sb, 'idx-source', (c) => (c.publish = {source: 'idx', file: idx}))
    const report = json(await publish(['--all'], config))
    expect(report.source).toBe('idx')
    expect(report.items.map((i: any) => i.reference).sort()).toEqual(VACANT)
  })
})
