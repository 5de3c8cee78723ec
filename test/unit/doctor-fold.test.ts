import {describe, expect, it} from 'vitest'
import type {CheckResult} from '../../src/services/doctor/context.js'
import {foldSkipped} from '../../src/services/doctor/report.js'

const result = (id: string, status: CheckResult['status'], blockedBy?: string): CheckResult => ({id, title: id, status, durationMs: 0, detail: '', fix: null, owner: null, ...(blockedBy ? {blockedBy} : {})})

describe('foldSkipped', () => {
  it('folds checks skipped because of a failure under that failure, in order, and keeps the rest', () => {
    const checks = [result('melon.dns', 'fail'), result('melon.tcp', 'skip', 'melon.dns'), result('immotop.rest', 'pass'), result('melon.auth', 'skip', 'melon.dns'), result('staging.roundtrip', 'skip')]
    const folded = foldSkipped(checks)
    expect(folded.map((f) => f.check.id)).toEqual(['melon.dns', 'immotop.rest', 'staging.roundtrip'])
    expect(folded[0]!.folded.map((f) => f.id)).toEqual(['melon.tcp', 'melon.auth'])
    expect(folded[1]!.folded).toEqual([])
  })
  it('keeps a skipped check whose root is not in the report (--only) on its own line', () => {
    expect(foldSkipped([result('melon.auth', 'skip', 'melon.dns')]).map((f) => f.check.id)).toEqual(['melon.auth'])
  })
})
