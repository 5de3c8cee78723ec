/**
 * The tenant record: the project's own layout for handing a tenant without
 * contract to Immotop 2 (docs/contracts/immotop2.md, "Tenant record").
 * Fields are drawn from W&W's dta-mpexp user columns and GARAIO's
 * TenancyApplication.Dossier.Selected message. Pure code, no I/O.
 */
import type {DocumentKind, Person, Tenant} from '../wire/melon-wire.js'
import {ConflictError} from '../errors.js'
import {parseUnitRef} from './unit-ref.js'

export const TENANT_RECORD_SCHEMA = 'melon-immotop.tenant-record/1'
export const MAX_PERSONS = 4

export interface RecordDocument {
  position: number
  kind: DocumentKind
  /** W&W's DmsDocumentId in the document's control file. */
  dmsDocumentId: string
  /** W&W's DateiName (speaking name) in the control file. */
  dateiName: string
  /** The file's name in the staging folder. */
  fileName: string
  contentType: string
  size: number
  sha256: string
}

export interface TenantRecordPerson {
  position: number
  role: 'main' | 'co'
  salutation: string | null
  firstName: string
  surname: string
  dateOfBirth: string | null
  nationalityCode: string | null
  language: string | null
  maritalStatus: string | null
  homeTown: string | null
  jobTitle: string | null
  employer: string | null
  email: string | null
  phone: string | null
  address: {street: string; houseNumber: string | null; postalCode: string; city: string; countryCode: string} | null
}

export interface TenantRecord {
  schema: typeof TENANT_RECORD_SCHEMA
  handoverId: string
  source: {system: 'melon'; project: string; tenantId: string; assignedAt: string}
  unit: {reference: string; mandantNr: number; liegenschaftNr: number; objektNr: number; title: string | null}
  requestedMoveInDate: string | null
  householdType: string | null
  rent: {currency: 'CHF'; netMonthly: number; incidentalsMonthly: number; grossMonthly: number; deposit: number | null} | null
  persons: TenantRecordPerson[]
  documents: RecordDocument[]
}

function personFrom(person: Person, position: number): TenantRecordPerson {
  return {
    position,
    role: person.role,
    salutation: person.salutation,
    firstName: person.first_name,
    surname: person.surname,
    dateOfBirth: person.date_of_birth,
    nationalityCode: person.nationality_code,
    language: person.language,
    maritalStatus: person.marital_status,
    homeTown: person.home_town,
    jobTitle: person.job_title,
    employer: person.employer,
    email: person.email,
    phone: person.phone,
    address: person.address
      ? {
          street: person.address.street,
          houseNumber: person.address.house_number,
          postalCode: person.address.postal_code,
          city: person.address.city,
          countryCode: person.address.country_code,
        }
      : null,
  }
}

export function tenantRecordFrom(
  tenant: Tenant,
  context: {handoverId: string; project: string; documents: RecordDocument[]},
): TenantRecord {
  if (tenant.persons.length > MAX_PERSONS) {
    throw new ConflictError(
      'TOO_MANY_PERSONS',
      `Tenant ${tenant.id} has ${tenant.persons.length} persons; an Immotop 2 tenant record holds at most ${MAX_PERSONS}.`,
      'Split the household in melon, or hand it over by hand.',
    )
  }
  const unit = parseUnitRef(tenant.object_reference_number)
  // The main tenant comes first, whatever order melon sends.
  const persons = [...tenant.persons].sort((a, b) => (a.role === b.role ? 0 : a.role === 'main' ? -1 : 1))
  return {
    schema: TENANT_RECORD_SCHEMA,
    handoverId: context.handoverId,
    source: {system: 'melon', project: context.project, tenantId: tenant.id, assignedAt: tenant.assigned_at},
    unit: {
      reference: tenant.object_reference_number,
      mandantNr: unit.mandant,
      liegenschaftNr: unit.liegenschaft,
      objektNr: unit.objekt,
      title: tenant.object_title,
    },
    requestedMoveInDate: tenant.requested_move_in_date,
    householdType: tenant.household_type,
    rent: tenant.rent
      ? {
          currency: 'CHF',
          netMonthly: tenant.rent.rentalgross_net,
          incidentalsMonthly: tenant.rent.incidentals,
          grossMonthly: tenant.rent.rentalgross,
          deposit: tenant.rent.deposit,
        }
      : null,
    persons: persons.map((p, i) => personFrom(p, i + 1)),
    documents: context.documents,
  }
}
