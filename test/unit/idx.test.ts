import {readFileSync} from 'node:fs'
import fc from 'fast-check'
import iconv from 'iconv-lite'
import {describe, expect, it} from 'vitest'
import {idxAgency, idxField, idxReference, normalizeReference, parseIdx, parseIdxLine, vacancyFromIdx, type IdxRecord} from '../../src/core/idx.js'
import {swissDate} from '../../src/core/swiss-date.js'
import {decodeLine, htmlToText} from '../../src/core/text-decoding.js'

const FIXTURES = new URL('../../../shared/fixtures/idx/', import.meta.url)
const visol = readFileSync(new URL('visol-sample.idx', FIXTURES))
const realforce = readFileSync(new URL('realforce-property-idxv3.idx', FIXTURES))
const TODAY = '2026-11-26'
const field = (r: IdxRecord, n: number) => idxField(r, n)

/** A RENT record with the given fields set (1-based), as a line without a line end. */
function line(set: Record<number, string>, options: {parts?: number} = {}): string {
  const fields = Array.from({length: 183}, (_, i) => set[i + 1] ?? '')
  fields[0] = set[1] ?? 'IDX3.01'
  const joined = fields.map((f) => `${f}#`).join('')
  if (options.parts === 183) return joined.slice(0, -1) // last field without its '#'
  if (options.parts === 185) return `${joined}#`
  return joined
}
const rent = (extra: Record<number, string> = {}) =>
  line({3: 'APPT', 4: '1', 5: 'RENT', 6: '7', 7: '70', 8: '701', 9: 'Bahnhofstrasse 1', 10: '8001', 11: 'Zürich', 13: 'CH', 17: 'Schöne Wohnung', 20: '2000', 21: '200', 22: 'MONTHLY', 23: 'CHF', 26: '3.5', ...extra})

describe('IDX 3.01 fixtures, record by record', () => {
  const parsed = parseIdx(visol)

  it('visol-sample.idx: six records, no problems, LF line ends, 183 and 184 parts both accepted', () => {
    expect(parsed.problems).toEqual([])
    expect(parsed.records.map((r) => [r.line, idxReference(r), field(r, 3), field(r, 5), r.encoding])).toEqual([
      [1, '41jkr.TLcWD.9VoHE', 'HOUSE', 'SALE', 'utf-8'],
      [2, 'j1mlJ.lHv2P.9Fw7c', 'HOUSE', 'SALE', 'utf-8'],
      [3, 'I4KtP.lveoi.Apdft', 'HOUSE', 'SALE', 'utf-8'],
      [4, 'hShZ4.zQDgp.QF0C3', 'HOUSE', 'SALE', 'utf-8'],
      [5, '134.13401.134011402', 'APPT', 'RENT', 'utf-8'],
      [6, '134.13470.134700024', 'PARK', 'RENT', 'utf-8'],
    ])
    for (const r of parsed.records) expect(r.ends).toHaveLength(183)
    expect(field(parsed.records[0]!, 183)).toBe('spare field 4')
    expect(field(parsed.records[4]!, 183)).toBe('')
  })

  it('the German SALE records are skipped with a note, and mapped when asked for', () => {
    const first = parsed.records[0]!
    const skipped = vacancyFromIdx(first, {includeSale: false, today: TODAY})
    expect(skipped).toMatchObject({kind: 'skipped', reference: '41jkr.TLcWD.9VoHE'})
    expect((skipped as {reason: string}).reason).toMatch(/SALE record.*--include-sale/)
    // With SALE included, the EUR price is refused by name: melon lists in CHF.
    const sale = vacancyFromIdx(first, {includeSale: true, today: TODAY})
    expect(sale).toMatchObject({kind: 'invalid', problem: {line: 1, field: 'currency (field 23)', message: 'is "EUR"; melon lists in CHF'}})
  })

  it('the AbaImmo flat: every mapped field', () => {
    const outcome = vacancyFromIdx(parsed.records[4]!, {includeSale: false, today: TODAY})
    expect(outcome.kind).toBe('vacancy')
    const v = (outcome as {vacancy: any}).vacancy
    expect({...v, description: undefined}).toEqual({
      unitRef: '134.13401.134011402',
      source: 'idx',
      feed: 'sulzer',
      title: 'Schöne 4 1/2-Zimmerwohnung an der Weinberglistrasse 29',
      category: 'apartment',
      typeKey: 'flat',
      rooms: 4.5,
      areaM2: 100,
      floorLabel: 'Erdgeschoss',
      floorNum: 0,
      rent: {net: 2619, incidentals: 190, gross: 2809, deposit: null, unit: 'monthly'},
      availability: {kind: 'immediately'}, // 01.10.2016 is in the past
      description: undefined,
      building: {title: 'Weinberglistrasse 29', street: 'Weinberglistrasse', houseNumber: '29', postalCode: '6005', city: 'Luzern', countryCode: 'CH', yearOfConstruction: null},
      contact: {firstName: 'Hidde', surname: 'Stalder', email: 'info@ciao.ch', phone: '076 423 45 67'},
    })
    expect(v.description).toMatch(/^Video bietet eine leistungsstarke Möglichkeit/)
    expect(v.description).toContain('\nDamit Ihr Dokument') // <BR> became a line break
    expect(v.description).not.toContain('<BR>')
  })

  it('the AbaImmo parking space: category PARK type 5, no rooms, rent 190', () => {
    const v = (vacancyFromIdx(parsed.records[5]!, {includeSale: false, today: TODAY}) as {vacancy: any}).vacancy
    expect(v).toMatchObject({
      unitRef: '134.13470.134700024',
      title: 'Einstellhallenplatz in Luzern',
      category: 'parking',
      typeKey: 'underground_slot',
      rooms: null,
      areaM2: null,
      rent: {net: 190, incidentals: 0, gross: 190, unit: 'monthly'},
      availability: {kind: 'immediately'},
      description: 'Einmaliges Angebot, nicht verpassen.',
      building: {street: 'Einstellhalle Weinbergli', houseNumber: '29-35', postalCode: '6005', city: 'Luzern'},
      contact: {firstName: 'ACDE', surname: '(ciao)', email: 'info@ciao.ch', phone: '041 247 25 29'},
    })
  })

  it('realforce-property-idxv3.idx: one UTF-8 SALE record without a final line end', () => {
    expect(realforce.at(-1)).not.toBe(0x0a)
    const {records, problems} = parseIdx(realforce)
    expect(problems).toEqual([])
    expect(records).toHaveLength(1)
    const r = records[0]!
    expect([idxReference(r), field(r, 3), field(r, 5), field(r, 11), field(r, 17), field(r, 19), field(r, 22), field(r, 26), field(r, 69), field(r, 178)]).toEqual([
      '..826588',
      'HOUSE',
      'SALE',
      'Le Vaud',
      'Maison 4.5 pièces à Le Vaud',
      '1290000',
      'SELL',
      '4.5',
      '7w42w_cfpimmo',
      '21.12.2022 14:39:43',
    ])
    const sale = vacancyFromIdx(r, {includeSale: true, today: TODAY})
    expect(sale).toMatchObject({kind: 'vacancy', vacancy: {category: 'house', rooms: 4.5, rent: {gross: 1290000, unit: 'once'}, availability: {kind: 'on_request'}, building: {postalCode: '1261', city: 'Le Vaud'}}})
    expect((sale as {vacancy: any}).vacancy.description).toMatch(/^Le Mont-Blanc dans votre salon\.\.\.\n\nCette charmante villa/)
  })
})

describe('IDX tolerance', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('%s line ends, with and without a final newline, and a blank line in between', (_name, eol) => {
    const text = [rent({8: '1'}), '', rent({8: '2'})].join(eol)
    for (const data of [text, text + eol]) {
      const {records, problems} = parseIdx(Buffer.from(data, 'utf8'))
      expect(problems).toEqual([])
      expect(records.map((r) => idxReference(r))).toEqual(['7.70.1', '7.70.2'])
      expect(records.every((r) => field(r, 183) === '')).toBe(true)
    }
  })

  it('accepts 183 parts (last # missing) and 185 parts (extra trailing #)', () => {
    for (const parts of [183, 185]) {
      const {records, problems} = parseIdx(Buffer.from(rent({}) .slice(0, 0) + line({3: 'APPT', 5: 'RENT', 8: '9'}, {parts}), 'utf8'))
      expect(problems).toEqual([])
      expect(records).toHaveLength(1)
    }
  })

  it('decodes each line on its own: "Schöne" survives UTF-8 and ISO-8859-1 (read as Windows-1252) lines in one file', () => {
    const utf8Line = Buffer.from(rent({8: '1', 17: 'Schöne Wohnung in Zürich'}), 'utf8')
    const latin1Line = iconv.encode(rent({8: '2', 17: 'Schöne Wohnung in Zürich'}), 'latin1')
    const {records} = parseIdx(Buffer.concat([utf8Line, Buffer.from('\r\n'), latin1Line, Buffer.from('\r\n')]))
    expect(records.map((r) => [r.encoding, field(r, 17)])).toEqual([
      ['utf-8', 'Schöne Wohnung in Zürich'],
      ['windows-1252', 'Schöne Wohnung in Zürich'],
    ])
  })

  it.each([
    ['', {kind: 'on_request'}],
    ['01.01.2020', {kind: 'immediately'}],
    [TODAY.split('-').reverse().join('.'), {kind: 'immediately'}],
    ['01.03.2027', {kind: 'from_date', date: '2027-03-01'}],
  ])('available_from %j → %j', (date, availability) => {
    const {records} = parseIdx(Buffer.from(rent({16: date})))
    expect((vacancyFromIdx(records[0]!, {includeSale: false, today: TODAY}) as {vacancy: any}).vacancy.availability).toEqual(availability)
  })

  // Spec §5, code by code where the spec names the type.
  it.each([
    ['APPT', '1', 'apartment', 'flat'],
    ['APPT', '2', 'apartment', 'maisonette'],
    ['APPT', '3', 'apartment', 'attic_flat'],
    ['APPT', '4', 'apartment', 'roof_flat'],
    ['APPT', '5', 'apartment', 'studio'],
    ['APPT', '6', 'apartment', 'single_room'],
    ['APPT', '7', 'apartment', 'furnished_flat'],
    ['APPT', '8', 'apartment', 'terrace_flat'],
    ['APPT', '9', 'apartment', 'bachelor_flat'],
    ['APPT', '10', 'apartment', 'loft'],
    ['APPT', '11', 'apartment', 'attic'],
    ['HOUSE', '1', 'house', 'single_house'],
    ['HOUSE', '7', 'house', 'multiple_dwelling'],
    ['HOUSE', '9', 'house', 'cave_house'],
    ['HOUSE', '10', 'house', 'castle'],
    ['HOUSE', '11', 'house', 'granny_flat'],
    ['HOUSE', '12', 'house', 'chalet'],
    ['HOUSE', '13', 'house', 'rustico'],
    ['PARK', '1', 'parking', 'open_slot'],
    ['PARK', '3', 'parking', 'single_garage'],
    ['PARK', '5', 'parking', 'underground_slot'],
    ['PARK', '7', 'parking', 'boat_dry_dock'],
    ['PARK', '8', 'parking', 'boat_landing_stage'],
    ['PARK', '9', 'parking', 'covered_parking_motorbike'],
    ['PARK', '10', 'parking', 'outdoor_parking_motorbike'],
    ['PARK', '11', 'parking', 'horse_box'],
    ['PARK', '12', 'parking', 'boat_mooring'],
    ['SECONDARY', '0', 'secondary', 'hobby_room'],
    ['SECONDARY', '2', 'secondary', 'attic_compartment'],
    ['GASTRO', '17', 'gastronomy', 'gastro_17'],
    ['INDUS', '38', 'industrial', 'industrial_38'],
    ['AGRI', '3', 'agriculture', 'agri_3'],
    ['GARDEN', '1', 'garden', 'garden_1'],
    ['PROP', '4', 'plot', 'plot_4'],
  ])('maps category %s type %s', (category, type, expectedCategory, typeKey) => {
    const {records} = parseIdx(Buffer.from(rent({3: category, 4: type})))
    expect((vacancyFromIdx(records[0]!, {includeSale: false, today: TODAY}) as {vacancy: any}).vacancy).toMatchObject({category: expectedCategory, typeKey})
  })

  it.each([
    ['HOUSE', '8', 'HOUSE (1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13)'],
    ['PARK', '6', 'PARK (1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12)'],
    ['APPT', '12', 'APPT'],
    ['INDUS', '39', 'INDUS'],
    ['APPT', '', 'APPT'],
  ])('reports %s type %j, which the spec does not define, instead of guessing', (category, type, named) => {
    const {records} = parseIdx(Buffer.from(rent({3: category, 4: type})))
    const outcome = vacancyFromIdx(records[0]!, {includeSale: false, today: TODAY}) as {kind: string; problem: any}
    expect(outcome.kind).toBe('invalid')
    expect(outcome.problem.field).toBe('object_type (field 4)')
    expect(outcome.problem.message).toContain(`is not an IDX 3.01 code for ${named}`)
  })

  it('reports an unknown category clearly instead of dropping it', () => {
    const {records} = parseIdx(Buffer.from(rent({3: 'BOAT'})))
    expect(vacancyFromIdx(records[0]!, {includeSale: false, today: TODAY})).toMatchObject({
      kind: 'invalid',
      problem: {line: 1, field: 'object_category (field 3)', message: '"BOAT" is not an IDX 3.01 category; known: APPT, HOUSE, PARK, AGRI, GARDEN, GASTRO, INDUS, PROP, SECONDARY'},
    })
  })

  it.each([
    ['MONTHLY', {}, {net: 2000, incidentals: 200, gross: 2200, unit: 'monthly'}],
    ['', {}, {net: 2000, incidentals: 200, gross: 2200, unit: 'monthly'}],
    ['YEARLY', {20: '24000', 21: '2400'}, {net: 2000, incidentals: 200, gross: 2200, unit: 'monthly'}],
    ['M2YEARLY', {20: '240', 21: '24', 28: '100'}, {net: 2000, incidentals: 200, gross: 2200, unit: 'monthly'}],
    ['M2YEARLY', {20: '250', 21: '0', 28: '61'}, {net: 1270.83, incidentals: 0, gross: 1270.83, unit: 'monthly'}],
  ])('price_unit %j is converted to melon\'s CHF per month exactly', (unit, fields, expected) => {
    const {records} = parseIdx(Buffer.from(rent({22: unit, ...(fields as Record<number, string>)})))
    expect((vacancyFromIdx(records[0]!, {includeSale: false, today: TODAY}) as {vacancy: any}).vacancy.rent).toMatchObject(expected)
  })

  it.each([
    ['WEEKLY', {}, /WEEKLY; a weekly rent cannot be converted/],
    ['DAILY', {}, /DAILY; a daily rent cannot be converted/],
    ['M2YEARLY', {28: ''}, /surface_living \(field 28\) is empty/],
    ['SELLM2', {}, /not supported for rent/],
  ])('price_unit %j that cannot be converted is reported, not guessed', (unit, fields, message) => {
    const {records} = parseIdx(Buffer.from(rent({22: unit, ...(fields as Record<number, string>)})))
    const outcome = vacancyFromIdx(records[0]!, {includeSale: false, today: TODAY}) as {kind: string; problem: any}
    expect(outcome.kind).toBe('invalid')
    expect(outcome.problem.field).toBe('price_unit (field 22)')
    expect(outcome.problem.message).toMatch(message)
  })

  it('SALE with SELLM2 multiplies by the surface; without a surface it is reported', () => {
    const sale = (extra: Record<number, string>) => parseIdx(Buffer.from(rent({5: 'SALE', 19: '8000', 22: 'SELLM2', ...extra}))).records[0]!
    expect((vacancyFromIdx(sale({28: '120'}), {includeSale: true, today: TODAY}) as {vacancy: any}).vacancy.rent).toEqual({net: null, incidentals: null, gross: 960000, deposit: null, unit: 'once'})
    expect(vacancyFromIdx(sale({}), {includeSale: true, today: TODAY})).toMatchObject({kind: 'invalid', problem: {field: 'price_unit (field 22)'}})
  })

  it('visit_email (field 84) is not used: the contact\'s e-mail is the agency\'s (field 80)', () => {
    const one = (extra: Record<number, string>) => (vacancyFromIdx(parseIdx(Buffer.from(rent({82: 'Hidde Stalder', ...extra}))).records[0]!, {includeSale: false, today: TODAY}) as {vacancy: any}).vacancy.contact
    expect(one({84: 'visit@example.ch'}).email).toBeNull()
    expect(one({80: 'agency@example.ch', 84: 'visit@example.ch'}).email).toBe('agency@example.ch')
  })

  it('a record with an empty ref_object but another ref is valid; one with no ref at all is not', () => {
    const ok = vacancyFromIdx(parseIdx(Buffer.from(rent({8: ''}))).records[0]!, {includeSale: false, today: TODAY})
    expect(ok).toMatchObject({kind: 'vacancy', reference: '7.70.'})
    const none = vacancyFromIdx(parseIdx(Buffer.from(rent({6: '', 7: '', 8: ''}))).records[0]!, {includeSale: false, today: TODAY})
    expect(none).toMatchObject({kind: 'invalid', problem: {field: 'ref_property / ref_house / ref_object (fields 6 to 8)'}})
  })

  it('the record key is agency_id plus the refs; the agency names the feed that owns the listing', () => {
    const [a, b] = parseIdx(Buffer.from([rent({69: 'agency-a'}), rent({69: 'agency-b'})].join('\n'))).records
    expect([idxAgency(a!), idxReference(a!)]).toEqual(['agency-a', '7.70.701'])
    expect(idxAgency(a!)).not.toBe(idxAgency(b!))
    expect(idxReference(a!)).toBe(idxReference(b!))
    expect((vacancyFromIdx(a!, {includeSale: false, today: TODAY}) as {vacancy: any}).vacancy.feed).toBe('agency-a')
    expect(normalizeReference('001.10001.01012')).toBe('1.10001.1012')
  })

  it('numbers may carry Swiss thousands separators (1\'850), and plain numbers stay as they are', () => {
    const {records} = parseIdx(Buffer.from(rent({20: "1'850", 21: '210.50'})))
    const outcome = vacancyFromIdx(records[0]!, {includeSale: false, today: TODAY}) as {vacancy: any}
    expect(outcome.vacancy.rent).toMatchObject({net: 1850, incidentals: 210.5, gross: 2060.5})
  })

  it.each([
    [{20: 'zwei'}, 'rent_net (field 20)', /not a number/],
    [{20: "1'8'5'0x"}, 'rent_net (field 20)', /not a number/],
    [{16: '31.02.2027'}, 'available_from (field 16)', /not a valid date/],
    [{5: 'LEASE'}, 'offer_type (field 5)', /expected RENT or SALE/],
    [{22: 'FORTNIGHTLY'}, 'price_unit (field 22)', /not supported/],
    [{17: ''}, 'title (field 17)', /is empty/],
  ])('a bad value %j names line and field', (fields, fieldName, message) => {
    const {records} = parseIdx(Buffer.from(rent(fields as Record<number, string>)))
    const outcome = vacancyFromIdx(records[0]!, {includeSale: false, today: TODAY}) as {kind: string; problem: any}
    expect(outcome.kind).toBe('invalid')
    expect(outcome.problem.line).toBe(1)
    expect(outcome.problem.field).toBe(fieldName)
    expect(outcome.problem.message).toMatch(message)
  })

  it('a line with the wrong number of fields, or another version, is a problem with its line', () => {
    const text = [rent({8: '1'}), 'IDX3.01#too#short#', rent({1: 'IDX2.7', 8: '3'})].join('\n')
    const {records, problems} = parseIdx(Buffer.from(text))
    expect(records).toHaveLength(1)
    expect(problems).toEqual([
      {line: 2, message: 'has 3 fields; IDX 3.01 has 183, each followed by #'},
      {line: 3, field: 'version (field 1)', message: 'is "IDX2.7", expected IDX3.01'},
    ])
  })
})

describe('the checking pass (describe: false)', () => {
  it('gives every fixture record the same outcome as the full mapping, only without the description', () => {
    const records = [...parseIdx(visol).records, ...parseIdx(realforce).records]
    expect(records.length).toBeGreaterThan(6)
    let described = 0
    for (const record of records) {
      for (const includeSale of [false, true]) {
        const full = vacancyFromIdx(record, {includeSale, today: TODAY}) as any
        const checked = vacancyFromIdx(record, {includeSale, today: TODAY, describe: false}) as any
        if (full.kind === 'vacancy' && full.vacancy.description) described++
        expect(checked).toEqual(full.kind === 'vacancy' ? {...full, vacancy: {...full.vacancy, description: null}} : full)
      }
    }
    expect(described).toBeGreaterThan(0)
  })
})

describe('text helpers', () => {
  it('turns portal HTML into text: <BR> breaks, <B> and <LI> keep their text', () => {
    expect(htmlToText('<B>Lage</B><BR>Zentral &amp; ruhig<ul><LI>Lift</LI><LI>Balkon</LI></ul>')).toBe('Lage\nZentral & ruhig\n- Lift\n- Balkon')
  })
  it.each([
    ['01.10.2016', '2016-10-01'],
    ['1.2.2027', '2027-02-01'],
    ['25.02.2015 01:58:05', '2015-02-25'],
    ['', null],
  ])('swissDate(%j) = %j', (text, iso) => expect(swissDate(text)).toBe(iso))
  it.each(['2027-01-01', '32.01.2027', '29.02.2027', 'morgen', '31.04.2027', '00.01.2027', '01.13.2027', '01.00.2027', '29.02.1900'])('swissDate(%j) throws', (text) => expect(() => swissDate(text)).toThrow())
  it.each([
    ['29.02.2028', '2028-02-29'],
    ['29.02.2000', '2000-02-29'],
    ['31.12.2027', '2027-12-31'],
    ['30.4.2027', '2027-04-30'],
  ])('swissDate(%j) = %j (month lengths, leap years)', (text, iso) => expect(swissDate(text)).toBe(iso))

  it('decodes a line that is not UTF-8 as Windows-1252, byte for byte as iconv does, with and without 0x80–0x9F', () => {
    const all = Buffer.from(Array.from({length: 224}, (_, i) => i + 32).filter((b) => b !== 0x7f))
    const withoutC1 = Buffer.from([...all].filter((b) => b < 0x80 || b > 0x9f))
    for (const bytes of [all, withoutC1, Buffer.from([0x5a, 0xfc, 0x72, 0x69, 0x63, 0x68]), Buffer.from([0x80, 0x20, 0x96])]) {
      expect(decodeLine(bytes)).toEqual({text: iconv.decode(bytes, 'win1252'), encoding: 'windows-1252'})
    }
    expect(decodeLine(Buffer.from([0x80, 0x20, 0x96])).text).toBe('€ –')
    expect(decodeLine(Buffer.from('Zürich €', 'utf8'))).toEqual({text: 'Zürich €', encoding: 'utf-8'})
  })
})

describe('robustness (property-based)', () => {
  const today = TODAY
  it('random bytes, and valid records cut off anywhere, give records or problems, never an exception', () => {
    const valid = Buffer.from([rent({8: '1'}), rent({8: '2', 17: 'Schöne'})].join('\r\n'))
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 3000}), fc.nat(valid.length), (noise, cut) => {
        for (const input of [Buffer.from(noise), valid.subarray(0, cut), Buffer.concat([valid.subarray(0, cut), Buffer.from(noise)])]) {
          const parsed = parseIdx(input)
          for (const record of parsed.records) {
            const outcome = vacancyFromIdx(record, {includeSale: true, today})
            expect(['vacancy', 'skipped', 'invalid']).toContain(outcome.kind)
          }
          for (const p of parsed.problems) expect(p.line).toBeGreaterThan(0)
        }
      }),
      {numRuns: 300},
    )
  })

  it('fields cut where they are used are the fields of split("#"): any line, any count of #, the same fields or the same problem', () => {
    // The reading as it was: every field cut out at once. The line reader gives lines without their end.
    const bySplit = (text: string) => {
      let parts = text.split('#')
      if (parts.length === 185 && parts.at(-1) === '' && parts.at(-2) === '') parts = parts.slice(0, 183)
      else if (parts.length === 184 && parts.at(-1) === '') parts = parts.slice(0, 183)
      if (parts.length !== 183) return {message: `has ${parts.length - (parts.at(-1) === '' ? 1 : 0)} fields; IDX 3.01 has 183, each followed by #`}
      if (parts[0] !== 'IDX3.01') return {field: 'version (field 1)', message: `is "${parts[0]!.slice(0, 20)}", expected IDX3.01`}
      return {fields: parts}
    }
    // Mostly values without #, so that the counts around 183 are hit exactly; now and then one that holds #.
    const value = fc.oneof(
      {arbitrary: fc.constantFrom('', ' ', ' Zürich ', '4.5'), weight: 20},
      {arbitrary: fc.string({maxLength: 6}).map((v) => v.replace(/#/g, '')), weight: 20},
      {arbitrary: fc.constantFrom('#', '##'), weight: 1},
    )
    const lines = fc.oneof(
      // Around the tolerated counts: 181 to 186 parts, the first maybe another version, values that hold # themselves.
      fc.record({count: fc.integer({min: 181, max: 186}), version: fc.constantFrom('IDX3.01', 'IDX2.7', ''), values: fc.array(value, {minLength: 186, maxLength: 186})}).map(({count, version, values}) => [version, ...values.slice(0, count - 1)].join('#')),
      fc.string({maxLength: 60}),
    )
    fc.assert(
      fc.property(lines, (text) => {
        const parsed = parseIdxLine(Buffer.from(text, 'utf8'), 1)
        const expected = /^[ \t]*$/.test(text) ? null : bySplit(text)
        if (expected === null) expect(parsed).toBe(null)
        else if ('fields' in expected) {
          expect(parsed).toMatchObject({line: 1, text})
          expect(Array.from({length: 183}, (_, i) => idxField(parsed as IdxRecord, i + 1))).toEqual(expected.fields)
        } else expect(parsed).toEqual({line: 1, ...expected})
      }),
      {numRuns: 2000},
    )
  })

  it('random field values in a well-formed record never throw', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.integer({min: 2, max: 183}).map(String), fc.string({maxLength: 40}).map((s) => s.replace(/[#\r\n]/g, ''))), (fields) => {
        const set = Object.fromEntries(Object.entries(fields).map(([k, v]) => [Number(k), v]))
        const {records} = parseIdx(Buffer.from(line(set)))
        expect(records).toHaveLength(1)
        expect(['vacancy', 'skipped', 'invalid']).toContain(vacancyFromIdx(records[0]!, {includeSale: true, today}).kind)
      }),
      {numRuns: 500},
    )
  })
})
