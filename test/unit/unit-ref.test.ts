import {describe, expect, it} from 'vitest'
import {assertSafeId, formatUnitRef, parseUnitRef} from '../../src/core/unit-ref.js'
import {UsageError} from '../../src/errors.js'

describe('parseUnitRef', () => {
  it.each([
    ['1.10001.1012', undefined, {mandant: 1, liegenschaft: 10001, objekt: 1012}],
    [' 3.10.203 ', undefined, {mandant: 3, liegenschaft: 10, objekt: 203}],
    ['10001.1012', 7, {mandant: 7, liegenschaft: 10001, objekt: 1012}],
  ])('parses %s', (text, mandant, expected) => {
    expect(parseUnitRef(text, mandant)).toEqual(expected)
  })

  it('refuses two parts when no single mandant is configured, saying which part is missing and how to write it', () => {
    expect(() => parseUnitRef('10001.1012')).toThrowError(UsageError)
    expect(() => parseUnitRef('10001.1012')).toThrowError('"10001.1012" names no mandant, and immotop.mandant names more than one.')
    try {
      parseUnitRef('10001.1012')
    } catch (error) {
      expect((error as UsageError).fix).toBe('Write it as <mandant>.<liegenschaft>.<objekt>, for example 1.10001.1012, or pass --mandant.')
    }
  })

  it.each(['1.2.3.4', '1..3', 'a.b.c', '0.1.2', '1.-2.3', '', '1.10001.1012x'])('refuses %j with a usage error that shows the format', (text) => {
    expect(() => parseUnitRef(text)).toThrowError(UsageError)
    expect(() => parseUnitRef(text)).toThrowError(/<mandant>\.<liegenschaft>\.<objekt>|not a unit reference/)
  })

  it('round-trips through formatUnitRef', () => {
    expect(formatUnitRef(parseUnitRef('2.20002.7'))).toBe('2.20002.7')
  })
})

describe('assertSafeId', () => {
  it.each(['T-1001', 'abc_DEF-9'])('accepts %s', (id) => expect(assertSafeId('tenant', id)).toBe(id))
  it.each(['../etc/passwd', 'a/b', '', '-x', 'a b', 'x'.repeat(65)])('refuses %j', (id) => {
    expect(() => assertSafeId('tenant', id)).toThrowError(UsageError)
  })
})
