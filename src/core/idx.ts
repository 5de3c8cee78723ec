/**
 * IDX 3.01, the Swiss portal feed: one record per line, 183 fields each
 * followed by `#`, no header. Pure parsing and mapping; no I/O.
 *
 * Tolerated as real files have them: CRLF or LF, no final newline, a last field
 * without its `#` (183 parts), an extra trailing `#` (185 parts), and the
 * encoding chosen per line (UTF-8 when valid, else ISO-8859-1).
 */
import {floorFromLevel, splitStreet} from './swiss-address.js'
import {decodeLine, htmlToText, splitLines, swissDate} from './text-decoding.js'
import type {Availability, ObjectCategory, Rent, Vacancy} from './vacancy.js'

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
  visitEmail: 84,
  lastModified: 178,
} as const

export interface IdxRecord {
  /** 1-based line number in the file. */
  line: number
  encoding: 'utf-8' | 'iso-8859-1'
  /** fields[0] is field 1. Always IDX_FIELDS long. */
  fields: string[]
}

export interface ParseProblem {
  line: number
  field?: string
  message: string
}

export interface IdxParse {
  records: IdxRecord[]
  problems: ParseProblem[]
}

export function parseIdx(buffer: Buffer): IdxParse {
  const records: IdxRecord[] = []
  const problems: ParseProblem[] = []
  splitLines(buffer).forEach((bytes, index) => {
    const line = index + 1
    if (bytes.length === 0 || bytes.every((b) => b === 0x20 || b === 0x09)) return
    const {text, encoding} = decodeLine(bytes)
    let parts = text.split('#')
    if (parts.length === IDX_FIELDS + 2 && parts.at(-1) === '' && parts.at(-2) === '') parts = parts.slice(0, IDX_FIELDS)
    else if (parts.length === IDX_FIELDS + 1 && parts.at(-1) === '') parts = parts.slice(0, IDX_FIELDS)
    if (parts.length !== IDX_FIELDS) {
      problems.push({line, message: `has ${parts.length - (parts.at(-1) === '' ? 1 : 0)} fields; IDX 3.01 has ${IDX_FIELDS}, each followed by #`})
      return
    }
    if (parts[0] !== 'IDX3.01') {
      problems.push({line, field: 'version (field 1)', message: `is "${parts[0]!.slice(0, 20)}", expected IDX3.01`})
      return
    }
    records.push({line, encoding, fields: parts})
  })
  return {records, problems}
}

const get = (record: IdxRecord, field: number) => record.fields[field - 1]!.trim()

/** The record's reference: ref_property.ref_house.ref_object. */
export function idxReference(record: IdxRecord): string {
  return [get(record, F.refProperty), get(record, F.refHouse), get(record, F.refObject)].join('.')
}

const CATEGORY: Record<string, {category: ObjectCategory; types: Record<string, string>; fallback: string}> = {
  APPT: {category: 'apartment', types: {'1': 'flat', '2': 'maisonette', '3': 'attic_flat', '4': 'roof_flat', '5': 'studio', '6': 'single_room', '7': 'loft', '8': 'terrace_flat'}, fallback: 'flat'},
  HOUSE: {category: 'house', types: {'1': 'single_house', '2': 'row_house', '3': 'bifamiliar_house', '4': 'terrace_house', '5': 'villa', '6': 'farm_house', '7': 'multiple_dwelling'}, fallback: 'single_house'},
  PARK: {category: 'parking', types: {'1': 'open_slot', '2': 'covered_slot', '3': 'single_garage', '4': 'double_garage', '5': 'underground_slot', '6': 'boat_dry_dock', '7': 'boat_landing_stage', '8': 'covered_parking_motorbike', '9': 'outdoor_parking_motorbike'}, fallback: 'open_slot'},
}

export type IdxOutcome =
  | {kind: 'vacancy'; record: IdxRecord; reference: string; vacancy: Vacancy}
  | {kind: 'skipped'; record: IdxRecord; reference: string; reason: string}
  | {kind: 'invalid'; record: IdxRecord; reference: string; problem: ParseProblem}

function num(record: IdxRecord, field: number, name: string): number | null {
  const raw = get(record, field)
  if (raw === '') return null
  const value = Number(raw.replace(/'/g, ''))
  if (!Number.isFinite(value)) throw {line: record.line, field: `${name} (field ${field})`, message: `"${raw.slice(0, 20)}" is not a number`} satisfies ParseProblem
  return value
}

/**
 * Maps one record to a vacancy, or says why it is skipped (SALE without
 * includeSale) or invalid (bad value, unsupported category, currency, unit).
 */
export function vacancyFromIdx(record: IdxRecord, options: {includeSale: boolean; today: string}): IdxOutcome {
  const reference = idxReference(record)
  const invalid = (field: string, message: string): IdxOutcome => ({kind: 'invalid', record, reference, problem: {line: record.line, field, message}})
  const offer = get(record, F.offerType)
  if (offer !== 'RENT' && offer !== 'SALE') return invalid(`offer_type (field ${F.offerType})`, `is "${offer}", expected RENT or SALE`)
  if (offer === 'SALE' && !options.includeSale) return {kind: 'skipped', record, reference, reason: 'SALE record (melon lets; pass --include-sale to publish it anyway)'}
  const categoryCode = get(record, F.objectCategory)
  const category = CATEGORY[categoryCode]
  if (!category) return invalid(`object_category (field ${F.objectCategory})`, `"${categoryCode}" is not supported; supported: ${Object.keys(CATEGORY).join(', ')}`)
  if (!get(record, F.refObject)) return invalid(`ref_object (field ${F.refObject})`, 'is empty')
  try {
    const currency = get(record, F.currency) || 'CHF'
    if (currency !== 'CHF') return invalid(`currency (field ${F.currency})`, `is "${currency}"; melon lists in CHF`)
    const unitCode = get(record, F.priceUnit).toUpperCase()
    const unit = offer === 'SALE' ? 'once' : ({'': 'monthly', MONTHLY: 'monthly', YEARLY: 'yearly'} as Record<string, Rent['unit']>)[unitCode]
    if (!unit) return invalid(`price_unit (field ${F.priceUnit})`, `"${unitCode}" is not supported for rent (MONTHLY or YEARLY)`)
    const selling = num(record, F.sellingPrice, 'selling_price')
    const net = num(record, F.rentNet, 'rent_net')
    const extra = num(record, F.rentExtra, 'rent_extra')
    let rent: Rent
    if (offer === 'SALE') {
      rent = {net: null, incidentals: null, gross: selling || null, deposit: null, unit}
    } else {
      // For RENT, selling_price is the gross rent; 0 or empty means "add net and extra".
      const gross = selling ? selling : net !== null ? net + (extra ?? 0) : null
      rent = {net: net || null, incidentals: extra ?? (net !== null && gross !== null ? gross - net : null), gross, deposit: null, unit}
    }
    let availability: Availability
    let date: string | null
    try {
      date = swissDate(get(record, F.availableFrom))
    } catch (error) {
      return invalid(`available_from (field ${F.availableFrom})`, (error as Error).message)
    }
    if (date === null) availability = {kind: 'on_request'}
    else if (date <= options.today) availability = {kind: 'immediately'}
    else availability = {kind: 'from_date', date}
    const rooms = num(record, F.rooms, 'number_of_rooms')
    const area = num(record, F.surfaceLiving, 'surface_living')
    const floor = num(record, F.floor, 'floor')
    const year = num(record, F.yearBuilt, 'year_built')
    const street = splitStreet(get(record, F.street))
    const visitName = get(record, F.visitName)
    const contactName = visitName || get(record, F.agencyName)
    const [first, ...rest] = contactName.split(/\s+/)
    const title = get(record, F.title)
    if (!title) return invalid(`title (field ${F.title})`, 'is empty')
    const vacancy: Vacancy = {
      unitRef: reference,
      source: 'idx',
      title,
      category: category.category,
      typeKey: category.types[get(record, F.objectType)] ?? category.fallback,
      rooms: rooms ? rooms : null,
      areaM2: area ? area : null,
      floorLabel: floorFromLevel(floor === null ? null : Math.trunc(floor)).label,
      floorNum: floorFromLevel(floor === null ? null : Math.trunc(floor)).num,
      rent,
      availability,
      description: get(record, F.description) ? htmlToText(get(record, F.description)) : null,
      building: {
        title: get(record, F.street) || title,
        street: street.street,
        houseNumber: street.houseNumber,
        postalCode: get(record, F.zip),
        city: get(record, F.city),
        countryCode: (get(record, F.country) || 'CH').toUpperCase(),
        yearOfConstruction: year && year > 1000 ? year : null,
      },
      contact: contactName
        ? {
            firstName: rest.length ? first! : '',
            surname: rest.length ? rest.join(' ') : first!,
            email: get(record, F.visitEmail) || get(record, F.agencyEmail) || null,
            phone: get(record, F.visitPhone) || get(record, F.agencyPhone) || null,
          }
        : null,
    }
    return {kind: 'vacancy', record, reference, vacancy}
  } catch (problem) {
    if (problem && typeof problem === 'object' && 'message' in problem && 'line' in problem) return {kind: 'invalid', record, reference, problem: problem as ParseProblem}
    throw problem
  }
}
