import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir, uptime} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {StateLock} from '../../src/state/lock.js'
import {processStartedAt} from '../../src/state/process-alive.js'
import {Ledger} from '../../src/state/ledger.js'

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

describe('a lock whose pid was given again', () => {
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-lock-reuse-'))
    dirs.push(dir)
    return dir
  }
  const plant = (dir: string, pid: number, since: Date) => writeFileSync(join(dir, 'sync.lock'), JSON.stringify({pid, host: hostname(), since: since.toISOString()}))
  const bootedAt = () => Date.now() - uptime() * 1000

  it('this process\'s own pid in a lock it does not hold (an earlier life, after a reboot) is taken over', () => {
    const dir = folder()
    plant(dir, process.pid, new Date())
    const lock = new StateLock(dir)
    lock.acquireOrBusy('never shown')
    expect(JSON.parse(readFileSync(join(dir, 'sync.lock'), 'utf8'))).toMatchObject({pid: process.pid})
    lock.release()
  })

  it('a lock written before the machine last started is stale, even if a live process has its pid now', () => {
    const dir = folder()
    // The parent (vitest) is alive; the lock predates the boot.
    plant(dir, process.ppid, new Date(bootedAt() - 3_600_000))
    const lock = new StateLock(dir)
    lock.acquireOrBusy('never shown')
    lock.release()
  })

  it('a live holder that wrote its lock after it started still holds it', () => {
    const dir = folder()
    plant(dir, process.ppid, new Date())
    expect(() => new StateLock(dir).acquireOrBusy('Let it finish.')).toThrow(expect.objectContaining({code: 'SYNC_RUNNING'}))
  })

  it.runIf(process.platform === 'linux')('Linux: a process started after the lock was written is not its holder (the pid came round again)', async () => {
    const dir = folder()
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'})
    try {
      const started = processStartedAt(child.pid!)
      expect(started).not.toBeNull()
      // The lock was written after the boot, and before this process started.
      plant(dir, child.pid!, new Date(Math.max(bootedAt() + 1_000, started! - 60_000)))
      const lock = new StateLock(dir)
      lock.acquireOrBusy('never shown')
      lock.release()
      // The same process, with a lock it could have written: held.
      plant(dir, child.pid!, new Date(started! + 2_000))
      expect(() => new StateLock(dir).acquireOrBusy('Let it finish.')).toThrow(expect.objectContaining({code: 'SYNC_RUNNING'}))
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('a handover claimed by a pid that was given again', () => {
  const op = {op_key: 'k', tenant_id: 'T-1', unit_ref: '1.1.1', handover_id: 'mi-T-1-k', dossier_hash: 'h'}
  const LEASE = 10 * 60_000
  const withClaim = (pid: number, claimed: number, check: (ledger: Ledger) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-claim-'))
    dirs.push(dir)
    const ledger = new Ledger(dir)
    try {
      ledger.claim(op, false)
      ledger.db.prepare('UPDATE operations SET owner_pid = ?, lease_until = ? WHERE op_key = ?').run(pid, claimed + LEASE, 'k')
      check(ledger)
    } finally {
      ledger.close()
    }
  }

  it('a live claimant within its lease keeps it', () => {
    withClaim(process.ppid, Date.now(), (ledger) => expect(ledger.claim(op, false)).toBeNull())
  })

  it.runIf(process.platform === 'linux')('Linux: a claim whose pid now belongs to a process started after it is free', () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'})
    try {
      const started = processStartedAt(child.pid!)!
      withClaim(child.pid!, Math.max(Date.now() - uptime() * 1000 + 1_000, started - 60_000), (ledger) => expect(ledger.claim(op, false)).toMatchObject({owner_pid: process.pid}))
      withClaim(child.pid!, started + 2_000, (ledger) => expect(ledger.claim(op, false)).toBeNull())
    } finally {
      child.kill('SIGKILL')
    }
  })
})
