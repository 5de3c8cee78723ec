/** Pure mapping: vacancy → melon listing (the public object fields). */
import type {Listing, ListingInput} from '../wire/melon-wire.js'
import type {Vacancy, VacancySource} from './vacancy.js'

export const MANAGED_BY = 'melon-immotop'

/**
 * `melon-immotop:rest`, `melon-immotop:dta-mpexp`, `melon-immotop:idx:<agency_id>`:
 * which source, and for IDX which feed, owns a listing. Prune withdraws only
 * listings of the owners it read, so two IDX feeds never prune each other.
 */
export function managedBy(source: VacancySource, feed?: string): string {
  return feed ? `${MANAGED_BY}:${source}:${feed}` : `${MANAGED_BY}:${source}`
}

/** Listings this tool manages at all (any source): the only ones unpublish touches without --force. */
export function isManagedBy(listing: Pick<ListingInput, 'managed_by'>): boolean {
  const owner = listing.managed_by ?? ''
  return owner === MANAGED_BY || owner.startsWith(`${MANAGED_BY}:`)
}

/** Money in CHF with at most two decimals, so that sums do not drift (0.1 + 0.2). */
function chf(value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100
}

/**
 * The listing for a vacancy. Where the source knows no rent at all, the rent
 * melon already has (`current`) is kept rather than erased.
 */
export function listingFromVacancy(vacancy: Vacancy, current?: Pick<ListingInput, 'rentalgross_net' | 'incidentals' | 'rentalgross' | 'deposit' | 'price_unit'> | null): ListingInput {
  const rent = vacancy.rent
  const net = rent ? chf(rent.net) : (current?.rentalgross_net ?? null)
  const incidentals = rent ? chf(rent.incidentals) : (current?.incidentals ?? null)
  const gross = rent ? chf(rent.gross ?? (rent.net !== null && rent.incidentals !== null ? rent.net + rent.incidentals : null)) : (current?.rentalgross ?? null)
  const deposit = rent ? chf(rent.deposit) : (current?.deposit ?? null)
  const availability = vacancy.availability
  return {
    reference_number: vacancy.unitRef,
    title: vacancy.title,
    description: vacancy.description,
    object_type: vacancy.typeKey === null ? null : {key: vacancy.typeKey},
    object_category: vacancy.category === null ? null : {key: vacancy.category},
    move_in_date: availability.kind === 'from_date' ? availability.date : null,
    availability: availability.kind,
    floor: vacancy.floorLabel,
    floor_num: vacancy.floorNum,
    rooms: vacancy.rooms,
    area: vacancy.areaM2,
    rentalgross_net: net,
    incidentals,
    rentalgross: gross,
    deposit,
    price_unit: rent ? rent.unit : (current?.price_unit ?? 'monthly'),
    start_date: null,
    end_date: null,
    contact_person: vacancy.contact
      ? {first_name: vacancy.contact.firstName, surname: vacancy.contact.surname, email: vacancy.contact.email, phone: vacancy.contact.phone}
      : null,
    object_state: 'free',
    building: {
      building_title: vacancy.building.title,
      address: vacancy.building.street,
      house_number: vacancy.building.houseNumber,
      postal_code: vacancy.building.postalCode,
      city: vacancy.building.city,
      land_code: vacancy.building.countryCode,
      year_of_construction: vacancy.building.yearOfConstruction,
    },
    managed_by: managedBy(vacancy.source, vacancy.feed),
  }
}

/** The fields of `wanted` whose value differs from the listing melon has. Empty means unchanged. */
export function changedListingFields(wanted: ListingInput, current: Listing | ListingInput): string[] {
  const changed: string[] = []
  for (const key of Object.keys(wanted) as Array<keyof ListingInput>) {
    if (JSON.stringify(wanted[key]) !== JSON.stringify(current[key])) changed.push(key)
  }
  return changed
}
