/**
 * One `sync` per state directory. A lock file created with O_EXCL holds the
 * owner's pid; a lock whose process is gone (crash, SIGKILL) is taken over at
 * once, which an mtime-based lock could only do after its stale timeout.
 * The state directory is local to one machine, so a pid check is sound, with
 * care for pids that were given again and for steps of the wall clock: the
 * lock names its holder by a ProcessStamp (boot, start ticks, uptime), so a
 * lock of an earlier boot is stale whatever runs under its pid now (a service
 * often gets the same pid after a reboot, this process included), a process
 * that started since is not its holder, and no clock step changes either.
 * A holder that finds its lock file replaced or gone has lost the lock
 * (`stillHeld`): `sync` stops at once then.
 */
import {closeSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, writeSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {BusyError, StateError, diskFullError} from '../errors.js'
import {ownStamp, stampStillRuns, stillClaimant, type ProcessStamp} from './process-alive.js'

/** The locks this process holds now, by path: its own pid in a lock is alive only for these. */
const heldHere = new Set<string>()

export interface LockHolder {
  pid: number
  host: string
  since: string
  /** Absent in locks written by 0.1.0. */
  stamp?: ProcessStamp
}

export class StateLock {
  private readonly path: string
  /** The lock file's path. */
  get file(): string {
    return this.path
  }
  private held = false
  /** The lock file this process linked in (device, inode, content): another file in its place is another's lock, even where the file system gives the inode number again. */
  private identity: {dev: number; ino: number; text: string} | null = null

  constructor(
    private readonly stateDir: string,
    name = 'sync.lock',
  ) {
    this.path = join(stateDir, name)
  }

  /** Takes the lock, or throws BusyError (exit 75) naming the running sync, with `fix` as what to do. */
  acquireOrBusy(fix: string): void {
    const got = this.acquire()
    if (!got.ok) {
      const {pid, host, since} = got.holder
      throw new BusyError('SYNC_RUNNING', `Another melon-immotop sync (pid ${pid} on ${host}, since ${since}) is running on ${this.stateDir}.`, fix)
    }
  }

  /** Takes the lock, or returns who holds it. */
  acquire(): {ok: true} | {ok: false; holder: LockHolder} {
    // The lock is taken before the ledger is opened: the state folder may not be there yet (created 0700, as the ledger would).
    try {
      mkdirSync(this.stateDir, {recursive: true, mode: 0o700})
    } catch (error) {
      throw this.unusable(error)
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      // The lock appears complete or not at all: written aside, then linked in
      // (link fails if the lock exists), so no one ever reads a half-written lock.
      const aside = `${this.path}.${process.pid}`
      try {
        const fd = openSync(aside, 'w', 0o600)
        const text = JSON.stringify({pid: process.pid, host: hostname(), since: new Date().toISOString(), stamp: ownStamp()} satisfies LockHolder)
        writeSync(fd, text)
        closeSync(fd)
        linkSync(aside, this.path)
        const {dev, ino} = lstatSync(this.path)
        this.identity = {dev, ino, text}
        this.held = true
        heldHere.add(this.path)
        return {ok: true}
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw this.unusable(error)
        const holder = this.holder()
        if (holder && this.holds(holder)) return {ok: false, holder}
        // The holder is gone: remove the stale lock and try again.
        rmSync(this.path, {force: true})
      } finally {
        rmSync(aside, {force: true})
      }
    }
    const holder = this.holder()
    return holder ? {ok: false, holder} : {ok: false, holder: {pid: 0, host: 'unknown', since: ''}}
  }

  /** A state folder this process cannot write: named, with the fix, never an internal error. */
  private unusable(error: unknown): StateError {
    const full = diskFullError(error, this.stateDir, 'Nothing was changed.')
    if (full) return full
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      return new StateError('STATE_DIR_UNUSABLE', `The state folder ${this.stateDir} is not a folder (a file is in its place, or in the place of a folder above it); nothing was changed.`, `Move that file away, or set stateDir to a folder.`, {cause: error})
    }
    return new StateError('STATE_DIR_UNUSABLE', `The state folder ${this.stateDir} cannot be written (${code}); nothing was changed.`, `Give the account running melon-immotop read and write access to ${this.stateDir}, or correct stateDir.`, {cause: error})
  }

  /** Whether the lock file is still the one this process linked in (not removed, not replaced by another's). */
  stillHeld(): boolean {
    if (!this.held || !this.identity) return false
    try {
      const {dev, ino} = lstatSync(this.path)
      return dev === this.identity.dev && ino === this.identity.ino && readFileSync(this.path, 'utf8') === this.identity.text
    } catch {
      return false
    }
  }

  /** Who holds the lock now (for the message of a lost lock); null when nobody does. */
  currentHolder(): LockHolder | null {
    return this.holder()
  }

  release(): void {
    if (!this.held) return
    // Only our own file goes: a lock another process took in its place stays.
    if (this.stillHeld()) rmSync(this.path, {force: true})
    this.held = false
    this.identity = null
    heldHere.delete(this.path)
  }

  /** Whether the process the lock names is still the one that wrote it. */
  private holds(holder: LockHolder): boolean {
    if (holder.host !== hostname()) return false
    if (holder.pid === process.pid) return heldHere.has(this.path)
    if (holder.stamp && Number.isInteger(holder.stamp.pid) && typeof holder.stamp.up === 'number') return stampStillRuns(holder.stamp)
    return stillClaimant(holder.pid, Date.parse(holder.since))
  }

  private holder(): LockHolder | null {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as LockHolder
    } catch {
      return null
    }
  }
}
