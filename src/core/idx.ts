/**
 * IDX 3.01, the Swiss portal feed: one record per line, 183 fields each
 * followed by `#`, no header. Pure parsing and mapping; no I/O.
 *
 * Tolerated as real files have them: CRLF or LF, no final newline, a last field
 * without its `#` (183 parts), an extra trailing `#` (185 parts), and the
 * encoding chosen per line (UTF-8 when valid, else Windows-1252, the superset
 * of ISO-8859-1 that Windows tools write).
 */
import type {ParseProblem} from './parse-problem.js'
import {floorFromLevel, splitStreet} from './swiss-address.js'
import {swissDate} from './swiss-date.js'
import {decodeLine, htmlToText, splitLines} from './text-decoding.js'
import {detailFields, type Availability, type ObjectCategory, type Rent, type UnitDetails, type Vacancy} from './vacancy.js'

export const IDX_FIELDS = 183

/** 1-based field numbers of IDX 3.01 used here. */
export const F = {
  version: 1,
  senderId: 2,
  objectCategory: 3,
  objectType: 4,
  offerType: 5,
  refProperty: 6,
  refHouse: 7,
  refObject: 8,
  street: 9,
  zip: 10,
  city: 11,
  canton: 12,
  country: 13,
  availableFrom: 16,
  title: 17,
  description: 18,
  sellingPrice: 19,
  rentNet: 20,
  rentExtra: 21,
  priceUnit: 22,
  currency: 23,
  floor: 25,
  rooms: 26,
  surfaceLiving: 28,
  yearBuilt: 32,
  agencyId: 69,
  agencyName: 70,
  agencyPhone: 77,
  agencyEmail: 80,
  visitName: 82,
  visitPhone: 83,
  lastModified: 178,
} as const

export interface IdxRecord {
  /** 1-based line number in the file. */
  line: number
  encoding: 'utf-8' | 'windows-1252'
  /** The decoded line. A field is cut from it when it is used (`idxField`): a record uses about 30 of its 183. */
  text: string
  /** ends[i] is where field i + 1 ends in `text` (its `#`, or the end of the line). Always IDX_FIELDS long. */
  ends: Int32Array
}

/** Field `n` (1-based) as the line has it, untrimmed. */
export function idxField(record: IdxRecord, n: number): string {
  return record.text.slice(n === 1 ? 0 : record.ends[n - 2]! + 1, record.ends[n - 1])
}


export interface IdxParse {
  records: IdxRecord[]
  problems: ParseProblem[]
}

export function parseIdx(buffer: Buffer): IdxParse {
  const records: IdxRecord[] = []
  const problems: ParseProblem[] = []
  splitLines(buffer).forEach((bytes, index) => {
    const parsed = parseIdxLine(bytes, index + 1)
    if (parsed === null) return
    if ('ends' in parsed) records.push(parsed)
    else problems.push(parsed)
  })
  return {records, problems}
}

/**
 * One line of a feed: a record, a problem, or null for a blank line. Lets a
 * caller read a feed as a stream and keep nothing of a record once it is used.
 */
export function parseIdxLine(bytes: Buffer, line: number): IdxRecord | ParseProblem | null {
  if (bytes.length === 0 || bytes.every((b) => b === 0x20 || b === 0x09)) return null
  const {text, encoding} = decodeLine(bytes)
  // Where each field ends; the fields themselves are not cut out (183 strings per line were most of the garbage).
  const ends = new Int32Array(IDX_FIELDS)
  let hashes = 0
  for (let at = text.indexOf('#'); at !== -1; at = text.indexOf('#', at + 1)) {
    if (hashes < IDX_FIELDS) ends[hashes] = at
    hashes++
  }
  const endsWithHash = text.endsWith('#')
  // Tolerated: 183 fields each followed by # (184 parts when split), an extra trailing # (185), the last # missing (183).
  const complete = (hashes === IDX_FIELDS && endsWithHash) || (hashes === IDX_FIELDS + 1 && text.endsWith('##'))
  if (hashes === IDX_FIELDS - 1) ends[IDX_FIELDS - 1] = text.length
  else if (!complete) return {line, message: `has ${hashes + 1 - (endsWithHash ? 1 : 0)} fields; IDX 3.01 has ${IDX_FIELDS}, each followed by #`}
  const record: IdxRecord = {line, encoding, text, ends}
  const version = idxField(record, 1)
  if (version !== 'IDX3.01') return {line, field: 'version (field 1)', message: `is "${version.slice(0, 20)}", expected IDX3.01`}
  return record
}

const get = (record: IdxRecord, field: number) => idxField(record, field).trim()

/** The record's reference: ref_property.ref_house.ref_object (blank refs stay as empty parts). */
export function idxReference(record: IdxRecord): string {
  return [get(record, F.refProperty), get(record, F.refHouse), get(record, F.refObject)].join('.')
}

/** The agency that sends the feed (field 69); with the reference, the record key per spec. */
export function idxAgency(record: IdxRecord): string {
  return get(record, F.agencyId)
}

/** A reference with numeric parts compared as numbers: "001.10001.1012" matches unit 1.10001.1012. */
export function normalizeReference(reference: string): string {
  return reference
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? String(Number(part)) : part))
    .join('.')
}

type Category = {category: ObjectCategory; types: Record<number, string>}
const numbered = (prefix: string, from: number, to: number): Record<number, string> =>
  Object.fromEntries(Array.from({length: to - from + 1}, (_, i) => [from + i, `${prefix}_${from + i}`]))

/**
 * IDX 3.01 object_type code tables (spec §5, docs/contracts/immotop2.md). Where
 * the spec names a type, the key says it; GASTRO, INDUS, AGRI, GARDEN and PROP
 * codes keep their number (`gastro_3`), which is stable and guesses nothing.
 */
export const IDX_CATEGORIES: Record<string, Category> = {
  APPT: {
    category: 'apartment',
    types: {1: 'flat', 2: 'maisonette', 3: 'attic_flat', 4: 'roof_flat', 5: 'studio', 6: 'single_room', 7: 'furnished_flat', 8: 'terrace_flat', 9: 'bachelor_flat', 10: 'loft', 11: 'attic'},
  },
  HOUSE: {
    category: 'house',
    types: {1: 'single_house', 2: 'row_house', 3: 'bifamiliar_house', 4: 'terrace_house', 5: 'villa', 6: 'farm_house', 7: 'multiple_dwelling', 9: 'cave_house', 10: 'castle', 11: 'granny_flat', 12: 'chalet', 13: 'rustico'},
  },
  PARK: {
    category: 'parking',
    types: {1: 'open_slot', 2: 'covered_slot', 3: 'single_garage', 4: 'double_garage', 5: 'underground_slot', 7: 'boat_dry_dock', 8: 'boat_landing_stage', 9: 'covered_parking_motorbike', 10: 'outdoor_parking_motorbike', 11: 'horse_box', 12: 'boat_mooring'},
  },
  AGRI: {category: 'agriculture', types: numbered('agri', 1, 3)},
  GARDEN: {category: 'garden', types: numbered('garden', 1, 1)},
  GASTRO: {category: 'gastronomy', types: numbered('gastro', 1, 17)},
  INDUS: {category: 'industrial', types: numbered('industrial', 1, 38)},
  PROP: {category: 'plot', types: numbered('plot', 1, 4)},
  SECONDARY: {category: 'secondary', types: {0: 'hobby_room', 1: 'cellar_compartment', 2: 'attic_compartment'}},
}

export type IdxOutcome =
  | {kind: 'vacancy'; record: IdxRecord; reference: string; vacancy: Vacancy}
  | {kind: 'skipped'; record: IdxRecord; reference: string; reason: string}
  | {kind: 'invalid'; record: IdxRecord; reference: string; problem: ParseProblem}

/** Thrown inside this module only, caught into an `invalid` outcome. */
class RecordProblem {
  constructor(readonly problem: ParseProblem) {}
}

function problemAt(record: IdxRecord, field: string, message: string): RecordProblem {
  return new RecordProblem({line: record.line, field, message})
}

function num(record: IdxRecord, field: number, name: string): number | null {
  const raw = get(record, field)
  if (raw === '') return null
  // Swiss thousands separators (1'850); most numbers have none, and the replace would cost more than the number.
  const value = Number(raw.includes("'") ? raw.replace(/'/g, '') : raw)
  if (!Number.isFinite(value)) throw problemAt(record, `${name} (field ${field})`, `"${raw.slice(0, 20)}" is not a number`)
  return value
}

/** Money in CHF with at most two decimals. */
const chf = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100)

/**
 * The rent in CHF per month (melon's unit), converted from the record's
 * price_unit where that is exact: MONTHLY as is, YEARLY ÷ 12, M2YEARLY × the
 * living surface ÷ 12. WEEKLY and DAILY rents, and M2YEARLY without a surface,
 * cannot be converted without guessing: they are reported.
 */
function rentOf(record: IdxRecord, offer: 'RENT' | 'SALE', area: number | null): Rent {
  const field = `price_unit (field ${F.priceUnit})`
  const unitCode = get(record, F.priceUnit).toUpperCase()
  const selling = num(record, F.sellingPrice, 'selling_price')
  if (offer === 'SALE') {
    if (unitCode === 'SELLM2') {
      if (!area) throw problemAt(record, field, 'is SELLM2 (price per m²), but surface_living (field 28) is empty, so the price cannot be computed')
      return {net: null, incidentals: null, gross: selling ? chf(selling * area) : null, deposit: null, unit: 'once'}
    }
    return {net: null, incidentals: null, gross: selling || null, deposit: null, unit: 'once'}
  }
  let factor: number
  if (unitCode === '' || unitCode === 'MONTHLY') factor = 1
  else if (unitCode === 'YEARLY') factor = 1 / 12
  else if (unitCode === 'M2YEARLY') {
    if (!area) throw problemAt(record, field, 'is M2YEARLY (CHF per m² and year), but surface_living (field 28) is empty, so the monthly rent cannot be computed')
    factor = area / 12
  } else if (unitCode === 'WEEKLY' || unitCode === 'DAILY') {
    throw problemAt(record, field, `is ${unitCode}; a ${unitCode.toLowerCase()} rent cannot be converted to melon's monthly rent without guessing`)
  } else {
    throw problemAt(record, field, `"${unitCode.slice(0, 20)}" is not supported for rent (MONTHLY, YEARLY or M2YEARLY)`)
  }
  const net = num(record, F.rentNet, 'rent_net')
  const extra = num(record, F.rentExtra, 'rent_extra')
  // For RENT, selling_price is the gross rent; 0 or empty means "add net and extra".
  const gross = selling ? selling : net !== null ? net + (extra ?? 0) : null
  const incidentals = extra ?? (net !== null && gross !== null ? gross - net : null)
  const scale = (value: number | null) => (value === null ? null : chf(value * factor))
  return {net: net ? scale(net) : null, incidentals: scale(incidentals), gross: scale(gross), deposit: null, unit: 'monthly'}
}

/**
 * What an IDX record says about its unit beyond the address: type, rooms,
 * area, floor, rent, description, year built. Used for IDX listings and as
 * the details of a REST vacancy (publish --details).
 */
export function idxDetails(record: IdxRecord, offer: 'RENT' | 'SALE', options: {describe?: boolean} = {}): UnitDetails {
  const categoryCode = get(record, F.objectCategory)
  const category = IDX_CATEGORIES[categoryCode]
  if (!category) throw problemAt(record, `object_category (field ${F.objectCategory})`, `"${categoryCode.slice(0, 20)}" is not an IDX 3.01 category; known: ${Object.keys(IDX_CATEGORIES).join(', ')}`)
  const typeCode = get(record, F.objectType)
  const typeKey = /^\d+$/.test(typeCode) ? category.types[Number(typeCode)] : undefined
  if (!typeKey) {
    const codes = Object.keys(category.types).map(Number)
    throw problemAt(record, `object_type (field ${F.objectType})`, `"${typeCode.slice(0, 20)}" is not an IDX 3.01 code for ${categoryCode} (${codes.join(', ')})`)
  }
  const currency = get(record, F.currency) || 'CHF'
  if (currency !== 'CHF') throw problemAt(record, `currency (field ${F.currency})`, `is "${currency.slice(0, 20)}"; melon lists in CHF`)
  const rooms = num(record, F.rooms, 'number_of_rooms')
  const area = num(record, F.surfaceLiving, 'surface_living')
  const floor = num(record, F.floor, 'floor')
  const year = num(record, F.yearBuilt, 'year_built')
  const level = floorFromLevel(floor === null ? null : Math.trunc(floor))
  return {
    category: category.category,
    typeKey,
    rooms: rooms ? rooms : null,
    areaM2: area ? area : null,
    floorLabel: level.label,
    floorNum: level.num,
    rent: rentOf(record, offer, area),
    description: options.describe !== false && get(record, F.description) ? htmlToText(get(record, F.description)) : null,
    yearOfConstruction: year && year > 1000 ? year : null,
  }
}

function availabilityOf(record: IdxRecord, today: string): Availability {
  let date: string | null
  try {
    date = swissDate(get(record, F.availableFrom))
  } catch (error) {
    throw problemAt(record, `available_from (field ${F.availableFrom})`, (error as Error).message)
  }
  if (date === null) return {kind: 'on_request'}
  if (date <= today) return {kind: 'immediately'}
  return {kind: 'from_date', date}
}

/** The offer type, or a problem: RENT and SALE are the two IDX knows. */
export function idxOffer(record: IdxRecord): 'RENT' | 'SALE' | ParseProblem {
  const offer = get(record, F.offerType)
  if (offer === 'RENT' || offer === 'SALE') return offer
  return {line: record.line, field: `offer_type (field ${F.offerType})`, message: `is "${offer.slice(0, 20)}", expected RENT or SALE`}
}

/** Per spec, at least one of ref_property, ref_house, ref_object is not blank. */
export function idxRefProblem(record: IdxRecord): ParseProblem | null {
  if (get(record, F.refProperty) || get(record, F.refHouse) || get(record, F.refObject)) return null
  return {line: record.line, field: `ref_property / ref_house / ref_object (fields ${F.refProperty} to ${F.refObject})`, message: 'are all empty; at least one reference is needed'}
}

/** Runs a mapping step, turning a record problem into its ParseProblem. */
export function catchProblem<T>(run: () => T): T | ParseProblem {
  try {
    return run()
  } catch (error) {
    if (error instanceof RecordProblem) return error.problem
    throw error
  }
}

export const isProblem = (value: unknown): value is ParseProblem => typeof value === 'object' && value !== null && 'line' in value && 'message' in value && !('kind' in value)

/**
 * Maps one record to a vacancy, or says why it is skipped (SALE without
 * includeSale) or invalid (bad value, unknown code, currency, unit).
 * `describe: false` leaves the description out (it cannot make a record
 * invalid): for a pass that only checks the records.
 */
export function vacancyFromIdx(record: IdxRecord, options: {includeSale: boolean; today: string; describe?: boolean}): IdxOutcome {
  const reference = idxReference(record)
  const offer = idxOffer(record)
  if (typeof offer !== 'string') return {kind: 'invalid', record, reference, problem: offer}
  if (offer === 'SALE' && !options.includeSale) return {kind: 'skipped', record, reference, reason: 'SALE record (melon lets; pass --include-sale to publish it anyway)'}
  const refProblem = idxRefProblem(record)
  if (refProblem) return {kind: 'invalid', record, reference, problem: refProblem}
  const mapped = catchProblem(() => {
    const details = idxDetails(record, offer, {describe: options.describe})
    const availability = availabilityOf(record, options.today)
    const title = get(record, F.title)
    if (!title) throw problemAt(record, `title (field ${F.title})`, 'is empty')
    const street = splitStreet(get(record, F.street))
    // visit_email (field 84) is marked "not used" in the spec: the agency's e-mail is the contact's.
    const contactName = get(record, F.visitName) || get(record, F.agencyName)
    const [first, ...rest] = contactName.split(/\s+/)
    const agency = idxAgency(record)
    const vacancy: Vacancy = {
      unitRef: reference,
      source: 'idx',
      ...(agency ? {feed: agency} : {}),
      title,
      ...detailFields(details),
      availability,
      building: {
        title: get(record, F.street) || title,
        street: street.street,
        houseNumber: street.houseNumber,
        postalCode: get(record, F.zip),
        city: get(record, F.city),
        countryCode: (get(record, F.country) || 'CH').toUpperCase(),
        yearOfConstruction: details.yearOfConstruction,
      },
      contact: contactName
        ? {
            firstName: rest.length ? first! : '',
            surname: rest.length ? rest.join(' ') : first!,
            email: get(record, F.agencyEmail) || null,
            phone: get(record, F.visitPhone) || get(record, F.agencyPhone) || null,
          }
        : null,
    }
    return vacancy
  })
  if (isProblem(mapped)) return {kind: 'invalid', record, reference, problem: mapped}
  return {kind: 'vacancy', record, reference, vacancy: mapped}
}
