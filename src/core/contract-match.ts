/**
 * Closing the loop: does Immotop 2 now hold the contract of a tenant that was
 * handed over? Pure: the unit's tenancies, the handover and the household's
 * surnames are passed in. It never guesses: two candidates, a start far from
 * the requested date, or a tenancy that names someone else are reported, and
 * a person settles them (`contracts confirm`).
 *
 * A tenancy is a candidate when it is a Mieter tenancy (Eigentümer rows are
 * ownership) that is new since the handover:
 * - created after the handover (`insts`, Immotop 2 from 2.6.32; local Swiss
 *   time, compared with a tolerance for clocks that differ), or,
 * - without `insts`, not among the tenancies the unit had when watching began;
 * - and not settled as the contract of another handover.
 */

export interface TenancyFacts {
  /** v_DmsVerhaeltnis `s_seqnr`, as text: the tenancy reference melon is told. */
  ref: string
  /** Start (`gueltigvon`), YYYY-MM-DD. */
  from: string
  to: string | null
  /** `insts` as local Swiss time YYYY-MM-DDTHH:MM:SS, or null on servers before 2.6.32. */
  createdAt: string | null
  /** The tenant's display name (v_DmsMieter `bez`), or null when Immotop 2 gives none. */
  tenantName: string | null
}

export interface WatchFacts {
  /** The requested move-in date from melon, YYYY-MM-DD, or null. */
  requestedFrom: string | null
  /** When the dossier was handed over, local Swiss time YYYY-MM-DDTHH:MM:SS. */
  handedOverAt: string
  /** Tenancy refs on the unit when watching began (used where `insts` is missing). */
  baseline: string[]
  /** Tenancy refs settled as the contract of other handovers. */
  settledElsewhere: string[]
  /** Other handovers still waiting for a contract on the same unit. */
  otherWatchesOnUnit: number
  /** The household's surnames (from melon, never stored). */
  surnames: string[]
  windowDays: number
}

export type ContractMatch =
  | {kind: 'waiting'}
  | {kind: 'found'; tenancy: TenancyFacts}
  | {kind: 'ambiguous'; reason: string; candidates: TenancyFacts[]}
  | {kind: 'unmatched'; reason: string; candidates: TenancyFacts[]}

/** How far back of the handover an `insts` may lie and still count (clocks of two servers). */
export const CLOCK_TOLERANCE_MINUTES = 10

/** The candidates: Mieter tenancies new since the handover and not settled for another handover. */
export function freshTenancies<T extends TenancyFacts>(tenancies: T[], watch: Pick<WatchFacts, 'handedOverAt' | 'baseline' | 'settledElsewhere'>): T[] {
  return tenancies.filter((t) => isNew(t, watch) && !watch.settledElsewhere.includes(t.ref))
}

export function matchContract(tenancies: TenancyFacts[], watch: WatchFacts): ContractMatch {
  const fresh = freshTenancies(tenancies, watch)
  if (fresh.length === 0) return {kind: 'waiting'}
  const named = fresh.map((t) => ({t, name: nameMatches(t.tenantName, watch.surnames)}))
  const others = named.filter((n) => n.name === 'no').map((n) => n.t)
  const ours = named.filter((n) => n.name !== 'no')
  if (ours.length === 0) {
    return {kind: 'unmatched', reason: `the unit has ${plural(others.length, 'new tenancy', 'new tenancies')} for another tenant`, candidates: others}
  }
  const inWindow = ours.filter((n) => watch.requestedFrom === null || daysBetween(n.t.from, watch.requestedFrom) <= watch.windowDays)
  if (inWindow.length === 0) {
    const first = ours[0]!.t
    return {
      kind: 'ambiguous',
      reason: `tenancy ${first.ref} starts ${first.from}, ${daysBetween(first.from, watch.requestedFrom!)} days from the requested ${watch.requestedFrom} (window ${watch.windowDays} days)`,
      candidates: ours.map((n) => n.t),
    }
  }
  if (inWindow.length > 1) return {kind: 'ambiguous', reason: `${inWindow.length} new tenancies fit (${inWindow.map((n) => n.t.ref).join(', ')})`, candidates: inWindow.map((n) => n.t)}
  const only = inWindow[0]!
  if (only.name === 'unknown' && watch.otherWatchesOnUnit > 0) {
    return {kind: 'ambiguous', reason: `${watch.otherWatchesOnUnit + 1} handovers wait on this unit and tenancy ${only.t.ref} names no tenant`, candidates: [only.t]}
  }
  return {kind: 'found', tenancy: only.t}
}

function isNew(t: TenancyFacts, watch: Pick<WatchFacts, 'handedOverAt' | 'baseline'>): boolean {
  if (t.createdAt) return t.createdAt >= minusMinutes(watch.handedOverAt, CLOCK_TOLERANCE_MINUTES)
  return !watch.baseline.includes(t.ref)
}

/** Tenancies that count as already there when watching begins: all but those created after the handover. */
export function baselineOf(tenancies: TenancyFacts[], handedOverAt: string): string[] {
  return tenancies.filter((t) => !t.createdAt || t.createdAt < minusMinutes(handedOverAt, CLOCK_TOLERANCE_MINUTES)).map((t) => t.ref)
}

/**
 * Does Immotop 2's display name (`bez`, e.g. "Muster-Meier Anna") name one of
 * the household? Umlauts and their ae/oe/ue spellings, case and accents are
 * the same; a name that is absent says nothing.
 */
export function nameMatches(displayName: string | null, surnames: string[]): 'yes' | 'no' | 'unknown' {
  if (!displayName || !displayName.trim() || surnames.length === 0) return 'unknown'
  const words = new Set(fold(displayName).split(/[^a-z]+/).filter(Boolean))
  const hit = surnames.some((s) => {
    const parts = fold(s).split(/[^a-z]+/).filter((p) => p.length >= 2)
    return parts.length > 0 && parts.some((p) => words.has(p))
  })
  return hit ? 'yes' : 'no'
}

/** A name as plain letters: accents and umlauts dropped (composed or not), ß as ss, ae/oe/ue as a/o/u (Müller = Mueller). */
function fold(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/ß/g, 'ss')
    .replace(/ae/g, 'a')
    .replace(/oe/g, 'o')
    .replace(/ue/g, 'u')
}

function daysBetween(a: string, b: string): number {
  return Math.abs(Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / 86_400_000
}

function minusMinutes(localTimestamp: string, minutes: number): string {
  const t = new Date(`${localTimestamp.slice(0, 19)}Z`).getTime() - minutes * 60_000
  return new Date(t).toISOString().slice(0, 19)
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
