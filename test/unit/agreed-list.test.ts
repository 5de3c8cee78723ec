/**
 * state rebuild reads melon's tenants until two reads agree: offset paging
 * can skip a tenant unseen while the list changes, and a tenant missing from
 * a rebuilt ledger would be handed over a second time.
 */
import {describe, expect, it} from 'vitest'
import {agreedList} from '../../src/services/state.js'

const reads = (...lists: string[][]) => {
  let n = 0
  const read = async () => lists[Math.min(n++, lists.length - 1)]!.map((id) => ({id}))
  return {read, count: () => n}
}

describe('agreedList', () => {
  it('returns the list once two reads in a row name the same tenants, in any order', async () => {
    const {read, count} = reads(['T-1', 'T-2'], ['T-2', 'T-1'])
    expect((await agreedList(read)).map((t) => t.id)).toEqual(['T-2', 'T-1'])
    expect(count()).toBe(2)
  })

  it('a read that missed a tenant (the list changed meanwhile) is read again', async () => {
    const {read, count} = reads(['T-1', 'T-3'], ['T-1', 'T-2', 'T-3'], ['T-1', 'T-2', 'T-3'])
    expect((await agreedList(read)).map((t) => t.id)).toEqual(['T-1', 'T-2', 'T-3'])
    expect(count()).toBe(3)
  })

  it('a list that changes between every read is refused, bounded', async () => {
    const {read, count} = reads(['T-1'], ['T-1', 'T-2'], ['T-2'], ['T-3'])
    await expect(agreedList(read)).rejects.toMatchObject({code: 'TENANTS_CHANGING', exitCode: 7})
    expect(count()).toBe(3)
  })
})
