/**
 * Wire shapes of the melon partner API, as written down in
 * docs/contracts/melon-partner-api.yaml. The client validates every answer
 * against these; the sandbox builds its answers with these types. The OpenAPI
 * document stays the source of truth: test/e2e/contract.test.ts checks the
 * sandbox against it independently of this file.
 */
import * as z from 'zod'

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256')

export const ContactPersonSchema = z.object({
  first_name: z.string(),
  surname: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
})

export const BuildingSchema = z.object({
  building_title: z.string(),
  address: z.string(),
  house_number: z.string().nullable(),
  postal_code: z.string(),
  city: z.string(),
  land_code: z.string().length(2),
  year_of_construction: z.number().int().nullable(),
})

export const ListingInputSchema = z.object({
  reference_number: z.string().min(1),
  title: z.string().min(1),
  description: z.string().nullable(),
  /** null: the source does not know the type (Immotop 2's REST views without a details file). */
  object_type: z.object({key: z.string()}).nullable(),
  object_category: z.object({key: z.string()}).nullable(),
  move_in_date: isoDate.nullable(),
  availability: z.enum(['immediately', 'on_request', 'from_date']),
  floor: z.string().nullable(),
  floor_num: z.number().int().nullable(),
  rooms: z.number().nullable(),
  area: z.number().nullable(),
  rentalgross_net: z.number().nullable(),
  incidentals: z.number().nullable(),
  rentalgross: z.number().nullable(),
  deposit: z.number().nullable(),
  price_unit: z.enum(['monthly', 'yearly', 'once']),
  start_date: isoDate.nullable(),
  end_date: isoDate.nullable(),
  contact_person: ContactPersonSchema.nullable(),
  object_state: z.enum(['free', 'reserved', 'rented']),
  building: BuildingSchema,
  managed_by: z.string().nullable(),
})
export type ListingInput = z.infer<typeof ListingInputSchema>

export const ListingSchema = ListingInputSchema.extend({
  num_applications: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
})
export type Listing = z.infer<typeof ListingSchema>

export const ListingPageSchema = z.object({
  count: z.number().int(),
  page: z.number().int(),
  page_size: z.number().int(),
  next_page: z.number().int().nullable(),
  results: z.array(ListingSchema),
})

export const ContractStatusSchema = z.enum(['without_contract', 'contract_sent', 'with_contract', 'terminated'])
export type ContractStatus = z.infer<typeof ContractStatusSchema>

export const DocumentKindSchema = z.enum(['dossier', 'id_copy', 'debt_enforcement_extract', 'salary_statement', 'reference', 'other'])
export type DocumentKind = z.infer<typeof DocumentKindSchema>

export const DocumentMetaSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/),
  kind: DocumentKindSchema,
  file_name: z.string(),
  content_type: z.string(),
  size: z.number().int().nonnegative(),
  sha256: sha256Hex,
})
export type DocumentMeta = z.infer<typeof DocumentMetaSchema>

export const AddressSchema = z.object({
  street: z.string(),
  house_number: z.string().nullable(),
  postal_code: z.string(),
  city: z.string(),
  country_code: z.string().length(2),
})

export const PersonSchema = z.object({
  role: z.enum(['main', 'co']),
  salutation: z.string().nullable(),
  first_name: z.string(),
  surname: z.string(),
  date_of_birth: isoDate.nullable(),
  nationality_code: z.string().length(2).nullable(),
  language: z.string().nullable(),
  marital_status: z.enum(['single', 'married', 'registered_partnership', 'divorced', 'widowed', 'separated']).nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  address: AddressSchema.nullable(),
  job_title: z.string().nullable(),
  employer: z.string().nullable(),
  home_town: z.string().nullable(),
})
export type Person = z.infer<typeof PersonSchema>

/** What the tool tells melon once the contract exists in Immotop 2 (PUT /tenants/{id}/contract). */
export const TenantContractInputSchema = z
  .object({
    contract_status: z.literal('with_contract'),
    /** Immotop 2's tenancy (v_DmsVerhaeltnis `s_seqnr`). */
    tenancy_reference: z.string().min(1).max(64),
    start_date: isoDate,
  })
  .strict()
export type TenantContractInput = z.infer<typeof TenantContractInputSchema>

/** Which installation of melon-immotop hands a tenant over (PUT /tenants/{id}/handover), as melon keeps it. */
export const HandoverMarkerInputSchema = z
  .object({
    installation_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/),
    installation_name: z.string().min(1).max(300),
    handover_id: z.string().min(1).max(100),
  })
  .strict()
export type HandoverMarkerInput = z.infer<typeof HandoverMarkerInputSchema>

export const HandoverMarkerSchema = z.object({installation_id: z.string(), installation_name: z.string(), handover_id: z.string(), marked_at: z.string()})
export type HandoverMarker = z.infer<typeof HandoverMarkerSchema>

export const TenantSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/),
  contract_status: ContractStatusSchema,
  assigned_at: z.string(),
  object_reference_number: z.string(),
  object_title: z.string().nullable(),
  object_address: AddressSchema.nullable(),
  requested_move_in_date: isoDate.nullable(),
  household_type: z.string().nullable(),
  rent: z
    .object({rentalgross_net: z.number(), incidentals: z.number(), rentalgross: z.number(), deposit: z.number().nullable()})
    .nullable(),
  persons: z.array(PersonSchema).min(1),
  documents: z.array(DocumentMetaSchema),
  /** Set once an installation marked the tenant as handed over by it. Absent from melon servers before the marker. */
  handover: HandoverMarkerSchema.nullable().optional(),
  /** Set once a contract was reported (with_contract): Immotop 2's tenancy and its start. */
  contract: z.object({tenancy_reference: z.string(), start_date: isoDate}).nullable().optional(),
})
export type Tenant = z.infer<typeof TenantSchema>

export const TenantPageSchema = z.object({
  count: z.number().int(),
  page: z.number().int(),
  page_size: z.number().int(),
  next_page: z.number().int().nullable(),
  results: z.array(TenantSchema),
})

export const MeSchema = z.object({
  project: z.string(),
  user: z.string(),
  scopes: z.array(z.string()),
})

export const ErrorBodySchema = z.object({error: z.object({code: z.string(), message: z.string()})})
