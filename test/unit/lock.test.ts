import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {StateLock} from '../../src/state/lock.js'

const dirs: string[] = []
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, {recursive: true, force: true})
})

describe('StateLock.acquireOrBusy', () => {
  it('takes a free lock; a held one is BusyError SYNC_RUNNING naming the holder, the folder and the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-lock-unit-'))
    dirs.push(dir)
    const first = new StateLock(dir)
    first.acquireOrBusy('never shown')
    const since = () => JSON.parse(readFileSync(join(dir, 'sync.lock'), 'utf8')).since
    try {
      expect(() => new StateLock(dir).acquireOrBusy('Let it finish.')).toThrow(
        expect.objectContaining({code: 'SYNC_RUNNING', message: `Another melon-immotop sync (pid ${process.pid} on ${hostname()}, since ${since()}) is running on ${dir}.`, fix: 'Let it finish.'}),
      )
    } finally {
      first.release()
    }
    const again = new StateLock(dir)
    again.acquireOrBusy('never shown')
    again.release()
  })
})
