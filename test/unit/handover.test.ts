import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {build} from 'esbuild'
import {describe, expect, it} from 'vitest'
import {buildControlFile, parseControlFile} from '../../src/core/control-file.js'
import {controlFileName, dmsDocumentId, documentOrder, dossierHash, handoverFileName, handoverId, operationKey, speakingNames} from '../../src/core/handover.js'
import {MAX_PERSONS, tenantRecordFrom} from '../../src/core/tenant-record.js'
import type {Person, Tenant} from '../../src/wire/melon-wire.js'
import {ConflictError, IntegrityError} from '../../src/errors.js'

const docs = [
  {id: 'D-1', sha256: 'a'.repeat(64)},
  {id: 'D-2', sha256: 'b'.repeat(64)},
]

describe('handover identity', () => {
  it('derives the same operation key whatever the document order', () => {
    expect(operationKey('acme', 'T-1', docs)).toBe(operationKey('acme', 'T-1', [...docs].reverse()))
  })
  it('changes the key when a document, the tenant or the project changes', () => {
    const base = operationKey('acme', 'T-1', docs)
    expect(operationKey('acme', 'T-1', [docs[0]!, {id: 'D-2', sha256: 'c'.repeat(64)}])).not.toBe(base)
    expect(operationKey('acme', 'T-2', docs)).not.toBe(base)
    expect(operationKey('other', 'T-1', docs)).not.toBe(base)
    expect(dossierHash(docs)).toMatch(/^[0-9a-f]{64}$/)
  })
  it('derives the same key under every locale, the one earlier versions made under Swiss and C locales', async () => {
    // Ids whose order differs between locales: Danish sorts "aa" last, Czech "ch" after "h", Lithuanian "y" with "i".
    const tricky = ['aa', 'ch', 'y1', 'Ab', 'a_1', 'a-b', 'a1x', 'DOC-1', 'doc_10', 'z9'].map((id, i) => ({id, sha256: String(i).repeat(64)}))
    // Made by the version before the collation was pinned, under LANG=C and LANG=de_CH.UTF-8 alike.
    const before = '9d5927ea42cec683751e0713895c722d2b74e2cdf64d3a5c8e4ab9f9a4d7eb72'
    expect(operationKey('acme', 'T-1', tricky)).toBe(before)
    // The real module, in processes whose default locale differs (LANG decides it for Node's ICU).
    const dir = mkdtempSync(join(tmpdir(), 'mi-locale-'))
    try {
      const module = join(dir, 'handover.mjs')
      await build({entryPoints: [join(import.meta.dirname, '../../src/core/handover.ts')], bundle: true, platform: 'node', format: 'esm', outfile: module, logLevel: 'silent'})
      const script = `const {operationKey} = await import(${JSON.stringify(pathToFileURL(module).href)}); console.log(Intl.Collator().resolvedOptions().locale, operationKey('acme', 'T-1', ${JSON.stringify(tricky)}))`
      for (const locale of ['C', 'de_CH.UTF-8', 'fr_CH.UTF-8', 'da_DK.UTF-8', 'cs_CZ.UTF-8', 'lt_LT.UTF-8']) {
        const [seen, key] = execFileSync(process.execPath, ['--input-type=module', '-e', script], {env: {...process.env, LANG: locale, LC_ALL: locale}, encoding: 'utf8'}).trim().split(' ')
        expect({locale, key}).toEqual({locale, key: before})
        if (process.platform !== 'win32' && locale.startsWith('da')) expect(seen).toBe('da-DK')
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
  it('orders the documents as its own: the dossier PDF first, then by id, whatever order melon lists them in', () => {
    const listed = [
      {id: 'b2', kind: 'id_copy' as const, sha256: '1'.repeat(64)},
      {id: 'A1', kind: 'reference' as const, sha256: '2'.repeat(64)},
      {id: 'z9', kind: 'dossier' as const, sha256: '3'.repeat(64)},
      {id: 'a3', kind: 'other' as const, sha256: '4'.repeat(64)},
    ]
    const ids = (docs: typeof listed) => docs.map((d) => d.id)
    expect(ids(documentOrder(listed))).toEqual(['z9', 'A1', 'a3', 'b2'])
    expect(ids(documentOrder([...listed].reverse()))).toEqual(['z9', 'A1', 'a3', 'b2'])
    // A handover claimed before keeps its recorded positions (matched by kind and content, not by id).
    const recorded = [
      {fileName: 'mi-T-1-abc_04_dossier.pdf', kind: 'dossier', sha256: '3'.repeat(64)},
      {fileName: 'mi-T-1-abc_01_id_copy.pdf', kind: 'id_copy', sha256: '1'.repeat(64)},
      {fileName: 'mi-T-1-abc_03_reference.pdf', kind: 'reference', sha256: '2'.repeat(64)},
      {fileName: 'mi-T-1-abc_02_other.pdf', kind: 'other', sha256: '4'.repeat(64)},
      {fileName: 'mi-T-1-abc_00_tenant_record.json', kind: 'tenant_record', sha256: '5'.repeat(64)},
    ]
    expect(ids(documentOrder(listed, recorded, 'mi-T-1-abc'))).toEqual(['b2', 'a3', 'A1', 'z9'])
    // A record that does not fit (another handover's names, a position missing or twice) is not used.
    expect(ids(documentOrder(listed, recorded, 'mi-T-1-other'))).toEqual(['z9', 'A1', 'a3', 'b2'])
    expect(ids(documentOrder(listed, recorded.slice(1), 'mi-T-1-abc'))).toEqual(['z9', 'A1', 'a3', 'b2'])
    const twice = recorded.map((r) => (r.kind === 'other' ? {...r, fileName: 'mi-T-1-abc_01_other.pdf'} : r))
    expect(ids(documentOrder(listed, twice, 'mi-T-1-abc'))).toEqual(['z9', 'A1', 'a3', 'b2'])
  })
  it('names files without personal data, and control files by suffix only', () => {
    const id = handoverId('T-1001', 'abcdef0123456789')
    expect(id).toBe('mi-T-1001-abcdef012345')
    expect(handoverFileName(id, 2, 'id_copy', 'application/pdf')).toBe('mi-T-1001-abcdef012345_02_id_copy.pdf')
    expect(handoverFileName(id, 0, 'tenant_record', 'application/json; charset=utf-8')).toBe('mi-T-1001-abcdef012345_00_tenant_record.json')
    expect(handoverFileName(id, 3, 'other', 'application/x-unknown')).toBe('mi-T-1001-abcdef012345_03_other.bin')
    expect(controlFileName('mi-T-1_01_dossier.pdf')).toBe('mi-T-1_01_dossier.xml_it2')
    expect(controlFileName('noext')).toBe('noext.xml_it2')
  })
  it('gives each file a stable DmsDocumentId and a speaking DateiName without personal data', () => {
    expect(dmsDocumentId('mi-T-1001-abcdef012345', 3)).toBe('mi-T-1001-abcdef012345-03')
    expect(
      speakingNames([
        {kind: 'dossier', contentType: 'application/pdf'},
        {kind: 'debt_enforcement_extract', contentType: 'application/pdf'},
        {kind: 'reference', contentType: 'application/pdf'},
        {kind: 'reference', contentType: 'image/jpeg'},
        {kind: 'other', contentType: 'application/x-unknown'},
        {kind: 'tenant_record', contentType: 'application/json'},
      ]),
    ).toEqual(['Bewerbungsdossier.pdf', 'Betreibungsregisterauszug.pdf', 'Referenz.pdf', 'Referenz-2.jpg', 'Dokument.bin', 'Mieterdaten.json'])
  })
})

describe('control file (.xml_it2)', () => {
  it('parses W&W\'s published example', () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?>
<ControlFile>
<Action>SavedDocument</Action>
<DmsArchivId>Archiv1</DmsArchivId>
<DmsDocumentId>1234</DmsDocumentId>
<DocumentId>117</DocumentId>
<DateiName>qrcode.bmp</DateiName>
</ControlFile>`
    expect(parseControlFile(xml, 'x.xml_it2')).toEqual({
      version: '1.0',
      action: 'SavedDocument',
      dmsArchivId: 'Archiv1',
      dmsDocumentId: '1234',
      documentId: '117',
      dateiName: 'qrcode.bmp',
      fehlerText: '',
    })
  })

  it('writes W&W\'s elements only, in W&W\'s order, escaping XML characters, and reads them back', () => {
    const xml = buildControlFile({dmsArchivId: 'Archiv&1', dmsDocumentId: 'mi-T-1-abc-01', dateiName: 'a&b<c>.pdf'})
    expect(xml).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<ControlFile>\n  <Version>1.0</Version>\n  <Action>NewDocument</Action>\n  <DmsArchivId>Archiv&amp;1</DmsArchivId>\n' +
        '  <DmsDocumentId>mi-T-1-abc-01</DmsDocumentId>\n  <DocumentId/>\n  <DateiName>a&amp;b&lt;c&gt;.pdf</DateiName>\n</ControlFile>\n',
    )
    expect(parseControlFile(xml, 'x')).toEqual({version: '1.0', action: 'NewDocument', dmsArchivId: 'Archiv&1', dmsDocumentId: 'mi-T-1-abc-01', documentId: '', dateiName: 'a&b<c>.pdf', fehlerText: ''})
  })

  it('reads a FehlerText, and ignores elements that are not W&W\'s', () => {
    const xml = '<ControlFile><Action>SavedDocument</Action><DmsDocumentId>d-1</DmsDocumentId><FehlerText>Prüfsumme "falsch" &amp; &lt;fehlt&gt;</FehlerText><Extra>x</Extra></ControlFile>'
    expect(parseControlFile(xml, 'x')).toMatchObject({dmsDocumentId: 'd-1', fehlerText: 'Prüfsumme "falsch" & <fehlt>'})
  })

  it.each([
    ['not XML', 'hello <', /not well-formed|no <ControlFile>/],
    ['wrong root', '<Other><Action>NewDocument</Action></Other>', /no <ControlFile>/],
    ['unknown action', '<ControlFile><Action>Explode</Action></ControlFile>', /unknown Action "Explode"/],
  ])('refuses %s with an error naming the file', (_name, xml, message) => {
    expect(() => parseControlFile(xml, 'in/x.xml_it2')).toThrowError(IntegrityError)
    expect(() => parseControlFile(xml, 'in/x.xml_it2')).toThrowError(message)
  })
})

const person = (role: 'main' | 'co', first: string): Person => ({
  role,
  salutation: null,
  first_name: first,
  surname: 'Muster',
  date_of_birth: '1990-01-01',
  nationality_code: 'CH',
  language: 'de',
  marital_status: 'single',
  email: null,
  phone: null,
  address: {street: 'Weg', house_number: '1', postal_code: '8000', city: 'Zürich', country_code: 'CH'},
  job_title: null,
  employer: null,
  home_town: null,
})

const tenant = (persons: Person[]): Tenant => ({
  id: 'T-7',
  contract_status: 'without_contract',
  assigned_at: '2026-11-20T10:00:00Z',
  object_reference_number: '1.10001.1012',
  object_title: 'Wohnung',
  object_address: null,
  requested_move_in_date: '2027-01-01',
  household_type: 'family',
  rent: {rentalgross_net: 2000, incidentals: 200, rentalgross: 2200, deposit: 6000},
  persons,
  documents: [],
})

describe('tenant record', () => {
  it('puts the main tenant first and numbers the persons', () => {
    const record = tenantRecordFrom(tenant([person('co', 'Co'), person('main', 'Main')]), {handoverId: 'h', project: 'p', documents: []})
    expect(record.persons.map((p) => [p.position, p.role, p.firstName])).toEqual([
      [1, 'main', 'Main'],
      [2, 'co', 'Co'],
    ])
    expect(record.unit).toEqual({reference: '1.10001.1012', mandantNr: 1, liegenschaftNr: 10001, objektNr: 1012, title: 'Wohnung'})
    expect(record.rent).toEqual({currency: 'CHF', netMonthly: 2000, incidentalsMonthly: 200, grossMonthly: 2200, deposit: 6000})
    expect(record.persons[0]!.address).toEqual({street: 'Weg', houseNumber: '1', postalCode: '8000', city: 'Zürich', countryCode: 'CH'})
    expect(record.schema).toBe('melon-immotop.tenant-record/1')
  })

  it(`takes ${MAX_PERSONS} persons and refuses more instead of cutting the household`, () => {
    const four = [person('main', 'A'), person('co', 'B'), person('co', 'C'), person('co', 'D')]
    expect(tenantRecordFrom(tenant(four), {handoverId: 'h', project: 'p', documents: []}).persons).toHaveLength(4)
    expect(() => tenantRecordFrom(tenant([...four, person('co', 'E')]), {handoverId: 'h', project: 'p', documents: []})).toThrowError(ConflictError)
  })
})
