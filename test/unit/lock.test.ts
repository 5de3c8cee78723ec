import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir, uptime} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {StateLock} from '../../src/state/lock.js'
import {bootId, processStartedAt, startTicks, uptimeMs, type ProcessStamp} from '../../src/state/process-alive.js'
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

describe('a lock named by a ProcessStamp (boot, start ticks, uptime: no wall-clock time)', () => {
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-lock-stamp-'))
    dirs.push(dir)
    return dir
  }
  // The wall-clock time in the lock is one the old rule would have judged stale (before the boot): the stamp decides alone.
  const plant = (dir: string, stamp: ProcessStamp) => writeFileSync(join(dir, 'sync.lock'), JSON.stringify({pid: stamp.pid, host: hostname(), since: new Date(0).toISOString(), stamp}))
  const live = () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'})

  it('the process the stamp names holds the lock, whatever the wall-clock time in it', () => {
    const child = live()
    try {
      const dir = folder()
      const start = startTicks(child.pid!)
      plant(dir, {pid: child.pid!, ...(bootId() ? {boot: bootId()!} : {}), ...(start !== null ? {start} : {}), up: uptimeMs()})
      expect(() => new StateLock(dir).acquireOrBusy('Let it finish.')).toThrow(expect.objectContaining({code: 'SYNC_RUNNING'}))
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('a stamp of a later uptime than now (the machine restarted since) is stale', () => {
    const dir = folder()
    plant(dir, {pid: process.ppid, up: uptimeMs() + 3_600_000})
    const lock = new StateLock(dir)
    lock.acquireOrBusy('never shown')
    lock.release()
  })

  it.runIf(process.platform === 'linux')('Linux: another boot id, or other start ticks (the pid came round again), is stale', () => {
    const child = live()
    try {
      const start = startTicks(child.pid!)!
      for (const stamp of [{pid: child.pid!, boot: 'another-boot', start, up: 1}, {pid: child.pid!, boot: bootId()!, start: start - 1, up: 1}]) {
        const dir = folder()
        plant(dir, stamp)
        const lock = new StateLock(dir)
        lock.acquireOrBusy('never shown')
        expect(JSON.parse(readFileSync(join(dir, 'sync.lock'), 'utf8'))).toMatchObject({pid: process.pid, stamp: {pid: process.pid, boot: bootId(), start: startTicks(process.pid)}})
        lock.release()
      }
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('stillHeld: true for the file this process linked in; false once it is removed or replaced', () => {
    const dir = folder()
    const lock = new StateLock(dir)
    lock.acquireOrBusy('never shown')
    expect(lock.stillHeld()).toBe(true)
    rmSync(join(dir, 'sync.lock'))
    expect(lock.stillHeld()).toBe(false)
    writeFileSync(join(dir, 'sync.lock'), '')
    expect(lock.stillHeld()).toBe(false)
    // Release leaves another's lock alone.
    lock.release()
    expect(readFileSync(join(dir, 'sync.lock'), 'utf8')).toBe('')
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
      // A claim as 0.1.0 wrote it: pid and lease, no stamp.
      ledger.db.prepare('UPDATE operations SET owner_pid = ?, owner_stamp = NULL, lease_until = ? WHERE op_key = ?').run(pid, claimed + LEASE, 'k')
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

describe('a handover claim named by a ProcessStamp', () => {
  const op = {op_key: 'k', tenant_id: 'T-1', unit_ref: '1.1.1', handover_id: 'mi-T-1-k', dossier_hash: 'h'}
  const withStamp = (stamp: ProcessStamp, leaseUntil: number, check: (ledger: Ledger) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-claim-stamp-'))
    dirs.push(dir)
    const ledger = new Ledger(dir)
    try {
      ledger.claim(op, false)
      ledger.db.prepare('UPDATE operations SET owner_pid = ?, owner_stamp = ?, lease_until = ? WHERE op_key = ?').run(stamp.pid, JSON.stringify(stamp), leaseUntil, 'k')
      check(ledger)
    } finally {
      ledger.close()
    }
  }

  it('a claim records this process\'s stamp, and release clears it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-claim-own-'))
    dirs.push(dir)
    const ledger = new Ledger(dir)
    try {
      expect(JSON.parse(ledger.claim(op, false)!.owner_stamp!)).toMatchObject({pid: process.pid, up: expect.any(Number)})
      ledger.release('k')
      expect(ledger.get('k')).toMatchObject({owner_pid: null, owner_stamp: null})
    } finally {
      ledger.close()
    }
  })

  it.runIf(process.platform === 'linux')('Linux: the live claimant keeps it even with its wall-clock lease run out (a clock step); a pid come round again, or another boot, loses it', () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'})
    try {
      const start = startTicks(child.pid!)!
      const stamp = {pid: child.pid!, boot: bootId()!, start, up: uptimeMs()}
      withStamp(stamp, Date.now() - 60_000, (ledger) => expect(ledger.claim(op, false)).toBeNull())
      withStamp({...stamp, start: start - 1}, Date.now() + 600_000, (ledger) => expect(ledger.claim(op, false)).toMatchObject({owner_pid: process.pid}))
      withStamp({...stamp, boot: 'another-boot'}, Date.now() + 600_000, (ledger) => expect(ledger.claim(op, false)).toMatchObject({owner_pid: process.pid}))
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('a claimant that is gone loses it at once', () => {
    const child = spawn(process.execPath, ['-e', '0'], {stdio: 'ignore'})
    const pid = child.pid!
    return new Promise<void>((resolve) => child.once('exit', () => resolve())).then(() =>
      withStamp({pid, up: uptimeMs()}, Date.now() + 600_000, (ledger) => expect(ledger.claim(op, false)).toMatchObject({owner_pid: process.pid})),
    )
  })
})
