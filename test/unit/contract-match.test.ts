/** Closing the loop: when does a tenancy in Immotop 2 count as the contract of a handed-over tenant, and when is it left to a person. */
import {describe, expect, it} from 'vitest'
import {baselineOf, matchContract, nameMatches, type TenancyFacts, type WatchFacts} from '../../src/core/contract-match.js'
import {swissLocalTimestamp} from '../../src/core/swiss-date.js'

const HANDED_OVER = '2026-11-20T10:00:00'
const old: TenancyFacts = {ref: '5002', from: '2015-04-01', to: '2026-10-01', createdAt: '2025-10-23T08:15:00', tenantName: 'Zürcher Ruth'}
const tenancy = (over: Partial<TenancyFacts>): TenancyFacts => ({ref: '5012', from: '2027-01-01', to: null, createdAt: '2026-11-25T14:02:11', tenantName: 'Meier Laura', ...over})
const watch = (over: Partial<WatchFacts> = {}): WatchFacts => ({
  requestedFrom: '2027-01-01',
  handedOverAt: HANDED_OVER,
  baseline: ['5002'],
  settledElsewhere: [],
  otherWatchesOnUnit: 0,
  surnames: ['Meier', 'Meier'],
  windowDays: 31,
  ...over,
})

describe('detection', () => {
  it('nothing new on the unit: waiting', () => {
    expect(matchContract([old], watch())).toEqual({kind: 'waiting'})
  })

  it('one new Mieter tenancy, created after the handover, starting on the requested day: the contract', () => {
    const t = tenancy({})
    expect(matchContract([old, t], watch())).toEqual({kind: 'found', tenancy: t})
  })

  it('a start within the window counts; the window is configurable', () => {
    const t = tenancy({from: '2027-01-15'})
    expect(matchContract([t], watch()).kind).toBe('found')
    expect(matchContract([t], watch({windowDays: 7})).kind).toBe('ambiguous')
  })

  it('created before the handover (insts): not the contract, even if it starts on the day', () => {
    expect(matchContract([tenancy({createdAt: '2026-11-19T16:00:00'})], watch({baseline: []}))).toEqual({kind: 'waiting'})
  })

  it('insts a few minutes before the handover (two clocks) still counts', () => {
    expect(matchContract([tenancy({createdAt: '2026-11-20T09:55:00'})], watch()).kind).toBe('found')
  })

  it('without insts (before 2.6.32): new means not among the tenancies when watching began', () => {
    const t = tenancy({createdAt: null})
    expect(matchContract([t], watch({baseline: ['5002']})).kind).toBe('found')
    expect(matchContract([t], watch({baseline: ['5002', '5012']}))).toEqual({kind: 'waiting'})
  })

  it('the baseline holds what existed at the handover, not what was created after it', () => {
    expect(baselineOf([old, tenancy({}), tenancy({ref: '5013', createdAt: null})], HANDED_OVER)).toEqual(['5002', '5013'])
  })

  it('a tenancy settled for another handover is not a candidate', () => {
    expect(matchContract([tenancy({})], watch({settledElsewhere: ['5012']}))).toEqual({kind: 'waiting'})
  })

  it('no requested move-in date: the one new tenancy of the household counts', () => {
    expect(matchContract([tenancy({from: '2027-06-01'})], watch({requestedFrom: null})).kind).toBe('found')
  })
})

describe('never guessed', () => {
  it('two candidates in the window: ambiguous, both named', () => {
    const a = tenancy({})
    const b = tenancy({ref: '5013', from: '2027-01-02'})
    const match = matchContract([a, b], watch())
    expect(match).toMatchObject({kind: 'ambiguous', candidates: [a, b]})
    expect(match.kind === 'ambiguous' && match.reason).toBe('2 new tenancies fit (5012, 5013)')
  })

  it('a start far from the requested date: ambiguous, with the distance', () => {
    const match = matchContract([tenancy({from: '2027-04-01'})], watch())
    expect(match.kind).toBe('ambiguous')
    expect(match.kind === 'ambiguous' && match.reason).toBe('tenancy 5012 starts 2027-04-01, 90 days from the requested 2027-01-01 (window 31 days)')
  })

  it('a new tenancy for someone else: unmatched', () => {
    const other = tenancy({tenantName: 'Keller Beat'})
    expect(matchContract([other], watch())).toEqual({kind: 'unmatched', reason: 'the unit has 1 new tenancy for another tenant', candidates: [other]})
  })

  it('one of ours among others: ours is the contract', () => {
    const ours = tenancy({})
    expect(matchContract([tenancy({ref: '5013', tenantName: 'Keller Beat'}), ours], watch())).toEqual({kind: 'found', tenancy: ours})
  })

  it('a tenancy that names the household only in part (a later person, a shared word of a double name): ambiguous, never found', () => {
    const match = matchContract([tenancy({tenantName: 'Keller Beat, Meier Laura'})], watch())
    expect(match).toMatchObject({kind: 'ambiguous', reason: 'tenancy 5012 names the household only in part (a shared name word, or not its first person)'})
  })

  it('the household "von Allmen" and a new tenancy for "von Gunten Peter": unmatched, not found', () => {
    expect(matchContract([tenancy({tenantName: 'von Gunten Peter'})], watch({surnames: ['von Allmen', 'von Allmen']})).kind).toBe('unmatched')
  })

  it('a tenancy that names no one, while several handovers wait on the unit: ambiguous', () => {
    const match = matchContract([tenancy({tenantName: null})], watch({otherWatchesOnUnit: 1}))
    expect(match).toMatchObject({kind: 'ambiguous', reason: '2 handovers wait on this unit and tenancy 5012 names no tenant'})
    expect(matchContract([tenancy({tenantName: null})], watch()).kind).toBe('found')
  })
})

describe('names', () => {
  it.each([
    ['Meier Laura', ['Meier'], 'yes'],
    ['Müller-Brunner Anna', ['Brunner'], 'yes'],
    ['Mueller Hans', ['Müller'], 'yes'],
    ['Müller Hans', ['Mueller'], 'yes'],
    ['Bernasconi Marco', ['BERNASCONI'], 'yes'],
    // German ß is written ss in Switzerland; one system may have either.
    ['Strauß Eva', ['Strauss'], 'yes'],
    ['Strauss Eva', ['Strauß'], 'yes'],
    // Decomposed umlauts (NFD, as some systems store them) fold alike.
    ['Mu\u0308ller Hans', ['Müller'], 'yes'],
    ['Mu\u0308ller Hans', ['Mueller'], 'yes'],
    ['Lefèvre Jean', ['Lefevre'], 'yes'],
    ['Demir Aylin', ['Meier'], 'no'],
    [null, ['Meier'], 'unknown'],
    ['  ', ['Meier'], 'unknown'],
    // Issue 24, hole 3: only the surname counts, where bez has it; particles and first names never suffice.
    ['von Gunten Peter', ['von Allmen'], 'no'],
    ['von Gunten Peter', ['von Gunten'], 'yes'],
    ['von Gunten Peter', ['Gunten'], 'yes'],
    ['Gunten Peter', ['von Gunten'], 'yes'],
    ['de Weck Anna', ['de'], 'no'],
    ['de Weck Anna', ['de Weck'], 'yes'],
    ['Da Silva Ana', ['Da'], 'no'],
    ['Al Masri Omar', ['Al'], 'no'],
    ['Al Masri Omar', ['Al Masri'], 'yes'],
    ['Keller Martin', ['Martin'], 'no'],
    ['Martin Keller', ['Martin'], 'yes'],
    ['Øberg Nils', ['Berg'], 'no'],
    ['Øberg Nils', ['Oberg'], 'yes'],
    ['Bergmann Eva', ['Berg'], 'no'],
    ["D'Amico Luca", ["D'Amico"], 'yes'],
    ["D’Amico Luca", ['Amico'], 'yes'],
    // NFKC: full-width letters and ligatures are the letters they show; case is folded.
    ['ＭＥＩＥＲ Laura', ['Meier'], 'yes'],
    ['Schaﬀner Ruth', ['Schaffner'], 'yes'],
    ['Jäggi Urs', ['Jaeggi'], 'yes'],
    ['GROSS Peter', ['Groß'], 'yes'],
    // Titles are skipped; several persons: the first one's surname is a match, a later one's only a hint.
    ['Herr und Frau Meier', ['Meier'], 'yes'],
    ['Familie Keller', ['Keller'], 'yes'],
    ['Meier Laura, Keller Beat', ['Keller'], 'partial'],
    ['Keller Beat und Martin', ['Martin'], 'partial'],
    // A shared word of a double name: for a person to decide.
    ['Bernasconi Marco', ['Bernasconi Rossi'], 'partial'],
    ['Brunner Anna', ['Müller-Brunner'], 'yes'],
    ['Meier-Keller Anna', ['Keller-Huber'], 'partial'],
    // One-letter words and a household of particles only say nothing for the household.
    ['D Luca', ['D'], 'no'],
  ] as const)('%s vs %j: %s', (name, surnames, expected) => {
    expect(nameMatches(name, [...surnames])).toBe(expected)
  })
})

describe('Immotop 2 time', () => {
  it('is the wall clock in Switzerland, summer and winter', () => {
    expect(swissLocalTimestamp(new Date('2026-11-26T23:30:05Z'))).toBe('2026-11-27T00:30:05')
    expect(swissLocalTimestamp(new Date('2026-07-01T00:05:00Z'))).toBe('2026-07-01T02:05:00')
  })
})
