/**
 * A vacancy (Leerstand) as the project models it, independent of where it was
 * read from (Immotop 2 REST views, a dta-mpexp export, an IDX 3.01 feed), the
 * pure rules that decide whether a unit is vacant, and the merge of a REST
 * vacancy with the details only an export carries.
 */
import type {LiegenschaftRow, MitarbeiterRow, ObjektRow, VerhaeltnisRow} from '../wire/immotop-wire.js'
import {ConflictError} from '../errors.js'
import {addDays, isoDay, splitPostalCity, splitStreet} from './swiss-address.js'
import {formatUnitRef} from './unit-ref.js'

/** melon's object categories; IDX categories map onto them (see idx.ts). */
export type ObjectCategory = 'apartment' | 'house' | 'parking' | 'commercial' | 'gastronomy' | 'industrial' | 'agriculture' | 'garden' | 'plot' | 'secondary'

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
  /** The feed within the source that owns the listing: an IDX record's agency_id. */
  feed?: string
  title: string
  /** null: the source does not know it (REST without a details file). */
  category: ObjectCategory | null
  typeKey: string | null
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
  const fold = new TenancyFold(today)
  for (const tenancy of tenancies) fold.add(tenancy)
  return fold.status()
}

/**
 * vacancyStatus one tenancy at a time, keeping only what decides it: whether
 * any tenancy still counts, the end of the first one covering today, and the
 * latest start after today. A long export then keeps three values per unit,
 * not its history.
 */
export class TenancyFold {
  private counts = false
  /** The end of the first tenancy (in the order given) covering today: undefined while there is none, null when open. */
  private currentTo: string | null | undefined = undefined
  private latestFutureFrom: string | null = null

  constructor(private readonly today: string) {}

  add({from, to}: TenancyPeriod): void {
    // Ended before today: it no longer counts.
    if (to !== null && to < this.today) return
    this.counts = true
    if (from === null || from <= this.today) {
      if (this.currentTo === undefined) this.currentTo = to
    } else if (this.latestFutureFrom === null || from > this.latestFutureFrom) {
      this.latestFutureFrom = from
    }
  }

  status(): VacancyStatus {
    // Every tenancy ended before today (or there never was one): free immediately.
    if (!this.counts) return {vacant: true, availableFrom: null, reason: 'no_tenancy'}
    if (this.currentTo === undefined) return {vacant: false, reason: 'future_tenancy'}
    if (this.currentTo === null) return {vacant: false, reason: 'let'}
    if (this.latestFutureFrom !== null && this.latestFutureFrom > this.currentTo) return {vacant: false, reason: 'future_tenancy'}
    return {vacant: true, availableFrom: addDays(this.currentTo, 1), reason: 'tenancy_ends'}
  }
}

export interface ImmotopUnitRows {
  objekt: ObjektRow
  liegenschaft: LiegenschaftRow
  verhaeltnisse: VerhaeltnisRow[]
  mitarbeiter: MitarbeiterRow | null
}

/** Only tenancies count: W&W's Verhältnis also holds ownership (`Eigentümer`, in Stockwerk mandants). */
export function isTenancy(row: Pick<VerhaeltnisRow, 'mandanttyp_rolle'>): boolean {
  return row.mandanttyp_rolle.trim().toLowerCase() === 'mieter'
}

/**
 * Builds the vacancy of one unit from W&W's documented view columns, or says
 * why it is not published: deactivated (`gueltigbis` past) or let. An Objekt
 * valid only from a future `gueltigvon` is available from that day. The REST
 * views carry no rooms, area, floor, type or rent: those come from a details
 * file (`mergeDetails`).
 */
export function vacancyFromImmotop(rows: ImmotopUnitRows, today: string): Vacancy {
  const {objekt, liegenschaft} = rows
  const unitRef = formatUnitRef({mandant: objekt.mandant_nr, liegenschaft: objekt.liegenschaft_nr, objekt: objekt.nr})
  const validTo = isoDay(objekt.gueltigbis)
  if (validTo !== null && validTo < today) {
    throw new ConflictError(
      'UNIT_INACTIVE',
      `Unit ${unitRef} is deactivated in Immotop 2 (the Objekt is valid until ${validTo}).`,
      'Only active units are published. Check the Objekt\'s validity (gültig bis) in Immotop 2.',
    )
  }
  const status = vacancyStatus(
    rows.verhaeltnisse.filter(isTenancy).map((v) => ({from: isoDay(v.gueltigvon), to: isoDay(v.gueltigbis)})),
    today,
  )
  if (!status.vacant) {
    throw new ConflictError(
      'UNIT_NOT_VACANT',
      `Unit ${unitRef} is not vacant: it has ${status.reason === 'let' ? 'a current tenancy without end date' : 'a future tenancy'} in Immotop 2.`,
      'Publish only vacant units. Check the unit\'s Verhältnisse in Immotop 2.',
    )
  }
  const validFrom = isoDay(objekt.gueltigvon)
  const from = [status.availableFrom, validFrom !== null && validFrom > today ? validFrom : null].filter((d): d is string => d !== null).sort().at(-1)
  const street = splitStreet(liegenschaft.strasse ?? '')
  const place = splitPostalCity(liegenschaft.plzort ?? '')
  return {
    unitRef,
    title: objekt.bez,
    category: null,
    typeKey: null,
    rooms: null,
    areaM2: null,
    floorLabel: null,
    floorNum: null,
    source: 'rest',
    rent: null,
    availability: from ? {kind: 'from_date', date: from} : {kind: 'immediately'},
    description: null,
    building: {
      title: liegenschaft.bez || liegenschaft.strasse || '',
      street: street.street,
      houseNumber: street.houseNumber,
      postalCode: place.postalCode,
      city: place.city,
      countryCode: 'CH',
      yearOfConstruction: null,
    },
    contact: contactFrom(rows.mitarbeiter, liegenschaft.mitarbeiter ?? null),
  }
}

/** Whether publish would take this unit: active in Immotop 2 and vacant. */
export function isPublishable(rows: ImmotopUnitRows, today: string): boolean {
  try {
    vacancyFromImmotop(rows, today)
    return true
  } catch (error) {
    if (error instanceof ConflictError) return false
    throw error
  }
}

/**
 * The listing's contact: the manager's Mitarbeiter row (`festnetz`, else
 * `mobile`, and `email`). Without one, the Liegenschaft's `mitarbeiter` text
 * (first name + ' ' + surname) still names the person.
 */
export function contactFrom(mitarbeiter: MitarbeiterRow | null, managerText: string | null): Vacancy['contact'] {
  if (mitarbeiter && (mitarbeiter.name || mitarbeiter.vorname)) {
    return {
      firstName: mitarbeiter.vorname ?? '',
      surname: mitarbeiter.name ?? '',
      email: mitarbeiter.email || null,
      phone: mitarbeiter.festnetz || mitarbeiter.mobile || null,
    }
  }
  const name = (managerText ?? '').trim()
  if (!name) return null
  const [first, ...rest] = name.split(/\s+/)
  return {firstName: rest.length ? first! : '', surname: rest.length ? rest.join(' ') : first!, email: null, phone: null}
}

/** What a details file (IDX 3.01 or dta-mpexp) adds to a REST vacancy. */
export type UnitDetails = Pick<Vacancy, 'category' | 'typeKey' | 'rooms' | 'areaM2' | 'floorLabel' | 'floorNum' | 'rent' | 'description'> & {
  yearOfConstruction: number | null
}

/** The vacancy fields of a unit's details (the year of construction belongs to the building). */
export function detailFields(details: UnitDetails): Omit<UnitDetails, 'yearOfConstruction'> {
  const {yearOfConstruction: _year, ...fields} = details
  return fields
}

/** The listing fields that only a details file can fill, and the vacancy fields behind them. */
export const DETAIL_FIELDS = [
  ['object_type', (v: Vacancy) => v.typeKey],
  ['rooms', (v: Vacancy) => v.rooms],
  ['area', (v: Vacancy) => v.areaM2],
  ['floor', (v: Vacancy) => v.floorLabel],
  ['rent', (v: Vacancy) => v.rent],
] as const

/** The detail fields a vacancy lacks (empty when a details file described it fully). */
export function missingDetails(vacancy: Vacancy): string[] {
  return DETAIL_FIELDS.filter(([, get]) => get(vacancy) === null).map(([name]) => name)
}

/** A REST vacancy with the details of its unit; REST keeps title, address, availability and contact. */
export function mergeDetails(vacancy: Vacancy, details: UnitDetails): Vacancy {
  const pick = <T>(value: T | null, fallback: T | null): T | null => (value === null ? fallback : value)
  return {
    ...vacancy,
    category: pick(details.category, vacancy.category),
    typeKey: pick(details.typeKey, vacancy.typeKey),
    rooms: pick(details.rooms, vacancy.rooms),
    areaM2: pick(details.areaM2, vacancy.areaM2),
    floorLabel: pick(details.floorLabel, vacancy.floorLabel),
    floorNum: details.floorLabel === null ? vacancy.floorNum : details.floorNum,
    rent: pick(details.rent, vacancy.rent),
    description: pick(details.description, vacancy.description),
    building: {...vacancy.building, yearOfConstruction: pick(details.yearOfConstruction, vacancy.building.yearOfConstruction)},
  }
}
