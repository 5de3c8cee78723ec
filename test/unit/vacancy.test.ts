import {describe, expect, it} from 'vitest'
import {changedListingFields, isManagedBy, listingFromVacancy} from '../../src/core/listing.js'
import {floorFromLevel, splitPostalCity, splitStreet} from '../../src/core/swiss-address.js'
import {objectKind, vacancyFromImmotop, vacancyStatus} from '../../src/core/vacancy.js'
import {ConflictError, RemoteRejectedError} from '../../src/errors.js'
import {immotopSeed} from '../../src/sandbox/seed.js'

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

describe('objectKind', () => {
  it('maps W&W object kinds case-insensitively', () => {
    expect(objectKind('Wohnung', '1.1.1')).toEqual({category: 'apartment', typeKey: 'flat'})
    expect(objectKind('EINSTELLHALLENPLATZ', '1.1.1')).toEqual({category: 'parking', typeKey: 'underground_slot'})
  })
  it('refuses an unknown kind instead of dropping it, naming unit and kind', () => {
    expect(() => objectKind('Bootsplatz', '1.2.3')).toThrowError(RemoteRejectedError)
    expect(() => objectKind('Bootsplatz', '1.2.3')).toThrowError(/1\.2\.3.*Bootsplatz/)
  })
})

describe('vacancyFromImmotop → listingFromVacancy', () => {
  const data = immotopSeed(TODAY)
  const rowsOf = (l: number, o: number) => {
    const liegenschaft = data.GetDmsLiegenschaft.find((x) => x.nr === l)!
    return {
      objekt: data.GetDmsObjekt.find((x) => x.liegenschaft_nr === l && x.nr === o)!,
      liegenschaft,
      verhaeltnisse: data.GetDmsVerhaeltnis.filter((v) => v.liegenschaft_nr === l && v.objekt_nr === o),
      mitarbeiter: data.GetDmsMitarbeiter.find((m) => m.nr === liegenschaft.mitarbeiter) ?? null,
    }
  }

  it('maps a vacant flat to every melon listing field', () => {
    expect(listingFromVacancy(vacancyFromImmotop(rowsOf(10001, 1012), TODAY))).toEqual({
      reference_number: '1.10001.1012',
      title: '4.5-Zimmerwohnung 2. OG rechts',
      description: null,
      object_type: {key: 'flat'},
      object_category: {key: 'apartment'},
      move_in_date: null,
      availability: 'immediately',
      floor: '2. Obergeschoss',
      floor_num: 2,
      rooms: 4.5,
      area: 104.5,
      rentalgross_net: 2450,
      incidentals: 280,
      rentalgross: 2730,
      deposit: 7350,
      price_unit: 'monthly',
      start_date: null,
      end_date: null,
      contact_person: {first_name: 'Sandra', surname: 'Brunner', email: 'sandra.brunner@muster-immo.ch', phone: '+41 44 720 11 22'},
      object_state: 'free',
      building: {
        building_title: 'Wohnüberbauung Sonnenhof',
        address: 'Seestrasse',
        house_number: '112',
        postal_code: '8800',
        city: 'Thalwil',
        land_code: 'CH',
        year_of_construction: 1987,
      },
      managed_by: 'melon-immotop:rest',
    })
  })

  it('a unit whose tenancy ends is published with the day after as move-in date, on the roof floor', () => {
    const listing = listingFromVacancy(vacancyFromImmotop(rowsOf(10001, 1013), TODAY))
    expect(listing.move_in_date).toBe('2027-02-01')
    expect(listing.availability).toBe('from_date')
    expect(listing.floor).toBe('Dachgeschoss')
    expect(listing.floor_num).toBeNull()
    expect(listing.rentalgross).toBe(1870)
  })

  it('a parking space in the basement has no rooms', () => {
    const listing = listingFromVacancy(vacancyFromImmotop(rowsOf(10001, 1901), TODAY))
    expect(listing).toMatchObject({object_category: {key: 'parking'}, object_type: {key: 'underground_slot'}, rooms: null, floor: '1. Untergeschoss', deposit: null})
  })

  it.each([
    [10001, 1011],
    [10001, 1014],
    [10002, 2001],
  ])('refuses the let unit 1.%i.%i with a conflict', (l, o) => {
    expect(() => vacancyFromImmotop(rowsOf(l, o), TODAY)).toThrowError(ConflictError)
  })

  it('adds money without floating-point drift', () => {
    const rows = rowsOf(10001, 1012)
    const listing = listingFromVacancy(vacancyFromImmotop({...rows, objekt: {...rows.objekt, nettomiete: 0.1, nebenkosten: 0.2}}, TODAY))
    expect(listing.rentalgross).toBe(0.3)
  })

  it('a source without any rent keeps the rent melon has, or publishes "on request"', () => {
    const vacancy = {...vacancyFromImmotop(rowsOf(10001, 1012), TODAY), rent: null, source: 'dta-mpexp' as const}
    const fresh = listingFromVacancy(vacancy)
    expect([fresh.rentalgross_net, fresh.incidentals, fresh.rentalgross, fresh.deposit]).toEqual([null, null, null, null])
    const kept = listingFromVacancy(vacancy, {rentalgross_net: 2450, incidentals: 280, rentalgross: 2730, deposit: 7350, price_unit: 'monthly'})
    expect([kept.rentalgross_net, kept.incidentals, kept.rentalgross, kept.deposit]).toEqual([2450, 280, 2730, 7350])
    expect(kept.managed_by).toBe('melon-immotop:dta-mpexp')
  })

  it('isManagedBy tells the tool\'s listings, per source, from everyone else\'s', () => {
    expect(isManagedBy({managed_by: 'melon-immotop:idx'})).toBe(true)
    expect(isManagedBy({managed_by: 'melon-immotop:idx'}, 'idx')).toBe(true)
    expect(isManagedBy({managed_by: 'melon-immotop:idx'}, 'rest')).toBe(false)
    expect(isManagedBy({managed_by: 'melon-immotop'})).toBe(true)
    expect(isManagedBy({managed_by: null})).toBe(false)
    expect(isManagedBy({managed_by: 'melon-immotopia'})).toBe(false)
  })

  it('changedListingFields names exactly the fields that differ', () => {
    const a = listingFromVacancy(vacancyFromImmotop(rowsOf(10001, 1012), TODAY))
    expect(changedListingFields(a, {...a})).toEqual([])
    expect(changedListingFields(a, {...a, title: 'x', building: {...a.building, city: 'Zug'}})).toEqual(['title', 'building'])
  })
})
