/**
 * The contract watches in the ledger: handovers from before the watches
 * existed are never watched (their unit may carry a new listing by now), a
 * watch expires, and a pass over unchanged watches writes nothing.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {contractPass} from '../../src/services/contracts.js'
import {Ledger} from '../../src/state/ledger.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mi-ledger-contracts-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

function pickedUp(ledger: Ledger, tenant: string, unit = '1.10001.1012') {
  const op = {op_key: `op-${tenant}`, tenant_id: tenant, unit_ref: unit, handover_id: `h-${tenant}`, dossier_hash: 'x'}
  ledger.claim(op, false)
  // Step by step, as the ledger allows (core/transitions.ts).
  ledger.advance(op.op_key, 'fetched')
  ledger.advance(op.op_key, 'delivered')
  ledger.advance(op.op_key, 'picked_up', 'done')
  ledger.release(op.op_key)
  return op
}

describe('contract watches in the ledger', () => {
  it('a ledger from before the watches: its picked-up handovers are entered closed, never watched; new ones are watched', () => {
    const old = new Ledger(dir)
    pickedUp(old, 'T-1')
    // As a ledger written before this version: no contracts table.
    old.db.exec('DROP TABLE contracts')
    old.close()
    const ledger = new Ledger(dir)
    try {
      expect(ledger.contract('T-1')).toMatchObject({state: 'closed', reason: 'handed over before contracts were watched; not watched'})
      pickedUp(ledger, 'T-2')
      expect(ledger.startContractWatches()).toBe(1)
      expect(ledger.contract('T-2')!.state).toBe('waiting')
      expect(ledger.contract('T-1')!.state).toBe('closed')
    } finally {
      ledger.close()
    }
  })

  it('a listing reference that is not an Immotop 2 unit is reported, not read and not guessed', async () => {
    const ledger = new Ledger(dir)
    try {
      pickedUp(ledger, 'T-5', 'SANDBOX-FEED-77')
      const unreachable = new Proxy({}, {get: () => () => Promise.reject(new Error('no network call expected'))}) as never
      const report = await contractPass({melon: unreachable, immotop: unreachable, ledger}, {onContract: 'rented', windowDays: 31, watchDays: 120})
      expect(report.ambiguous.map((c) => [c.tenantId, c.reason])).toEqual([
        ['T-5', "the listing reference SANDBOX-FEED-77 is not an Immotop 2 unit (<mandant>.<liegenschaft>.<objekt>), so its tenancies cannot be read; set the tenant's contract in melon by hand"],
      ])
    } finally {
      ledger.close()
    }
  })

  it('recording the same waiting state again writes nothing', () => {
    const ledger = new Ledger(dir)
    try {
      const op = pickedUp(ledger, 'T-4')
      ledger.startContractWatches()
      const before = ledger.changes()
      ledger.setContract(op.op_key, {state: 'waiting', reason: null, candidates: null})
      expect(ledger.changes()).toBe(before)
      ledger.setContract(op.op_key, {state: 'ambiguous', reason: 'two', candidates: [{ref: '1', from: '2027-01-01'}]})
      expect(ledger.changes()).toBeGreaterThan(before)
    } finally {
      ledger.close()
    }
  })
})

describe('the melon project a state folder serves', () => {
  it('is recorded by the first run and refused for another project, also after reopening', () => {
    const first = new Ledger(dir)
    try {
      first.belongsTo('muster-immo')
      first.belongsTo('muster-immo')
      expect(() => first.belongsTo('test-project')).toThrow(expect.objectContaining({code: 'STATE_OF_ANOTHER_PROJECT', exitCode: 78}))
    } finally {
      first.close()
    }
    const again = new Ledger(dir)
    try {
      let refused: unknown
      try {
        again.belongsTo('test-project')
      } catch (error) {
        refused = error
      }
      expect(refused).toMatchObject({message: expect.stringContaining('holds the handovers of melon project "muster-immo", not of "test-project"'), fix: expect.stringContaining('state folder of its own')})
      expect(() => again.belongsTo('muster-immo')).not.toThrow()
    } finally {
      again.close()
    }
  })
})
