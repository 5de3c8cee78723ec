/** Pure mapping: vacancy → melon listing (the public object fields). */
import type {Listing, ListingInput} from '../contracts/melon-wire.js'
import type {Vacancy} from './vacancy.js'

export const MANAGED_BY = 'melon-immotop'

/** Money in CHF with at most two decimals, so that sums do not drift (0.1 + 0.2). */
function chf(value: number): number {
  return Math.round(value * 100) / 100
}

export function listingFromVacancy(vacancy: Vacancy): ListingInput {
  const net = chf(vacancy.rentNet)
  const incidentals = chf(vacancy.incidentals)
  return {
    reference_number: vacancy.unitRef,
    title: vacancy.title,
    description: vacancy.description,
    object_type: {key: vacancy.typeKey},
    object_category: {key: vacancy.category},
    move_in_date: vacancy.availableFrom,
    floor: vacancy.floorLabel,
    floor_num: vacancy.floorNum,
    rooms: vacancy.rooms,
    area: vacancy.areaM2,
    rentalgross_net: net,
    incidentals,
    rentalgross: chf(net + incidentals),
    deposit: vacancy.deposit === null ? null : chf(vacancy.deposit),
    price_unit: 'monthly',
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
    managed_by: MANAGED_BY,
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
