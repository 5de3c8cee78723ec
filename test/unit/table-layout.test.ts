import {describe, expect, it} from 'vitest'
import {fitColumns, tsvLine} from '../../src/cli/table-layout.js'

describe('tsvLine', () => {
  it('joins cells with tabs and keeps every row on one line', () => {
    expect(tsvLine(['T-1001', 'Laura Meier,\nJonas Meier', 'a\tb'])).toBe('T-1001\tLaura Meier, Jonas Meier\ta b')
  })
})

describe('fitColumns', () => {
  const rows = [
    ['id', 'names', 'address'],
    ['T-1001', 'Laura Meier, Jonas Meier', 'Seestrasse 112, 8800 Thalwil'],
  ]
  it('leaves a table that fits alone', () => {
    expect(fitColumns(rows, 200)).toBeNull()
  })
  it('shrinks the widest columns first until the table with its borders fits', () => {
    const widths = fitColumns(rows, 50)!
    expect(widths.reduce((a, b) => a + b, 0) + widths.length + 1).toBeLessThanOrEqual(50)
    // The narrow id column keeps its natural width (6 + padding).
    expect(widths[0]).toBe(8)
    expect(Math.abs(widths[1]! - widths[2]!)).toBeLessThanOrEqual(1)
  })
  it('never shrinks a column below 8, even when the terminal is narrower', () => {
    expect(fitColumns(rows, 10)).toEqual([8, 8, 8])
  })
  it('ignores colour codes when measuring', () => {
    expect(fitColumns([['\u001b[1mid\u001b[22m'], ['abcd']], 8)).toBeNull()
  })
})
