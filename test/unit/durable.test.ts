import {describe, expect, it} from 'vitest'
import {renameDurably} from '../../src/adapters/durable.js'

const busy = (code: string) => Object.assign(new Error(`${code}: resource busy`), {code})

/** A rename that fails with the given codes first, then succeeds; it counts its calls. */
function flaky(codes: string[]) {
  const calls: string[] = []
  return {
    calls,
    rename: async (from: string, to: string) => {
      calls.push(`${from}->${to}`)
      const code = codes.shift()
      if (code) throw busy(code)
    },
  }
}

describe('renameDurably (a virus scanner holding a fresh file on Windows)', () => {
  it('on win32 retries EBUSY, EPERM and EACCES until the rename goes through', async () => {
    const fs = flaky(['EBUSY', 'EPERM', 'EACCES'])
    await renameDurably('a.tmp', 'a.pdf', {platform: 'win32', rename: fs.rename, delaysMs: [0, 0, 0, 0]})
    expect(fs.calls).toHaveLength(4)
  })
  it('gives up after the bounded retries with the last error', async () => {
    const fs = flaky(['EBUSY', 'EBUSY', 'EBUSY'])
    await expect(renameDurably('a.tmp', 'a.pdf', {platform: 'win32', rename: fs.rename, delaysMs: [0, 0]})).rejects.toMatchObject({code: 'EBUSY'})
    expect(fs.calls).toHaveLength(3)
  })
  it('elsewhere, and for other errors, the first error is final', async () => {
    const linux = flaky(['EBUSY'])
    await expect(renameDurably('a', 'b', {platform: 'linux', rename: linux.rename, delaysMs: [0]})).rejects.toMatchObject({code: 'EBUSY'})
    expect(linux.calls).toHaveLength(1)
    const full = flaky(['ENOSPC'])
    await expect(renameDurably('a', 'b', {platform: 'win32', rename: full.rename, delaysMs: [0]})).rejects.toMatchObject({code: 'ENOSPC'})
    expect(full.calls).toHaveLength(1)
  })
})
