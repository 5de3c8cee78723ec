import {readFileSync} from 'node:fs'
import fc from 'fast-check'
import iconv from 'iconv-lite'
import {describe, expect, it} from 'vitest'
import {countryFromNumeric, kindFromUnitType, parseDtaMpexp, roomsFromText, vacanciesFromDta} from '../../src/core/dta-mpexp.js'
import {DTA_MPEXP_HEADER} from '../../src/sandbox/exports.js'

const fixture = readFileSync(new URL('../../../shared/fixtures/wwimmo/dta-mpexp.csv', import.meta.url))
const TODAY = '2026-11-26'
const FFFD = '\uFFFD'

/** A file with W&W's header and rows given as {column: value}. */
function csv(rows: Array<Record<string, string>>, encoding: 'utf8' | 'latin1' = 'latin1', eol = '\r\n'): Buffer {
  const lines = [DTA_MPEXP_HEADER.join(';'), ...rows.map((r) => DTA_MPEXP_HEADER.map((c) => r[c] ?? '').join(';'))]
  return iconv.encode(lines.join(eol), encoding)
}
const unit = (extra: Record<string, string> = {}) => ({
  property_id: '20001',
  property_name: 'Löwenweg 1',
  unit_adress_street_name: 'Löwenweg 1',
  unit_adress_postcode: '8157',
  unit_adress_city: 'Dielsdorf',
  unit_adress_country: '756',
  unit_id: '2001',
  unit_name: '3,5-ZWG 1.St rechts',
  unit_type: '3 1/2-Zimmerwohnung',
  unit_square_meter: '80',
  unit_level: '1',
  property_manager1_name: 'Hans Property',
  property_manager1_email: 'hp@immo.ch',
  property_manager1_phone1: '044 762 23 23',
  ...extra,
})

describe('W&W\'s dta-mpexp sample, row by row', () => {
  const parsed = parseDtaMpexp(fixture)

  it('has the 82-column header and five rows one field short, tolerated', () => {
    expect(parsed.header).toHaveLength(82)
    expect(parsed.header).toEqual(DTA_MPEXP_HEADER)
    expect(parsed.problems).toEqual([])
    expect(parsed.rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6])
  })

  it('reads the unit columns of every row', () => {
    const pick = ['property_id', 'property_name', 'unit_adress_street_name', 'unit_adress_postcode', 'unit_adress_city', 'unit_adress_country', 'unit_id', 'unit_name', 'unit_type', 'unit_square_meter', 'unit_level', 'utilisation_period_start', 'utilisation_period_end', 'user1_name', 'user1_prename', 'user1_companyname', 'property_manager1_name', 'property_manager1_email']
    expect(parsed.rows.map((r) => pick.map((c) => r.values[c]))).toEqual([
      ['10001', `L${FFFD}wenweg 1`, `L${FFFD}wenweg 1`, '8157', 'Dielsdorf', '756', '1001', '2-ZWG EG links', '2-Zimmerwohnung', '60', '0', '01.05.2000', '', 'Wiedler', 'Sandra', '', 'Hans Property', 'hp@immo.ch'],
      ['10001', `L${FFFD}wenweg 1`, `L${FFFD}wenweg 1`, '8157', 'Dielsdorf', '756', '1011', '3-ZWG 1.St links', '3-Zimmerwohnung', '75', '1', '01.10.1987', '', '', '', 'W&W Immo Informatik AG', 'Hans Property', 'hp@immo.ch'],
      ['10001', `L${FFFD}wenweg 1`, `L${FFFD}wenweg 1`, '8157', 'Dielsdorf', '756', '1012', '3,5-ZWG 1.St rechts', '3 1/2-Zimmerwohnung', '80', '1', '01.09.1994', '', `L${FFFD}scher`, 'Peter', '', 'Hans Property', 'hp@immo.ch'],
      ['10001', `L${FFFD}wenweg 1`, `L${FFFD}wenweg 1`, '8157', 'Dielsdorf', '756', '1021', '4-ZWG 2.St links', '4-Zimmerwohnung', '85', '2', '01.08.1997', '', 'Schwegler', 'Hans', '', 'Hans Property', 'hp@immo.ch'],
      ['10001', `L${FFFD}wenweg 1`, `L${FFFD}wenweg 1`, '8157', 'Dielsdorf', '756', '1022', '4,5-ZWG 2.St rechts', '4 1/2-Zimmerwohnung', '90', '2', '15.05.1997', '', 'Traber', 'Bruno', '', 'Hans Property', 'hp@immo.ch'],
    ])
    // Only the columns used are kept (user2_prename is Rita in that row): a long export costs no more than its units.
    expect(Object.keys(parsed.rows[2]!.values)).toHaveLength(19)
    expect(parsed.rows[2]!.values.user2_prename).toBeUndefined()
  })

  it('every unit of the sample is let (a tenancy without end): none is vacant', () => {
    expect(vacanciesFromDta(parsed.rows, {mandant: 1, today: TODAY})).toEqual([
      {kind: 'let', line: 2, reference: '1.10001.1001'},
      {kind: 'let', line: 3, reference: '1.10001.1011'},
      {kind: 'let', line: 4, reference: '1.10001.1012'},
      {kind: 'let', line: 5, reference: '1.10001.1021'},
      {kind: 'let', line: 6, reference: '1.10001.1022'},
    ])
  })
})

describe('dta-mpexp vacancies', () => {
  it('a unit without any tenancy is vacant now, mapped in full (ISO-8859-1, CRLF)', () => {
    const [outcome] = vacanciesFromDta(parseDtaMpexp(csv([unit()])).rows, {mandant: 3, today: TODAY})
    expect(outcome).toEqual({
      kind: 'vacancy',
      line: 2,
      reference: '3.20001.2001',
      vacancy: {
        unitRef: '3.20001.2001',
        source: 'dta-mpexp',
        title: '3 1/2-Zimmerwohnung, 3,5-ZWG 1.St rechts',
        category: 'apartment',
        typeKey: 'flat',
        rooms: 3.5,
        areaM2: 80,
        floorLabel: '1. Obergeschoss',
        floorNum: 1,
        rent: null,
        availability: {kind: 'immediately'},
        description: null,
        building: {title: 'Löwenweg 1', street: 'Löwenweg', houseNumber: '1', postalCode: '8157', city: 'Dielsdorf', countryCode: 'CH', yearOfConstruction: null},
        contact: {firstName: 'Hans', surname: 'Property', email: 'hp@immo.ch', phone: '044 762 23 23'},
      },
    })
  })

  it.each([
    ['ended tenancy', [{utilisation_period_start: '01.01.2010', utilisation_period_end: '30.09.2026'}], {kind: 'vacancy', availability: {kind: 'immediately'}}],
    ['tenancy ends, no successor', [{utilisation_period_start: '01.01.2010', utilisation_period_end: '31.01.2027'}], {kind: 'vacancy', availability: {kind: 'from_date', date: '2027-02-01'}}],
    ['tenancy ends, successor signed', [{utilisation_period_start: '01.01.2010', utilisation_period_end: '31.01.2027'}, {utilisation_period_start: '01.02.2027'}], {kind: 'let'}],
    ['current tenancy without end', [{utilisation_period_start: '01.01.2010'}], {kind: 'let'}],
  ] as Array<[string, Array<Record<string, string>>, {kind: string; availability?: unknown}]>)('%s', (_name, periods, expected) => {
    const rows = parseDtaMpexp(csv(periods.map((p) => unit(p)))).rows
    const [outcome] = vacanciesFromDta(rows, {mandant: 1, today: TODAY}) as any[]
    expect(outcome.kind).toBe(expected.kind)
    if (expected.availability) expect(outcome.vacancy.availability).toEqual(expected.availability)
  })

  it.each([
    ['0', 'Erdgeschoss', 0],
    ['99', 'Dachgeschoss', null],
    ['-1', '1. Untergeschoss', -1],
    ['3', '3. Obergeschoss', 3],
  ])('unit_level %s → %s', (level, label, num) => {
    const [outcome] = vacanciesFromDta(parseDtaMpexp(csv([unit({unit_level: level})])).rows, {mandant: 1, today: TODAY}) as any[]
    expect([outcome.vacancy.floorLabel, outcome.vacancy.floorNum]).toEqual([label, num])
  })

  it('decodes each line on its own: a UTF-8 file reads the same as ISO-8859-1', () => {
    const latin = parseDtaMpexp(csv([unit()], 'latin1')).rows[0]!.values
    const utf = parseDtaMpexp(csv([unit()], 'utf8', '\n')).rows[0]!.values
    expect(latin.property_name).toBe('Löwenweg 1')
    expect(utf).toEqual(latin)
  })

  it.each([
    ['unit_adress_country', '999', /not a known numeric country code/],
    ['unit_level', 'EG', /not a whole number/],
    ['unit_square_meter', 'viel', /not a number/],
    ['unit_type', 'Bootsplatz', /not a kind of unit/],
  ])('a bad %s names line and field', (column, value, message) => {
    const [outcome] = vacanciesFromDta(parseDtaMpexp(csv([unit({[column]: value, unit_name: 'X'})])).rows, {mandant: 1, today: TODAY}) as any[]
    expect(outcome.kind).toBe('invalid')
    expect(outcome.problem.line).toBe(2)
    expect(outcome.problem.field).toBe(column)
    expect(outcome.problem.message).toMatch(message)
  })

  it('a bad date names the line', () => {
    const [outcome] = vacanciesFromDta(parseDtaMpexp(csv([unit({utilisation_period_start: '2020-01-01'})])).rows, {mandant: 1, today: TODAY}) as any[]
    expect(outcome).toMatchObject({kind: 'invalid', problem: {line: 2, field: 'utilisation_period_start / _end'}})
  })

  it('a file without the dta-mpexp columns, an empty file, and a row too short to read are problems with their line', () => {
    expect(parseDtaMpexp(Buffer.from('a;b;c\n1;2;3\n')).problems[0]).toMatchObject({line: 1, message: /missing from the header/})
    expect(parseDtaMpexp(Buffer.alloc(0)).problems).toEqual([{line: 1, message: 'the file is empty'}])
    const short = Buffer.concat([csv([unit()]), Buffer.from('\r\n10001;x;y\r\n')])
    expect(parseDtaMpexp(short).problems).toEqual([{line: 3, message: 'has 3 fields; the header has 82'}])
  })

  it.each([
    ['3 1/2-Zimmerwohnung', 3.5],
    ['4,5-ZWG 2.St rechts', 4.5],
    ['2-Zimmerwohnung', 2],
    ['5½-Zimmer-Attikawohnung', 5.5],
    ['3.5 Zimmer', 3.5],
    ['Einstellhallenplatz', null],
  ])('rooms of %j = %j', (text, rooms) => expect(roomsFromText(text)).toBe(rooms))

  it('maps numeric countries and kinds', () => {
    expect(['756', '438', '276', 'CH', '1'].map(countryFromNumeric)).toEqual(['CH', 'LI', 'DE', 'CH', null])
    expect(kindFromUnitType('5 1/2-Zimmer-Attikawohnung')).toEqual({category: 'apartment', typeKey: 'attic_flat'})
    expect(kindFromUnitType('Einstellhallenplatz')).toEqual({category: 'parking', typeKey: 'underground_slot'})
    expect(kindFromUnitType('Büro')).toEqual({category: 'commercial', typeKey: 'office'})
  })
})

describe('robustness (property-based)', () => {
  it('random bytes and cut-off files give rows or problems, never an exception', () => {
    const valid = csv([unit(), unit({unit_id: '2002', utilisation_period_start: '01.01.2010'})])
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 2000}), fc.nat(valid.length), (noise, cut) => {
        for (const input of [Buffer.from(noise), valid.subarray(0, cut), Buffer.concat([valid.subarray(0, cut), Buffer.from(noise)])]) {
          const parsed = parseDtaMpexp(input)
          for (const outcome of vacanciesFromDta(parsed.rows, {mandant: 1, today: TODAY})) expect(['vacancy', 'let', 'invalid']).toContain(outcome.kind)
        }
      }),
      {numRuns: 300},
    )
  })
})

describe('dta-mpexp as real CSV, and Windows-1252 for "Latin-1" lines', () => {
  const header = DTA_MPEXP_HEADER.join(';')
  const row = (values: Record<string, string>) => DTA_MPEXP_HEADER.map((c) => values[c] ?? '').join(';')

  it('a quoted ; stays inside its field: no later column shifts', () => {
    const text = [header, row({...unit(), property_name: '"Müller; Söhne AG"', unit_name: '"3,5-ZWG ""Seeblick"""'})].join('\r\n')
    const {rows, problems} = parseDtaMpexp(iconv.encode(text, 'latin1'))
    expect(problems).toEqual([])
    expect(rows[0]!.values).toMatchObject({property_name: 'Müller; Söhne AG', unit_name: '3,5-ZWG "Seeblick"', unit_adress_city: 'Dielsdorf', unit_square_meter: '80'})
  })

  it('a quoted line end stays inside its field, and the next record keeps its own line number', () => {
    const text = [header, row({...unit(), property_name: '"Haus A\r\nHaus B"'}), row({...unit(), unit_id: '2002'})].join('\r\n')
    const {rows, problems} = parseDtaMpexp(Buffer.from(text, 'utf8'))
    expect(problems).toEqual([])
    expect(rows.map((r) => [r.line, r.values.unit_id, r.values.property_name])).toEqual([
      [2, '2001', 'Haus A\nHaus B'],
      [4, '2002', 'Löwenweg 1'],
    ])
  })

  it('an unclosed quote is reported with the line where its record starts', () => {
    const text = [header, row(unit()), row({...unit(), unit_id: '2002', property_name: '"Haus ohne Ende'}), row({...unit(), unit_id: '2003'})].join('\r\n')
    const {problems} = parseDtaMpexp(Buffer.from(text, 'utf8'))
    expect(problems).toHaveLength(1)
    expect(problems[0]!.message).toMatch(/^is not valid CSV: /)
  })

  it('bytes 0x80 (€) and 0x96 (–) of a Windows line are € and –, not control characters', () => {
    const bytes = Buffer.concat([Buffer.from(header + '\r\n', 'latin1'), iconv.encode(row({...unit(), unit_name: 'Studio – Miete 1200 €'}), 'win1252')])
    expect(bytes.includes(0x80)).toBe(true)
    const {rows} = parseDtaMpexp(bytes)
    expect(rows[0]!.values.unit_name).toBe('Studio – Miete 1200 €')
    expect(/[\u0080-\u009f]/.test(rows[0]!.values.unit_name!)).toBe(false)
  })
})
