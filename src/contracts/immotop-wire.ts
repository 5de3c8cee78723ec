/**
 * Wire shapes of the Immotop 2 DMS REST views we read (docs/contracts/immotop2.md).
 * Columns marked "assumed" are not in W&W's public view documentation; they are
 * the project's assumption and are mapped only in src/adapters/immotop-rest.ts
 * and src/core/vacancy.ts.
 */
import {z} from 'zod'

/** .NET JSON dates: "2024-04-01T00:00:00" or null. */
const netDate = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+)?$/).nullable()

export const TestAnswerSchema = z.object({
  Erfolgreich: z.boolean(),
  FehlerCode: z.number().int(),
  FehlerMeldung: z.string().nullable(),
  /** assumed: the application server version, where reported */
  ServerVersion: z.string().nullable().optional(),
})

export const MandantRowSchema = z.object({
  s_seqnr: z.number().int(),
  nr: z.number().int(),
  bez: z.string(),
})
export type MandantRow = z.infer<typeof MandantRowSchema>

export const LiegenschaftRowSchema = z.object({
  s_seqnr: z.number().int(),
  nr: z.number().int(),
  bez: z.string(),
  mandant_nr: z.number().int(),
  strasse: z.string().nullable(),
  plzort: z.string().nullable(),
  /** Mitarbeiter number of the responsible manager */
  mitarbeiter: z.number().int().nullable(),
  /** assumed */
  baujahr: z.number().int().nullable().optional(),
})
export type LiegenschaftRow = z.infer<typeof LiegenschaftRowSchema>

export const ObjektRowSchema = z.object({
  s_seqnr: z.number().int(),
  nr: z.number().int(),
  bez: z.string(),
  liegenschaft_nr: z.number().int(),
  mandant_nr: z.number().int(),
  gueltigvon: netDate.optional(),
  gueltigbis: netDate.optional(),
  /** assumed: Wohnung, Einfamilienhaus, Parkplatz, Einstellhallenplatz, Gewerbe, Büro */
  objektart: z.string(),
  /** assumed */
  zimmer: z.number().nullable(),
  /** assumed, m² */
  flaeche: z.number().nullable(),
  /** assumed, like dta-mpexp unit_level: 0 ground floor, 99 roof, -1 first basement */
  etage: z.number().int().nullable(),
  /** assumed, CHF per month */
  nettomiete: z.number(),
  /** assumed, CHF per month */
  nebenkosten: z.number(),
  /** assumed, CHF */
  kaution: z.number().nullable(),
})
export type ObjektRow = z.infer<typeof ObjektRowSchema>

export const VerhaeltnisRowSchema = z.object({
  s_seqnr: z.number().int(),
  nr: z.number().int(),
  mandant_nr: z.number().int(),
  liegenschaft_nr: z.number().int(),
  objekt_nr: z.number().int(),
  mieter_nr: z.number().int(),
  gueltigvon: netDate,
  gueltigbis: netDate,
  mandanttyp_rolle: z.string().nullable(),
})
export type VerhaeltnisRow = z.infer<typeof VerhaeltnisRowSchema>

export const MitarbeiterRowSchema = z.object({
  s_seqnr: z.number().int(),
  nr: z.number().int(),
  name: z.string(),
  vorname: z.string().nullable(),
  email: z.string().nullable(),
  telefon: z.string().nullable(),
})
export type MitarbeiterRow = z.infer<typeof MitarbeiterRowSchema>

export const MieterRowSchema = z.object({
  s_seqnr: z.number().int(),
  nr: z.number().int(),
  mandant_nr: z.number().int(),
  name: z.string(),
  vorname: z.string().nullable(),
})
export type MieterRow = z.infer<typeof MieterRowSchema>

export const FailureAnswerSchema = z.object({
  Erfolgreich: z.literal(false),
  FehlerCode: z.number().int(),
  FehlerMeldung: z.string().nullable(),
})
