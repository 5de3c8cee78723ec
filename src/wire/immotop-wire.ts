/**
 * Wire shapes of the Immotop 2 DMS REST views, exactly as W&W documents them
 * (wwimmo/immotop2-dms-schnittstelle, `_views/*.md`; summarised in
 * docs/contracts/immotop2.md). No column here is invented: every key is in
 * W&W's view documentation, with its type and nullability.
 *
 * How the schemas treat a real server:
 * - Unknown extra columns are tolerated (new versions add columns) and dropped.
 * - Version-gated columns are optional: an older server simply lacks them.
 *   `missingGatedColumns` says which ones a row lacks, so that the caller can
 *   name the version it needs instead of failing on a schema error.
 * - Columns whose nullability W&W does not state accept null.
 */
import * as z from 'zod'

/** .NET JSON date or timestamp, as in W&W's examples: "2022-06-14T00:00:00" (fraction and zone tolerated). */
const netDate = z.string().regex(/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/, 'a date like 2022-06-14T00:00:00')
/** 64-bit keys (`long`/`key`) and 32-bit numbers (`int`). */
const key = z.number().int()
const int = z.number().int()
const text = z.string()
/** Nullability not stated by W&W: accept null. */
const loose = <T extends z.ZodTypeAny>(schema: T) => schema.nullable().optional()

/** `insts`/`updts` appear on every view in 2.6.32. */
const timestamps = {insts: loose(netDate), updts: loose(netDate)}

export const MandantRowSchema = z.object({
  s_seqnr: key,
  nr: int,
  bez: text,
  /** V Vermietung (letting), S Stockwerk (condominium owners), G Genossenschaft (cooperative). */
  mandanttypcode: text,
  person_seqnr: loose(key),
  person_nr: loose(int),
  name1: loose(text),
  name2: loose(text),
  strasse: loose(text),
  Plz: loose(text),
  postfach: loose(text),
  ort: loose(text),
  land: loose(text),
  istmwstpflichtig: loose(z.union([z.boolean(), int])),
  /** 2.6.36 */
  defaultzahlstelle_seqnr: loose(key),
  gueltigvon: loose(netDate),
  gueltigbis: loose(netDate),
  ...timestamps,
})
export type MandantRow = z.infer<typeof MandantRowSchema>

export const LiegenschaftRowSchema = z.object({
  s_seqnr: key,
  nr: int,
  /** 2.6.35 */
  bez: loose(text),
  mandant_seqnr: loose(key),
  mandant_nr: int,
  lieggruppenk_seqnr: loose(key),
  grundbuchanmerkung: loose(text),
  strasse: loose(text),
  /** postcode + ' ' + place */
  plzort: loose(text),
  /** The manager (Verwalter): GetDmsMitarbeiter?s_seqnr=<this>. */
  mitarbeiter_seqnr: loose(key),
  /** Text: first name + ' ' + surname. */
  mitarbeiter: loose(text),
  mitarbeiter2_seqnr: loose(key),
  mitarbeiter2: loose(text),
  buchhalter_seqnr: loose(key),
  buchhalter: loose(text),
  buchhalter2_seqnr: loose(key),
  /** 2.6.25 */
  buchhalter2: loose(text),
  /** 2.7.19 */
  gueltigvon: loose(netDate),
  /** 2.7.19 */
  gueltigbis: loose(netDate),
  ...timestamps,
})
export type LiegenschaftRow = z.infer<typeof LiegenschaftRowSchema>

/** v_DmsObjekt, complete: there are no rooms, area, floor, type or rent columns. */
export const ObjektRowSchema = z.object({
  s_seqnr: key,
  nr: int,
  bez: text,
  liegenschaft_seqnr: key,
  liegenschaft_nr: int,
  mandant_seqnr: key,
  mandant_nr: int,
  /** 2.7.19, not nullable from then on */
  gueltigvon: netDate.optional(),
  /** 2.7.19 */
  gueltigbis: netDate.nullable().optional(),
  ...timestamps,
})
export type ObjektRow = z.infer<typeof ObjektRowSchema>

/** v_DmsVerhaeltnis, complete: there is no `nr` column. */
export const VerhaeltnisRowSchema = z.object({
  s_seqnr: key,
  gueltigvon: netDate,
  gueltigbis: netDate.nullable(),
  objekt_seqnr: loose(key),
  objekt_nr: int,
  liegenschaft_seqnr: loose(key),
  liegenschaft_nr: int,
  mandant_seqnr: loose(key),
  mandant_nr: int,
  /** Values not documented by W&W. */
  verhaeltnisstatus_nr: loose(int),
  mieter_seqnr: loose(key),
  mieter_nr: loose(int),
  /** `Mieter` or `Eigentümer`. */
  mandanttyp_rolle: text,
  mandanttyp_code: text,
  ...timestamps,
})
export type VerhaeltnisRow = z.infer<typeof VerhaeltnisRowSchema>

/** v_DmsMitarbeiter: phones are `festnetz` (landline) and `mobile`; there is no single phone column. */
export const MitarbeiterRowSchema = z.object({
  s_seqnr: key,
  nr: loose(int),
  vorname: loose(text),
  name: loose(text),
  festnetz: loose(text),
  mobile: loose(text),
  fax: loose(text),
  email: loose(text),
  geschlecht: loose(z.union([text, int])),
  ...timestamps,
})
export type MitarbeiterRow = z.infer<typeof MitarbeiterRowSchema>

/** v_DmsMieter, complete: `bez` is the display name; no separate name/vorname. */
export const MieterRowSchema = z.object({
  s_seqnr: key,
  nr: int,
  bez: loose(text),
  mandant_seqnr: loose(key),
  mandant_nr: int,
  /** smallint, 2.7.19 */
  IstAktiv: loose(z.union([int, z.boolean()])),
  ...timestamps,
})
export type MieterRow = z.infer<typeof MieterRowSchema>

export const FailureAnswerSchema = z.object({
  Erfolgreich: z.literal(false),
  FehlerCode: z.number().int(),
  FehlerMeldung: z.string().nullable(),
})

/**
 * Version gates (W&W, "Versionen"): the columns a view gains with a version.
 * Used to name the version a server needs, and by doctor's feature check.
 */
export const VERSION_GATES = [
  {view: 'GetDmsLiegenschaft', column: 'bez', version: '2.6.35'},
  {view: 'GetDmsLiegenschaft', column: 'buchhalter2', version: '2.6.25'},
  {view: 'GetDmsObjekt', column: 'updts', version: '2.6.32'},
  {view: 'GetDmsObjekt', column: 'gueltigvon', version: '2.7.19'},
  {view: 'GetDmsObjekt', column: 'gueltigbis', version: '2.7.19'},
  {view: 'GetDmsLiegenschaft', column: 'gueltigvon', version: '2.7.19'},
  {view: 'GetDmsMieter', column: 'IstAktiv', version: '2.7.19'},
] as const

/** The gated columns a row of `view` lacks (a present key with value null counts as present). */
export function missingGatedColumns(view: string, row: Record<string, unknown>): Array<{column: string; version: string}> {
  return VERSION_GATES.filter((g) => g.view === view && !(g.column in row)).map((g) => ({column: g.column, version: g.version}))
}
