import {describe, expect, it} from 'vitest'
import {swissLocalTimestamp, swissToday} from '../../src/core/swiss-date.js'

describe('Swiss wall-clock time (one formatter, built once)', () => {
  it('swissToday: the day in Zurich, also when UTC still says yesterday', () => {
    expect(swissToday(new Date('2026-11-26T22:59:59Z'))).toBe('2026-11-26')
    expect(swissToday(new Date('2026-11-26T23:00:00Z'))).toBe('2026-11-27')
    expect(swissToday(new Date('2026-07-01T21:59:59Z'))).toBe('2026-07-01')
    expect(swissToday(new Date('2026-07-01T22:00:00Z'))).toBe('2026-07-02')
  })

  it('swissLocalTimestamp: each moment its own wall-clock time, across both changes of summer time', () => {
    const cases: Array<[string, string]> = [
      ['2026-03-29T00:59:59Z', '2026-03-29T01:59:59'],
      ['2026-03-29T01:00:00Z', '2026-03-29T03:00:00'],
      ['2026-10-25T00:59:59Z', '2026-10-25T02:59:59'],
      ['2026-10-25T01:00:00Z', '2026-10-25T02:00:00'],
      ['2026-12-31T23:00:00Z', '2027-01-01T00:00:00'],
    ]
    // Twice over, in turn: a kept formatter must not carry anything from one call to the next.
    for (const round of [1, 2]) for (const [utc, zurich] of cases) expect(swissLocalTimestamp(new Date(utc)), `${utc} (round ${round})`).toBe(zurich)
  })
})
