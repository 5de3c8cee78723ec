/**
 * The handover's and the contract watch's state machines (core/transitions.ts),
 * and the ledger enforcing them: an illegal change is a BugError, and nothing
 * of it is written.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterEach, describe, expect, it} from 'vitest'
import {CONTRACT_TRANSITIONS, HANDOVER_TRANSITIONS, isTransition, reachable} from '../../src/core/transitions.js'
import {CONTRACT_STATES, HANDOVER_STEPS, Ledger, type HandoverStep} from '../../src/state/ledger.js'

const dirs: string[] = []
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, {recursive: true, force: true})
})
function ledger(): Ledger {
  const dir = mkdtempSync(join(tmpdir(), 'mi-transitions-'))
  dirs.push(dir)
  return new Ledger(dir)
}
const op = {op_key: 'k', tenant_id: 'T-1', unit_ref: '1.1.1', handover_id: 'mi-T-1-k', dossier_hash: 'h'}

describe('the tables', () => {
  it('name exactly the ledger\'s steps and watch states', () => {
    expect(Object.keys(HANDOVER_TRANSITIONS).sort()).toEqual([...HANDOVER_STEPS].sort())
    expect(Object.keys(CONTRACT_TRANSITIONS).sort()).toEqual([...CONTRACT_STATES].sort())
  })

  it('every step can be reached from started, and every step can still reach notified (no dead end but the end)', () => {
    expect([...reachable(HANDOVER_TRANSITIONS, 'started')].sort()).toEqual([...HANDOVER_STEPS].sort())
    for (const step of HANDOVER_STEPS) expect(reachable(HANDOVER_TRANSITIONS, step).has('notified'), step).toBe(true)
    for (const state of CONTRACT_STATES) expect(reachable(CONTRACT_TRANSITIONS, state).has('closed'), state).toBe(true)
  })

  it('nothing goes back once the files were picked up, except a failed mail to picked_up; nothing skips delivery', () => {
    for (const from of ['picked_up', 'notifying', 'notified'] as const) {
      for (const to of ['started', 'fetched', 'delivered'] as const) expect(isTransition(HANDOVER_TRANSITIONS, from, to), `${from} → ${to}`).toBe(false)
    }
    for (const from of ['started', 'fetched'] as const) expect(isTransition(HANDOVER_TRANSITIONS, from, 'picked_up')).toBe(false)
    expect(isTransition(CONTRACT_TRANSITIONS, 'found', 'told')).toBe(false)
    expect(isTransition(CONTRACT_TRANSITIONS, 'told', 'waiting')).toBe(false)
    expect(isTransition(HANDOVER_TRANSITIONS, 'started', 'nonsense')).toBe(false)
  })
})

describe('the ledger enforces them', () => {
  it('any sequence of requested steps: each one listed is applied, each other is a BugError that changes nothing (property)', () => {
    const db = ledger()
    try {
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...HANDOVER_STEPS), {maxLength: 25}), (requests: HandoverStep[]) => {
          db.db.exec('DELETE FROM operations; DELETE FROM events')
          db.claim(op, false)
          let model: HandoverStep = 'started'
          for (const to of requests) {
            const events = db.events().length
            if (isTransition(HANDOVER_TRANSITIONS, model, to)) {
              db.advance('k', to)
              model = to
            } else {
              expect(() => db.advance('k', to)).toThrow(expect.objectContaining({code: 'ILLEGAL_TRANSITION', exitCode: 70}))
              expect(db.events()).toHaveLength(events)
            }
            expect(db.get('k')!.step).toBe(model)
          }
        }),
        {numRuns: 60},
      )
    } finally {
      db.close()
    }
  })

  it('fail() may reset only along a listed transition', () => {
    const db = ledger()
    try {
      db.claim(op, false)
      for (const step of ['fetched', 'delivered', 'picked_up', 'notifying'] as const) db.advance('k', step)
      expect(() => db.fail('k', 'X', 'x', 'started')).toThrow(expect.objectContaining({code: 'ILLEGAL_TRANSITION'}))
      expect(db.get('k')).toMatchObject({step: 'notifying', status: 'in_progress'})
      db.fail('k', 'SMTP_FAILED', 'the mail failed', 'picked_up')
      expect(db.get('k')).toMatchObject({step: 'picked_up', status: 'failed'})
    } finally {
      db.close()
    }
  })

  it('a watch: found → told, told → waiting and closed → found of a told watch are refused; an expired one may be confirmed', () => {
    const db = ledger()
    try {
      db.claim(op, false)
      for (const step of ['fetched', 'delivered', 'picked_up'] as const) db.advance('k', step, step === 'picked_up' ? 'done' : 'in_progress')
      db.startContractWatches()
      const tenancy = {ref: '5012', from: '2027-01-01', by: 'operator' as const}
      expect(() => db.setContract('k', {state: 'told', told: true})).toThrow(expect.objectContaining({code: 'ILLEGAL_TRANSITION'}))
      expect(db.contract('T-1')!.state).toBe('waiting')
      db.setContract('k', {state: 'closed', reason: 'expired', listingResult: 'not touched'})
      db.setContract('k', {state: 'found', tenancy})
      db.setContract('k', {state: 'telling'})
      db.setContract('k', {state: 'told', told: true})
      expect(() => db.setContract('k', {state: 'waiting'})).toThrow(expect.objectContaining({code: 'ILLEGAL_TRANSITION'}))
      db.setContract('k', {state: 'closed', listingResult: 'rented'})
      expect(() => db.setContract('k', {state: 'found', tenancy: {...tenancy, ref: '5013'}})).toThrow(expect.objectContaining({code: 'ILLEGAL_TRANSITION'}))
      expect(db.contract('T-1')).toMatchObject({state: 'closed', tenancy_ref: '5012'})
    } finally {
      db.close()
    }
  })
})
