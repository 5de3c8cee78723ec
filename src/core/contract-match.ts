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
  if (only.name === 'partial') return {kind: 'ambiguous', reason: `tenancy ${only.t.ref} names the household only in part (a shared name word, or not its first person)`, candidates: [only.t]}
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
 * Does Immotop 2's display name (`bez`: surname first, e.g. "Muster-Meier
 * Anna", "von Gunten Peter", "Meier Laura, Keller Beat") name one of the
 * household? Only the surname counts, and only where the name has it: at the
 * start of a person's part of `bez`. A first name that equals a household
 * surname ("Keller Martin" for Martin), a particle (von, de, da, al …) or a
 * word shorter than two letters is never enough. Names are compared folded
 * (NFKC, case, accents, ß/ss, ä/ae; Ø is not O-less: "Øberg" is not "Berg").
 *
 * Titles ("Herr", "Frau", "Familie", "Dr.") are skipped.
 *
 * - yes: the first person's surname is a household surname (or the two
 *   share their hyphenated parts: "Müller-Brunner" and "Brunner");
 * - partial: a later person's surname is one, or the surnames share a word
 *   without being the same (a person decides: ambiguous, never found);
 * - no: no household surname is there; unknown: `bez` names no one.
 */
export function nameMatches(displayName: string | null, surnames: string[]): 'yes' | 'partial' | 'no' | 'unknown' {
  const people = personsOf(displayName ?? '')
  if (people.length === 0 || surnames.length === 0) return 'unknown'
  const ours = surnames.map(surnameWords).filter((words) => words.length > 0)
  if (ours.length === 0) return 'no'
  const verdicts = people.map((person, index) => ours.map((surname) => compareSurname(person, surname, index === 0)))
  const all = verdicts.flat()
  if (all.includes('yes')) return 'yes'
  return all.includes('partial') ? 'partial' : 'no'
}

/** A particle: part of a surname ("von Allmen", "de Weck", "Al Masri"), never a surname by itself. */
const PARTICLES = new Set(['von', 'vom', 'van', 'der', 'den', 'de', 'di', 'da', 'do', 'dos', 'das', 'del', 'dela', 'della', 'dello', 'degli', 'dei', 'des', 'du', 'd', 'le', 'la', 'les', 'lo', 'l', 'dal', 'zu', 'zum', 'zur', 'ten', 'ter', 'al', 'el', 'bin', 'ben', 'ibn', 'af', 'av', 'y', 'e', 'st', 'saint', 'san', 'santa'])

/** Forms of address and titles before a name: skipped. */
const TITLES = new Set(['herr', 'herrn', 'frau', 'hr', 'fr', 'familie', 'fam', 'dr', 'prof', 'ing', 'lic', 'monsieur', 'madame', 'mme', 'mlle', 'm', 'signor', 'signora', 'sig', 'sigra', 'mr', 'mrs', 'ms'])

/** Words: split at white space and apostrophes ("D'Amico" is the particle d and Amico). */
const words = (text: string) => text.normalize('NFKC').trim().split(/[\s'’ʼ`´]+/u).map(foldWord).filter((w) => w.length > 0)

/** The persons `bez` names, each as its words (folded, titles left out), the surname first: split at commas, semicolons, slashes, "&", "+", "und", "et", "and", "e". */
function personsOf(displayName: string): string[][] {
  return displayName
    .normalize('NFKC')
    .split(/[,;/&+]|\s(?:und|et|and|e|u\.)\s/iu)
    .map((part) => words(part).filter((w) => !TITLES.has(w)))
    .filter((person) => person.length > 0)
}

/** A household surname's words (folded), particles and one-letter words left out; hyphenated parts stay one word ("muster-meier"). */
function surnameWords(surname: string): string[] {
  return words(surname).filter((w) => w.replace(/-/g, '').length >= 2 && !PARTICLES.has(w))
}

/**
 * One person of `bez` against one household surname: the person's words,
 * leading particles skipped, must begin with the surname's words. A single
 * hyphenated word matches where one's parts are all among the other's.
 */
function compareSurname(person: string[], surname: string[], first: boolean): 'yes' | 'partial' | 'no' {
  const start = person.findIndex((w) => !PARTICLES.has(w))
  if (start < 0) return 'no'
  const name = person.slice(start)
  const full = surname.every((w, i) => name[i] === w) || (surname.length === 1 && hyphenPartsAgree(name[0]!, surname[0]!))
  if (full) return first ? 'yes' : 'partial'
  // A part of a household surname in the person's surname (its first word): worth a person's look, never a match.
  const own = name[0]!.split('-')
  return surname.some((w) => w.split('-').some((part) => part.length >= 2 && own.includes(part))) ? 'partial' : 'no'
}

function hyphenPartsAgree(a: string, b: string): boolean {
  const pa = a.split('-').filter((p) => p.length >= 2)
  const pb = b.split('-').filter((p) => p.length >= 2)
  if (pa.length === 0 || pb.length === 0) return false
  return pa.every((p) => pb.includes(p)) || pb.every((p) => pa.includes(p))
}

/**
 * A word as plain lower-case letters (and inner hyphens): NFKC, case folded,
 * accents dropped (composed or not), ß as ss, ae/oe/ue as a/o/u (Müller =
 * Mueller); letters that carry no accent to drop keep their identity
 * (ø → oe, æ → ae, ł → l, đ → d); anything else but inner hyphens goes.
 */
function foldWord(word: string): string {
  return word
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/ß/g, 'ss')
    .replace(/[øœ]/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/[łđðı]/g, (c) => ({ł: 'l', đ: 'd', ð: 'd', ı: 'i'})[c]!)
    .replace(/þ/g, 'th')
    .replace(/ae/g, 'a')
    .replace(/oe/g, 'o')
    .replace(/ue/g, 'u')
    .replace(/[^\p{L}-]+/gu, '')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
}

function daysBetween(a: string, b: string): number {
  return Math.abs(Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / 86_400_000
}

function minusMinutes(localTimestamp: string, minutes: number): string {
  const t = new Date(`${localTimestamp.slice(0, 19)}Z`).getTime() - minutes * 60_000
  return new Date(t).toISOString().slice(0, 19)
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
