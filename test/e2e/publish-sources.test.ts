/**
 * publish from all three sources against the sandbox, on the same units, and
 * the listing lifecycle: created, updated, unchanged (no write), withdrawn.
 */
import {execFileSync} from 'node:child_process'
import {copyFileSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {configVariant, getJson, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url)
let sb: TestSandbox
let csv: string
let csv1: string
let idx: string
/** Vacant and active in Immotop 2, over both letting mandants (1 and 2); 1.10001.1016 is valid from a later day. */
const VACANT = ['1.10001.1012', '1.10001.1013', '1.10001.1016', '1.10001.1901', '1.10002.2002', '2.20001.1']
/** What mandant 1's dta-mpexp extract shows vacant (it has no Objekt validity; the export holds active units only). */
const VACANT_1 = ['1.10001.1012', '1.10001.1013', '1.10001.1901', '1.10002.2002']

beforeAll(async () => {
  sb = await testSandbox()
  csv = join(sb.root, 'units.csv')
  csv1 = join(sb.root, 'units-mandant-1.csv')
  idx = join(sb.root, 'units.idx')
  const csvBytes = Buffer.from(await (await fetch(`${sb.immotop.baseUrl}/_sandbox/export/dta-mpexp.csv`)).arrayBuffer())
  writeFileSync(csv, csvBytes)
  // dta-mpexp carries no mandant number: an extract per mandant, as an operator would use with --mandant.
  writeFileSync(csv1, Buffer.from(csvBytes.toString('latin1').split('\r\n').filter((l) => !l.includes(';20001;')).join('\r\n'), 'latin1'))
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
    expect(idxLines).toHaveLength(VACANT.length)
    for (const l of idxLines) expect(l.split('#')).toHaveLength(184)
    // The sandbox's config points immotop.detailsFile at the same export.
    expect(readFileSync(join(sb.exportsDir, 'portal.idx'))).toEqual(readFileSync(idx))
  })

  it('--from-csv needs the mandant when several are configured: the export has no mandant number', async () => {
    const result = await publish(['--from-csv', csv])
    expect(result.code).toBe(2)
    expect(json(result).error.message).toBe(`${csv}: a dta-mpexp export carries no mandant number, and immotop.mandant names more than one.`)
    expect(json(result).error.fix).toContain('--mandant')
  })

  it('--from-csv --mandant 1 publishes the vacant units with rent on request, and lists the let ones as skipped', async () => {
    const result = await publish(['--from-csv', csv1, '--mandant', '1'])
    expect(result.code).toBe(0)
    const report = json(result)
    expect(report.source).toBe('dta-mpexp')
    expect(report.summary).toEqual({created: 4, updated: 0, unchanged: 0, failed: 0, skipped: 4, withdrawn: 0, dryRun: 0, wouldWithdraw: 0})
    for (const ref of VACANT_1) expect(byRef(report)[ref]).toBe('created')
    const l1013 = report.items.find((i: any) => i.reference === '1.10001.1013').listing
    expect(l1013).toMatchObject({availability: 'from_date', rentalgross: null, rooms: 2.5, floor: 'Dachgeschoss', managed_by: 'melon-immotop:dta-mpexp'})
    expect(l1013.building).toMatchObject({building_title: 'Wohnüberbauung Sonnenhof', city: 'Thalwil', land_code: 'CH'})
  })

  it('--from-idx updates the same four listings (rent now known) and adds the other two, never duplicating them', async () => {
    const report = json(await publish(['--from-idx', idx]))
    expect(report.source).toBe('idx')
    expect(report.summary).toMatchObject({created: 2, updated: 4, failed: 0})
    expect(report.items.find((i: any) => i.reference === '1.10001.1012').listing).toMatchObject({rentalgross: 2730, rentalgross_net: 2450, incidentals: 280, managed_by: 'melon-immotop:idx:sandbox'})
    expect(report.items.find((i: any) => i.reference === '1.10001.1012').listing.description).toBe('4.5-Zimmerwohnung 2. OG rechts\nSchöne Lage, nahe öffentlicher Verkehr.\n- Waschturm\n- Keller')
    expect((await listings()).map((l) => l.reference_number).sort()).toEqual(VACANT)
  })

  it('--all from the REST views of every letting mandant, with the details file: updates them again; a second --all is unchanged and writes nothing', async () => {
    const first = json(await publish(['--all']))
    expect(first.source).toBe('rest')
    expect(first.mandants).toEqual([1, 2])
    // Skipped: 5 let units and the deactivated 1.10001.1015; the Stockwerk mandant 3 is not read at all.
    expect(first.summary).toMatchObject({updated: 6, failed: 0, skipped: 6})
    expect(first.items.find((i: any) => i.reference === '1.10001.1015')).toMatchObject({action: 'skipped', reason: expect.stringContaining('deactivated')})
    expect(first.items.some((i: any) => i.reference.startsWith('3.'))).toBe(false)
    expect(first.details).toBeNull()
    const l1016 = first.items.find((i: any) => i.reference === '1.10001.1016').listing
    expect(l1016).toMatchObject({availability: 'from_date', rooms: 4.5, rentalgross: 2980, object_type: {key: 'flat'}, managed_by: 'melon-immotop:rest'})
    // Contact from the manager (mitarbeiter_seqnr): festnetz, else mobile.
    expect(first.items.find((i: any) => i.reference === '1.10001.1012').listing.contact_person).toEqual({first_name: 'Sandra', surname: 'Brunner', email: 'sandra.brunner@muster-immo.ch', phone: '+41 44 720 11 22'})
    expect(first.items.find((i: any) => i.reference === '2.20001.1').listing.contact_person).toEqual({first_name: 'Nadia', surname: 'Frei', email: 'nadia.frei@pk-seeblick.ch', phone: '+41 78 600 90 90'})
    const before = (await writes()).length
    const second = json(await publish(['--all']))
    expect(second.summary).toMatchObject({created: 0, updated: 0, unchanged: 6, failed: 0})
    expect(await writes()).toHaveLength(before)
  })

  it('REST without a details file publishes what REST knows, and the summary names what is missing and the key that adds it', async () => {
    const bare = configVariant(sb, 'no-details', (c) => delete c.immotop.detailsFile)
    const report = json(await publish(['--all', '--dry-run'], bare))
    expect(report.details).toEqual({units: VACANT, fields: ['object_type', 'rooms', 'area', 'floor', 'rent'], fix: expect.stringContaining('immotop.detailsFile'), ambiguous: []})
    const listing = report.items.find((i: any) => i.reference === '1.10001.1012').listing
    expect(listing).toMatchObject({title: '4.5-Zimmerwohnung 2. OG rechts', object_type: null, rooms: null, area: null, availability: 'immediately', building: {city: 'Thalwil'}, contact_person: {surname: 'Brunner'}})
    const human = await runCli(['publish', '--all', '--dry-run', '--config', bare])
    expect(human.stdout).toContain('6 unit(s) published without object_type, rooms, area, floor, rent: Immotop 2\'s REST views carry none of these.')
    expect(human.stdout).toContain('Set immotop.detailsFile (or pass --details)')
    // A dry run counts what it would send, and says that nothing was sent.
    expect(report.dryRun).toBe(true)
    expect(report.summary).toMatchObject({created: 0, updated: 0, dryRun: VACANT.length})
    expect(human.stdout).toContain(`dry run, nothing sent: ${VACANT.length} would be sent, 0 failed, `)
    expect(human.stdout).not.toMatch(/\d+ created/)
  })

  it('a details record for a unit REST does not find vacant never publishes it; dta-mpexp details give all but rent', async () => {
    // A portal feed that also (wrongly) lists the let unit 1.10001.1011.
    const lines = readFileSync(idx).toString('latin1').split('\r\n').filter(Boolean)
    const let1011 = lines.find((l) => l.includes('#1012#'))!.replace('#1012#', '#1011#')
    const withLet = join(sb.root, 'with-let.idx')
    writeFileSync(withLet, Buffer.from([...lines, let1011].join('\r\n'), 'latin1'))
    const report = json(await publish(['--all', '--dry-run', '--details', withLet]))
    expect(report.items.find((i: any) => i.reference === '1.10001.1011')).toMatchObject({action: 'skipped', reason: 'not vacant'})
    expect(report.items.filter((i: any) => i.action === 'dry-run').map((i: any) => i.reference).sort()).toEqual(VACANT)

    const dta = json(await publish(['--all', '--dry-run', '--details', csv]))
    expect(dta.items.find((i: any) => i.reference === '1.10001.1012').listing).toMatchObject({rooms: 4.5, area: 104.5, floor: '2. Obergeschoss', object_type: {key: 'flat'}})
    // dta-mpexp has no rent; and the future unit 1016 is not in that export.
    expect(dta.details.fields).toEqual(expect.arrayContaining(['rent']))
  })

  it('--mandant reads one mandant only, and prune never touches another mandant\'s listings', async () => {
    const report = json(await publish(['--all', '--mandant', '2', '--prune', '--dry-run']))
    expect(report.mandants).toEqual([2])
    expect(report.items.filter((i: any) => i.action === 'dry-run').map((i: any) => i.reference)).toEqual(['2.20001.1'])
    expect(report.items.filter((i: any) => i.action === 'would-withdraw')).toEqual([])
  })

  it('a REST read that shows no unit of a mandant, or units without their Liegenschaft, withdraws nothing (a REST user without rights is not "all units gone")', async () => {
    const {setFaults} = await import('../helpers/sandbox.js')
    expect((await publish(['--all'])).code).toBe(0)
    const ours = (await listings()).filter((l) => l.managed_by === 'melon-immotop:rest').map((l) => l.reference_number).sort()
    expect(ours.length).toBeGreaterThan(1)
    try {
      await setFaults(sb, 'emptyview=GetDmsObjekt')
      const blind = await publish(['--all', '--prune', '--yes'])
      expect(blind.code).toBe(1)
      const report = json(blind)
      expect(report.items.filter((i: any) => i.action === 'withdrawn' || i.action === 'would-withdraw')).toEqual([])
      const kept = report.items.filter((i: any) => i.error?.code === 'MANDANT_READ_EMPTY')
      expect(kept.map((i: any) => i.reference).sort()).toEqual(ours)
      expect(kept[0].error.message).toMatch(/^Immotop 2 answered GetDmsObjekt without any unit of mandant \d+; /)
      expect(kept[0].error.fix).toContain('immotop.user')

      await setFaults(sb, 'emptyview=GetDmsLiegenschaft')
      const orphans = json(await publish(['--all', '--prune', '--dry-run']))
      expect(orphans.items.filter((i: any) => i.action === 'would-withdraw')).toEqual([])
      const failed = orphans.items.filter((i: any) => i.action === 'failed')
      expect(failed.length).toBeGreaterThan(0)
      expect(failed[0].error).toMatchObject({code: 'UNIT_WITHOUT_LIEGENSCHAFT'})
    } finally {
      await setFaults(sb, '')
    }
    expect((await listings()).filter((l) => l.managed_by === 'melon-immotop:rest').map((l) => l.reference_number).sort()).toEqual(ours)
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

  it('an empty IDX file means "withdraw the feed": without --prune nothing changes; a file that does not exist', async () => {
    const empty = join(sb.root, 'empty.idx')
    writeFileSync(empty, '')
    const before = (await writes()).length
    const r1 = await publish(['--from-idx', empty])
    expect(r1.code).toBe(65)
    expect(json(r1).error).toMatchObject({code: 'EMPTY_FEED'})
    expect(json(r1).error.message).toBe(`${empty} holds no IDX 3.01 record. In IDX an empty file means "withdraw every listing of this feed"; nothing was changed.`)
    expect(await writes()).toHaveLength(before)
    const r2 = await publish(['--from-csv', join(sb.root, 'nope.csv'), '--mandant', '1'])
    expect(r2.code).toBe(2)
    expect(json(r2).error.message).toContain('nope.csv (no such file)')
    // A folder or a pipe is refused at once, for every kind of file: not an internal error, and no wait for a writer.
    const pipe = join(sb.root, 'export.fifo')
    execFileSync('mkfifo', [pipe])
    for (const flag of ['--from-csv', '--from-idx', '--details']) {
      for (const [path, what] of [[sb.root, 'a folder'], [pipe, 'not a regular file: an export is read twice, which a pipe cannot give']]) {
        const r3 = await publish([flag, path!, '--mandant', '1', ...(flag === '--details' ? ['--all'] : [])])
        expect(r3.code).toBe(2)
        expect(json(r3).error).toMatchObject({code: 'INPUT_UNREADABLE', message: `Cannot read ${path} (${what}).`})
      }
    }
  })

  it('a record key (agency_id and refs) twice in one feed is reported with both lines', async () => {
    const lines = readFileSync(idx).toString('latin1').split('\r\n').filter(Boolean)
    const twice = join(sb.root, 'twice.idx')
    writeFileSync(twice, Buffer.from([lines[0], lines[1], lines[0]].join('\r\n'), 'latin1'))
    const result = await publish(['--from-idx', twice, '--dry-run'])
    expect(result.code).toBe(65)
    expect(json(result).error.message).toBe(`${twice}:3: agency_id + ref_property.ref_house.ref_object repeats the record key of line 1; each unit appears once in a feed. Nothing was published.`)
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
    const result = await publish(['--from-csv', file, '--mandant', '1'])
    expect(result.code).toBe(0)
    expect(json(result).summary).toEqual({created: 0, updated: 0, unchanged: 0, failed: 0, skipped: 5, withdrawn: 0, dryRun: 0, wouldWithdraw: 0})
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
    await publish(['--from-idx', idx]) // the sandbox's IDX feed (agency "sandbox") owns the six units now

    // Stale: only this feed's listings that the smaller feed no longer has. Not the fixture records
    // published above (agencies "sulzer" and "7w42w_cfpimmo": other feeds), nor 8.8.8 (foreign) nor 7.7.7 (REST).
    const noTty = await publish(['--from-idx', smaller, '--all', '--prune'])
    expect(noTty.code).toBe(2)
    expect(json(noTty).error.message).toBe('--prune would withdraw 1 listing(s) (1.10001.1901), and there is no terminal to ask.')

    const dry = json(await publish(['--from-idx', smaller, '--all', '--prune', '--dry-run']))
    expect(dry.items.filter((i: any) => i.action === 'would-withdraw').map((i: any) => i.reference)).toEqual(['1.10001.1901'])
    expect(dry.summary).toMatchObject({withdrawn: 0, wouldWithdraw: 1})
    expect((await runCli(['publish', '--from-idx', smaller, '--all', '--prune', '--dry-run', '--config', sb.configPath])).stdout).toContain(', 1 would be withdrawn.')

    const result = await publish(['--from-idx', smaller, '--all', '--prune', '--yes'])
    expect(result.code).toBe(0)
    expect(json(result).summary.withdrawn).toBe(1)
    const refs = (await listings()).map((l) => l.reference_number)
    expect(refs).not.toContain('1.10001.1901')
    for (const kept of ['8.8.8', '7.7.7', '134.13401.134011402', '134.13470.134700024', '..826588']) expect(refs).toContain(kept)
  })

  it('an empty IDX file with --prune withdraws its feed; with several feeds it asks which (--agency), and withdraws only that one', async () => {
    const empty = join(sb.root, 'empty-feed.idx')
    writeFileSync(empty, '')
    const several = await publish(['--from-idx', empty, '--all', '--prune', '--yes'])
    expect(several.code).toBe(2)
    expect(json(several).error).toMatchObject({code: 'AGENCY_NEEDED'})
    expect(json(several).error.message).toMatch(/^The IDX file is empty and names no agency; listings of 3 IDX feeds exist \(agency .*sulzer.*\)\.$/)
    const sulzer = json(await publish(['--from-idx', empty, '--all', '--prune', '--yes', '--agency', 'sulzer']))
    expect(sulzer.items.filter((i: any) => i.action === 'withdrawn').map((i: any) => i.reference).sort()).toEqual(['134.13401.134011402', '134.13470.134700024'])
    const refs = (await listings()).map((l) => l.reference_number)
    expect(refs).toContain('..826588')
    expect(refs).toContain('1.10001.1012')
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
