/**
 * A vacancy (Leerstand) as the project models it, independent of where it was
 * read from (Immotop 2 REST views today; dta-mpexp and IDX later), and the pure
 * rules that decide whether a unit is vacant.
 */
import type {LiegenschaftRow, MitarbeiterRow, ObjektRow, VerhaeltnisRow} from '../contracts/immotop-wire.js'
import {ConflictError, RemoteRejectedError} from '../errors.js'
import {addDays, floorFromLevel, isoDay, splitPostalCity, splitStreet} from './swiss-address.js'
import {formatUnitRef} from './unit-ref.js'

export type ObjectCategory = 'apartment' | 'house' | 'parking' | 'commercial'

/** Where a vacancy was read from; also recorded in the listing's managed_by. */
export type VacancySource = 'rest' | 'dta-mpexp' | 'idx'

export type Availability = {kind: 'immediately'} | {kind: 'on_request'} | {kind: 'from_date'; date: string}

export interface Rent {
  /** CHF; null where the source has no value ("on request"). */
  net: number | null
  incidentals: number | null
  gross: number | null
  deposit: number | null
  unit: 'monthly' | 'yearly' | 'once'
}

export interface Vacancy {
  unitRef: string
  source: VacancySource
  title: string
  category: ObjectCategory
  typeKey: string
  rooms: number | null
  areaM2: number | null
  floorLabel: string | null
  floorNum: number | null
  /** null: the source carries no rent at all (dta-mpexp); melon's current rent is kept. */
  rent: Rent | null
  availability: Availability
  description: string | null
  building: {
    title: string
    street: string
    houseNumber: string | null
    postalCode: string
    city: string
    countryCode: string
    yearOfConstruction: number | null
  }
  contact: {firstName: string; surname: string; email: string | null; phone: string | null} | null
}

export interface TenancyPeriod {
  from: string | null
  to: string | null
}

export type VacancyStatus =
  | {vacant: true; availableFrom: string | null; reason: 'no_tenancy' | 'tenancy_ends'}
  | {vacant: false; reason: 'let' | 'future_tenancy'}

/**
 * A unit is vacant when no tenancy covers today or later, or when the tenancy
 * covering today has an end date and no tenancy follows it. In the second case
 * it becomes available the day after that end date.
 */
export function vacancyStatus(tenancies: TenancyPeriod[], today: string): VacancyStatus {
  const relevant = tenancies.filter((t) => t.to === null || t.to >= today)
  // Every tenancy ended before today (or there never was one): free immediately.
  if (relevant.length === 0) return {vacant: true, availableFrom: null, reason: 'no_tenancy'}
  const current = relevant.find((t) => (t.from === null || t.from <= today))
  const future = relevant.filter((t) => t.from !== null && t.from > today)
  if (!current) return {vacant: false, reason: 'future_tenancy'}
  if (current.to === null) return {vacant: false, reason: 'let'}
  const successor = future.some((t) => t.from !== null && t.from > current.to!)
  if (successor) return {vacant: false, reason: 'future_tenancy'}
  return {vacant: true, availableFrom: addDays(current.to, 1), reason: 'tenancy_ends'}
}

const OBJECT_KINDS: Record<string, {category: ObjectCategory; typeKey: string}> = {
  wohnung: {category: 'apartment', typeKey: 'flat'},
  maisonette: {category: 'apartment', typeKey: 'maisonette'},
  attikawohnung: {category: 'apartment', typeKey: 'attic_flat'},
  studio: {category: 'apartment', typeKey: 'studio'},
  einfamilienhaus: {category: 'house', typeKey: 'single_house'},
  reihenhaus: {category: 'house', typeKey: 'row_house'},
  parkplatz: {category: 'parking', typeKey: 'open_slot'},
  einstellhallenplatz: {category: 'parking', typeKey: 'underground_slot'},
  garage: {category: 'parking', typeKey: 'single_garage'},
  gewerbe: {category: 'commercial', typeKey: 'commercial'},
  büro: {category: 'commercial', typeKey: 'office'},
  buero: {category: 'commercial', typeKey: 'office'},
}

export function objectKind(objektart: string, unitRef: string): {category: ObjectCategory; typeKey: string} {
  const kind = OBJECT_KINDS[objektart.trim().toLowerCase()]
  if (!kind) {
    throw new RemoteRejectedError(
      'UNKNOWN_OBJECT_KIND',
      `Unit ${unitRef} has objektart "${objektart}", which melon-immotop cannot map to a melon object type.`,
      `Known kinds: ${Object.keys(OBJECT_KINDS).join(', ')}. Ask the melon-immotop maintainers to add this one.`,
    )
  }
  return kind
}

export interface ImmotopUnitRows {
  objekt: ObjektRow
  liegenschaft: LiegenschaftRow
  verhaeltnisse: VerhaeltnisRow[]
  mitarbeiter: MitarbeiterRow | null
}

/** Builds the vacancy of one unit from the REST view rows, or says why it is not vacant. */
export function vacancyFromImmotop(rows: ImmotopUnitRows, today: string): Vacancy {
  const {objekt, liegenschaft} = rows
  const unitRef = formatUnitRef({mandant: objekt.mandant_nr, liegenschaft: objekt.liegenschaft_nr, objekt: objekt.nr})
  const status = vacancyStatus(
    rows.verhaeltnisse.map((v) => ({from: isoDay(v.gueltigvon), to: isoDay(v.gueltigbis)})),
    today,
  )
  if (!status.vacant) {
    throw new ConflictError(
      'UNIT_NOT_VACANT',
      `Unit ${unitRef} is not vacant: it has ${status.reason === 'let' ? 'a current tenancy without end date' : 'a future tenancy'} in Immotop 2.`,
      'Publish only vacant units. Check the unit\'s Verhältnisse in Immotop 2.',
    )
  }
  const kind = objectKind(objekt.objektart, unitRef)
  const street = splitStreet(liegenschaft.strasse ?? '')
  const place = splitPostalCity(liegenschaft.plzort ?? '')
  const floor = floorFromLevel(objekt.etage)
  const mitarbeiter = rows.mitarbeiter
  return {
    unitRef,
    title: objekt.bez,
    category: kind.category,
    typeKey: kind.typeKey,
    rooms: objekt.zimmer,
    areaM2: objekt.flaeche,
    floorLabel: floor.label,
    floorNum: floor.num,
    source: 'rest',
    rent: {net: objekt.nettomiete, incidentals: objekt.nebenkosten, gross: objekt.nettomiete + objekt.nebenkosten, deposit: objekt.kaution, unit: 'monthly'},
    availability: status.availableFrom ? {kind: 'from_date', date: status.availableFrom} : {kind: 'immediately'},
    description: null,
    building: {
      title: liegenschaft.bez,
      street: street.street,
      houseNumber: street.houseNumber,
      postalCode: place.postalCode,
      city: place.city,
      countryCode: 'CH',
      yearOfConstruction: liegenschaft.baujahr ?? null,
    },
    contact: mitarbeiter
      ? {firstName: mitarbeiter.vorname ?? '', surname: mitarbeiter.name, email: mitarbeiter.email, phone: mitarbeiter.telefon}
      : null,
  }
}
