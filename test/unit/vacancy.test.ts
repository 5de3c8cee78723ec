import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {changedListingFields, isManagedBy, listingFromVacancy, managedBy} from '../../src/core/listing.js'
import {floorFromLevel, splitPostalCity, splitStreet} from '../../src/core/swiss-address.js'
import {isPublishable, isTenancy, mergeDetails, missingDetails, vacancyFromImmotop, vacancyStatus, type ImmotopUnitRows, type UnitDetails} from '../../src/core/vacancy.js'
import {ConflictError} from '../../src/errors.js'

const TODAY = '2026-11-26'

describe('vacancyStatus', () => {
  it.each([
    ['no tenancy at all', [], {vacant: true, availableFrom: null, reason: 'no_tenancy'}],
    ['last tenancy ended', [{from: '2015-04-01', to: '2026-09-30'}], {vacant: true, availableFrom: null, reason: 'no_tenancy'}],
    ['tenancy ends without successor', [{from: '2021-07-01', to: '2027-01-31'}], {vacant: true, availableFrom: '2027-02-01', reason: 'tenancy_ends'}],
    ['tenancy ends today', [{from: '2021-07-01', to: TODAY}], {vacant: true, availableFrom: '2026-11-27', reason: 'tenancy_ends'}],
    ['current tenancy without end', [{from: '2019-10-01', to: null}], {vacant: false, reason: 'let'}],
    ['ended, successor signed', [{from: '2018-01-01', to: '2026-10-31'}, {from: '2026-12-01', to: null}], {vacant: false, reason: 'future_tenancy'}],
    ['ends, successor signed', [{from: '2018-01-01', to: '2027-01-31'}, {from: '2027-02-01', to: null}], {vacant: false, reason: 'future_tenancy'}],
    ['tenancy starts today', [{from: TODAY, to: null}], {vacant: false, reason: 'let'}],
  ])('%s', (_name, tenancies, expected) => {
    expect(vacancyStatus(tenancies, TODAY)).toEqual(expected)
  })

  it('keeping three values per unit (the fold a long export uses) decides as the rule written out over all tenancies', () => {
    // The rule as written in the docs: vacant unless a tenancy covers today without end, or one follows the one covering today.
    const rule = (tenancies: Array<{from: string | null; to: string | null}>) => {
      const relevant = tenancies.filter((t) => t.to === null || t.to >= TODAY)
      if (relevant.length === 0) return {vacant: true, availableFrom: null, reason: 'no_tenancy'}
      const current = relevant.find((t) => t.from === null || t.from <= TODAY)
      if (!current) return {vacant: false, reason: 'future_tenancy'}
      if (current.to === null) return {vacant: false, reason: 'let'}
      if (relevant.some((t) => t.from !== null && t.from > TODAY && t.from > current.to!)) return {vacant: false, reason: 'future_tenancy'}
      const next = new Date(`${current.to}T00:00:00Z`)
      next.setUTCDate(next.getUTCDate() + 1)
      return {vacant: true, availableFrom: next.toISOString().slice(0, 10), reason: 'tenancy_ends'}
    }
    const day = fc.option(fc.constantFrom('2019-01-01', '2026-11-25', TODAY, '2026-11-27', '2026-12-31', '2027-03-01', '2028-02-29'), {nil: null})
    fc.assert(fc.property(fc.array(fc.record({from: day, to: day}), {maxLength: 6}), (tenancies) => {
      expect(vacancyStatus(tenancies, TODAY)).toEqual(rule(tenancies))
    }), {numRuns: 2000})
  })
})

describe('Swiss address helpers', () => {
  it.each([
    ['Seestrasse 112', {street: 'Seestrasse', houseNumber: '112'}],
    ['Rue du Lac 3a', {street: 'Rue du Lac', houseNumber: '3a'}],
    ['Bahnhofplatz', {street: 'Bahnhofplatz', houseNumber: null}],
    ['Via Nassa 21-23', {street: 'Via Nassa', houseNumber: '21-23'}],
  ])('splitStreet(%j)', (text, expected) => expect(splitStreet(text)).toEqual(expected))

  it.each([
    ['8800 Thalwil', {postalCode: '8800', city: 'Thalwil'}],
    ['CH-3011 Bern', {postalCode: '3011', city: 'Bern'}],
    ['1260 Nyon VD', {postalCode: '1260', city: 'Nyon VD'}],
  ])('splitPostalCity(%j)', (text, expected) => expect(splitPostalCity(text)).toEqual(expected))

  it.each([
    [0, {label: 'Erdgeschoss', num: 0}],
    [2, {label: '2. Obergeschoss', num: 2}],
    [99, {label: 'Dachgeschoss', num: null}],
    [-1, {label: '1. Untergeschoss', num: -1}],
    [null, {label: null, num: null}],
  ])('floorFromLevel(%j)', (level, expected) => expect(floorFromLevel(level)).toEqual(expected))
})

/** Rows with exactly the columns W&W documents (spec §2), written here by hand. */
function wwRows(options: {objekt?: Record<string, unknown>; tenancies?: Array<[string, string | null, string?]>; mitarbeiter?: Record<string, unknown> | null; managerText?: string | null} = {}): ImmotopUnitRows {
  const stamps = {insts: '2025-01-10T08:15:00', updts: '2025-01-10T08:15:00'}
  return {
    objekt: {s_seqnr: 302, nr: 1012, bez: '4.5-Zimmerwohnung 2. OG rechts', liegenschaft_seqnr: 201, liegenschaft_nr: 10001, mandant_seqnr: 101, mandant_nr: 1, gueltigvon: '1987-04-01T00:00:00', gueltigbis: null, ...stamps, ...options.objekt} as ImmotopUnitRows['objekt'],
    liegenschaft: {
      s_seqnr: 201, nr: 10001, bez: 'Wohnüberbauung Sonnenhof', mandant_seqnr: 101, mandant_nr: 1, lieggruppenk_seqnr: null, grundbuchanmerkung: null,
      strasse: 'Seestrasse 112', plzort: '8800 Thalwil', mitarbeiter_seqnr: options.mitarbeiter === null ? null : 7, mitarbeiter: options.managerText === undefined ? 'Sandra Brunner' : options.managerText,
      mitarbeiter2_seqnr: null, mitarbeiter2: null, buchhalter_seqnr: null, buchhalter: null, buchhalter2_seqnr: null, buchhalter2: null, gueltigvon: '1987-04-01T00:00:00', gueltigbis: null, ...stamps,
    },
    verhaeltnisse: (options.tenancies ?? []).map(([from, to, rolle], i) => ({
      s_seqnr: 5001 + i, gueltigvon: `${from}T00:00:00`, gueltigbis: to ? `${to}T00:00:00` : null, objekt_seqnr: 302, objekt_nr: 1012, liegenschaft_seqnr: 201, liegenschaft_nr: 10001,
      mandant_seqnr: 101, mandant_nr: 1, verhaeltnisstatus_nr: 1, mieter_seqnr: 800 + i, mieter_nr: 800 + i, mandanttyp_rolle: rolle ?? 'Mieter', mandanttyp_code: 'V', ...stamps,
    })),
    mitarbeiter:
      options.mitarbeiter === null
        ? null
        : {s_seqnr: 7, nr: 7, vorname: 'Sandra', name: 'Brunner', festnetz: '+41 44 720 11 22', mobile: '+41 79 720 11 22', fax: null, email: 'sandra.brunner@muster-immo.ch', geschlecht: 'W', ...stamps, ...options.mitarbeiter},
  }
}

describe('vacancyFromImmotop: W&W\'s documented columns only', () => {
  it('maps a vacant flat to a listing with what REST knows: title, address, availability, contact; type, rooms, area, floor and rent stay empty', () => {
    expect(listingFromVacancy(vacancyFromImmotop(wwRows({tenancies: [['2015-04-01', '2026-09-30']]}), TODAY))).toEqual({
      reference_number: '1.10001.1012',
      title: '4.5-Zimmerwohnung 2. OG rechts',
      description: null,
      object_type: null,
      object_category: null,
      move_in_date: null,
      availability: 'immediately',
      floor: null,
      floor_num: null,
      rooms: null,
      area: null,
      rentalgross_net: null,
      incidentals: null,
      rentalgross: null,
      deposit: null,
      price_unit: 'monthly',
      start_date: null,
      end_date: null,
      contact_person: {first_name: 'Sandra', surname: 'Brunner', email: 'sandra.brunner@muster-immo.ch', phone: '+41 44 720 11 22'},
      object_state: 'free',
      building: {building_title: 'Wohnüberbauung Sonnenhof', address: 'Seestrasse', house_number: '112', postal_code: '8800', city: 'Thalwil', land_code: 'CH', year_of_construction: null},
      managed_by: 'melon-immotop:rest',
    })
    expect(missingDetails(vacancyFromImmotop(wwRows(), TODAY))).toEqual(['object_type', 'rooms', 'area', 'floor', 'rent'])
  })

  it('the contact is the manager by mitarbeiter_seqnr: festnetz, else mobile; without a row, the Liegenschaft\'s mitarbeiter text', () => {
    expect(vacancyFromImmotop(wwRows(), TODAY).contact).toEqual({firstName: 'Sandra', surname: 'Brunner', email: 'sandra.brunner@muster-immo.ch', phone: '+41 44 720 11 22'})
    expect(vacancyFromImmotop(wwRows({mitarbeiter: {festnetz: null}}), TODAY).contact?.phone).toBe('+41 79 720 11 22')
    expect(vacancyFromImmotop(wwRows({mitarbeiter: {festnetz: null, mobile: null, email: null}}), TODAY).contact).toEqual({firstName: 'Sandra', surname: 'Brunner', email: null, phone: null})
    expect(vacancyFromImmotop(wwRows({mitarbeiter: null}), TODAY).contact).toEqual({firstName: 'Sandra', surname: 'Brunner', email: null, phone: null})
    expect(vacancyFromImmotop(wwRows({mitarbeiter: null, managerText: null}), TODAY).contact).toBeNull()
  })

  it('only Mieter relationships are tenancies: an open-ended Eigentümer row does not make a unit let', () => {
    expect(vacancyFromImmotop(wwRows({tenancies: [['2008-06-01', null, 'Eigentümer']]}), TODAY).availability).toEqual({kind: 'immediately'})
    expect(() => vacancyFromImmotop(wwRows({tenancies: [['2008-06-01', null, 'Mieter']]}), TODAY)).toThrowError(ConflictError)
    expect(() => vacancyFromImmotop(wwRows({tenancies: [['2008-06-01', null, ' mieter ']]}), TODAY)).toThrowError(/not vacant/)
    expect(isTenancy({mandanttyp_rolle: 'Eigentümer'})).toBe(false)
  })

  it('an Objekt whose gueltigbis is past is never published; one valid until today still is', () => {
    expect(() => vacancyFromImmotop(wwRows({objekt: {gueltigbis: '2026-08-31T00:00:00'}}), TODAY)).toThrowError(/1\.10001\.1012 is deactivated in Immotop 2 \(the Objekt is valid until 2026-08-31\)/)
    expect(vacancyFromImmotop(wwRows({objekt: {gueltigbis: `${TODAY}T00:00:00`}}), TODAY).availability).toEqual({kind: 'immediately'})
    expect(isPublishable(wwRows({objekt: {gueltigbis: '2026-08-31T00:00:00'}}), TODAY)).toBe(false)
    expect(isPublishable(wwRows(), TODAY)).toBe(true)
  })

  it('an Objekt valid only from a future gueltigvon is available from that day, or from the end of its tenancy if later', () => {
    expect(vacancyFromImmotop(wwRows({objekt: {gueltigvon: '2027-01-15T00:00:00'}}), TODAY).availability).toEqual({kind: 'from_date', date: '2027-01-15'})
    expect(vacancyFromImmotop(wwRows({objekt: {gueltigvon: '2027-01-15T00:00:00'}, tenancies: [['2020-01-01', '2027-03-31']]}), TODAY).availability).toEqual({kind: 'from_date', date: '2027-04-01'})
    expect(vacancyFromImmotop(wwRows({objekt: {gueltigvon: '2027-05-01T00:00:00'}, tenancies: [['2020-01-01', '2027-03-31']]}), TODAY).availability).toEqual({kind: 'from_date', date: '2027-05-01'})
  })

  it.each([
    ['let without end', [['2019-10-01', null]]],
    ['ended, successor signed', [['2018-01-01', '2026-10-31'], ['2026-12-01', null]]],
  ] as Array<[string, Array<[string, string | null]>]>)('refuses a unit that is %s with a conflict', (_name, tenancies) => {
    expect(() => vacancyFromImmotop(wwRows({tenancies}), TODAY)).toThrowError(ConflictError)
  })
})

describe('details from an export, merged into a REST vacancy', () => {
  const details: UnitDetails = {
    category: 'apartment', typeKey: 'flat', rooms: 4.5, areaM2: 104.5, floorLabel: '2. Obergeschoss', floorNum: 2,
    rent: {net: 2450, incidentals: 280, gross: 2730, deposit: null, unit: 'monthly'}, description: 'Hell', yearOfConstruction: 1987,
  }

  it('adds type, rooms, area, floor, rent, description and year; REST keeps title, address, availability and contact', () => {
    const rest = vacancyFromImmotop(wwRows({tenancies: [['2021-07-01', '2027-01-31']]}), TODAY)
    const merged = mergeDetails(rest, details)
    expect(merged).toMatchObject({title: rest.title, availability: {kind: 'from_date', date: '2027-02-01'}, contact: rest.contact, typeKey: 'flat', category: 'apartment', rooms: 4.5, areaM2: 104.5, floorNum: 2, description: 'Hell'})
    expect(merged.building).toEqual({...rest.building, yearOfConstruction: 1987})
    expect(missingDetails(merged)).toEqual([])
    expect(listingFromVacancy(merged)).toMatchObject({object_type: {key: 'flat'}, rentalgross: 2730, floor: '2. Obergeschoss'})
  })

  it('a details record without rent (dta-mpexp) leaves the rent missing', () => {
    expect(missingDetails(mergeDetails(vacancyFromImmotop(wwRows(), TODAY), {...details, rent: null}))).toEqual(['rent'])
  })
})

describe('listings', () => {
  const base = () => vacancyFromImmotop(wwRows(), TODAY)

  it('adds money without floating-point drift', () => {
    const listing = listingFromVacancy({...base(), rent: {net: 0.1, incidentals: 0.2, gross: null, deposit: null, unit: 'monthly'}})
    expect(listing.rentalgross).toBe(0.3)
  })

  it('a source without any rent keeps the rent melon has, or publishes "on request"', () => {
    const vacancy = {...base(), rent: null, source: 'dta-mpexp' as const}
    const fresh = listingFromVacancy(vacancy)
    expect([fresh.rentalgross_net, fresh.incidentals, fresh.rentalgross, fresh.deposit]).toEqual([null, null, null, null])
    const kept = listingFromVacancy(vacancy, {rentalgross_net: 2450, incidentals: 280, rentalgross: 2730, deposit: 7350, price_unit: 'monthly'})
    expect([kept.rentalgross_net, kept.incidentals, kept.rentalgross, kept.deposit]).toEqual([2450, 280, 2730, 7350])
    expect(kept.managed_by).toBe('melon-immotop:dta-mpexp')
  })

  it('managedBy names source and IDX feed; isManagedBy tells the tool\'s listings from everyone else\'s', () => {
    expect(managedBy('rest')).toBe('melon-immotop:rest')
    expect(managedBy('idx', 'sulzer')).toBe('melon-immotop:idx:sulzer')
    expect(listingFromVacancy({...base(), source: 'idx', feed: 'sulzer'}).managed_by).toBe('melon-immotop:idx:sulzer')
    expect(isManagedBy({managed_by: 'melon-immotop:idx:sulzer'})).toBe(true)
    expect(isManagedBy({managed_by: 'melon-immotop'})).toBe(true)
    expect(isManagedBy({managed_by: null})).toBe(false)
    expect(isManagedBy({managed_by: 'melon-immotopia'})).toBe(false)
  })

  it('changedListingFields names exactly the fields that differ', () => {
    const a = listingFromVacancy(base())
    expect(changedListingFields(a, {...a})).toEqual([])
    expect(changedListingFields(a, {...a, title: 'x', building: {...a.building, city: 'Zug'}})).toEqual(['title', 'building'])
  })
})
