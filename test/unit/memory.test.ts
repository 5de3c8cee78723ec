/**
 * releasingCounter: a young-generation collection every RELEASE_EVERY_BYTES
 * of a stream, so that the buffers of a download go back to the allocator
 * (bench/export-memory.mjs shows the peak it saves).
 */
import {constants, PerformanceObserver, type PerformanceEntry} from 'node:perf_hooks'
import {describe, expect, it} from 'vitest'
import {RELEASE_EVERY_BYTES, releasingCounter} from '../../src/adapters/memory.js'

async function minorCollections(work: () => void): Promise<number> {
  const seen: PerformanceEntry[] = []
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()))
  observer.observe({entryTypes: ['gc']})
  work()
  // GC entries are delivered after the current task.
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  observer.disconnect()
  return seen.filter((entry) => (entry as PerformanceEntry & {detail?: {kind?: number}}).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR).length
}

describe('releasingCounter', () => {
  it('collects the young generation once per RELEASE_EVERY_BYTES that pass, in chunks of any size', async () => {
    const count = releasingCounter()
    const collections = await minorCollections(() => {
      // 12 × the threshold, in 64 KiB chunks as a socket delivers them.
      for (let sent = 0; sent < 12 * RELEASE_EVERY_BYTES; sent += 64 * 1024) count(64 * 1024)
    })
    expect(collections).toBeGreaterThanOrEqual(12)
  })

  it('counts each stream on its own', async () => {
    const a = releasingCounter(1000)
    const b = releasingCounter(1000)
    const collections = await minorCollections(() => {
      for (let i = 0; i < 5; i++) {
        a(999)
        b(999)
      }
    })
    // 5 × 999 bytes each: a and b each reach 1000 at their 2nd and 4th chunk (a shared count would reach it 9 times).
    expect(collections).toBeGreaterThanOrEqual(4)
  })
})
