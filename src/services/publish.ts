/** Publish one vacancy from Immotop 2's REST views to melon. */
import {createHash} from 'node:crypto'
import type {ImmotopRestClient} from '../adapters/immotop-rest.js'
import type {MelonClient} from '../adapters/melon-client.js'
import type {ListingInput} from '../contracts/melon-wire.js'
import {changedListingFields, listingFromVacancy} from '../core/listing.js'
import {parseUnitRef} from '../core/unit-ref.js'
import {vacancyFromImmotop} from '../core/vacancy.js'

export interface PublishResult {
  reference: string
  action: 'created' | 'updated' | 'unchanged' | 'dry-run'
  changedFields: string[]
  listing: ListingInput
}

export function today(): string {
  return new Date().toISOString().slice(0, 10)
}

export async function publishUnit(
  deps: {immotop: ImmotopRestClient; melon: MelonClient},
  unitRef: string,
  options: {defaultMandant: number; dryRun: boolean; today?: string},
): Promise<PublishResult> {
  const ref = parseUnitRef(unitRef, options.defaultMandant)
  const rows = await deps.immotop.unitRows(ref)
  const listing = listingFromVacancy(vacancyFromImmotop(rows, options.today ?? today()))
  if (options.dryRun) return {reference: listing.reference_number, action: 'dry-run', changedFields: [], listing}
  const current = await deps.melon.getListing(listing.reference_number)
  const changedFields = current ? changedListingFields(listing, current) : Object.keys(listing)
  if (current && changedFields.length === 0) return {reference: listing.reference_number, action: 'unchanged', changedFields, listing}
  // The key names this operation: this content over the state melon had when we read it.
  // A retried PUT replays instead of writing twice; a later publish after someone
  // changed the listing in melon is a new operation with a new key.
  const key = createHash('sha256')
    .update(JSON.stringify(listing))
    .update(current ? `\n${current.updated_at}` : '\nabsent')
    .digest('hex')
  const {created} = await deps.melon.upsertListing(listing, `publish-${key.slice(0, 32)}`)
  return {reference: listing.reference_number, action: created ? 'created' : 'updated', changedFields, listing}
}
