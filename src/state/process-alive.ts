import {readFileSync} from 'node:fs'
import {uptime} from 'node:os'

/** Whether a process with this pid runs on this machine (the state directory is local). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Who holds a lock or a claim, named so that neither a pid given again nor a
 * step of the wall clock can fool the check: no wall-clock time takes part.
 * Linux names the boot (a new boot_id each start) and the process's start in
 * clock ticks since that boot; every system gives the machine's uptime,
 * which only a restart turns back.
 */
export interface ProcessStamp {
  pid: number
  /** Linux: /proc/sys/kernel/random/boot_id. */
  boot?: string
  /** Linux: the start time in clock ticks since boot (/proc/<pid>/stat, field 22). */
  start?: number
  /** The machine's uptime in ms when the stamp was made. */
  up: number
}

/** The machine's uptime in ms: boot-relative, untouched by steps of the wall clock (/proc/uptime, CLOCK_BOOTTIME, on Linux). */
export function uptimeMs(platform: NodeJS.Platform = process.platform): number {
  if (platform === 'linux') {
    try {
      const seconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
      if (Number.isFinite(seconds)) return Math.round(seconds * 1000)
    } catch {
      // below
    }
  }
  return Math.round(uptime() * 1000)
}

let bootIdCache: string | null | undefined
/** Linux's id of this boot; null elsewhere. */
export function bootId(platform: NodeJS.Platform = process.platform): string | null {
  if (platform !== 'linux') return null
  if (bootIdCache !== undefined) return bootIdCache
  try {
    bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null
  } catch {
    bootIdCache = null
  }
  return bootIdCache
}

/** Linux: when the process started, in clock ticks since boot (boot-relative: no clock step moves it); null elsewhere or unreadable. */
export function startTicks(pid: number, platform: NodeJS.Platform = process.platform): number | null {
  if (platform !== 'linux') return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ")".
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    return Number.isInteger(ticks) ? ticks : null
  } catch {
    return null
  }
}

let ownStart: number | null | undefined
/** This process's stamp, made now. */
export function ownStamp(): ProcessStamp {
  if (ownStart === undefined) ownStart = startTicks(process.pid)
  const boot = bootId()
  return {pid: process.pid, ...(boot ? {boot} : {}), ...(ownStart !== null ? {start: ownStart} : {}), up: uptimeMs()}
}

/** The stamp as the ledger keeps it; null for anything that is not one. */
export function parseStamp(text: string | null | undefined): ProcessStamp | null {
  if (!text) return null
  try {
    const value = JSON.parse(text) as Partial<ProcessStamp>
    if (!Number.isInteger(value.pid) || typeof value.up !== 'number') return null
    return {pid: value.pid!, up: value.up, ...(typeof value.boot === 'string' ? {boot: value.boot} : {}), ...(Number.isInteger(value.start) ? {start: value.start} : {})}
  } catch {
    return null
  }
}

/**
 * Whether the process a stamp names still runs: the same boot (Linux's
 * boot id; elsewhere an uptime no smaller than the stamp's), the pid alive,
 * and (Linux) the same start. A pid Linux's /proc does not show (hidepid)
 * counts as the holder: taking over a live one would send twice.
 */
export function stampStillRuns(stamp: ProcessStamp): boolean {
  const boot = bootId()
  if (stamp.boot !== undefined && boot !== null) {
    if (stamp.boot !== boot) return false
  } else if (stamp.up > uptimeMs() + 2_000) return false
  if (!isProcessAlive(stamp.pid)) return false
  if (stamp.start === undefined) return true
  const start = startTicks(stamp.pid)
  return start === null || start === stamp.start
}

/**
 * For locks and claims written by 0.1.0 (pid and a wall-clock
 * time only): alive, claimed after this machine last started, and (where the
 * start time is known) started before the claim. A step of the wall clock
 * can fool this; every new lock and claim carries a ProcessStamp instead.
 */
export function stillClaimant(pid: number, since: number): boolean {
  if (!Number.isNaN(since) && since < Date.now() - uptime() * 1000) return false
  if (!isProcessAlive(pid)) return false
  const started = processStartedAt(pid)
  return started === null || Number.isNaN(since) || started <= since + 1000
}

/** When the process started, in ms since the epoch (Linux: boot time plus start ticks; USER_HZ is 100 on every Linux architecture Node runs on). */
export function processStartedAt(pid: number, platform: NodeJS.Platform = process.platform): number | null {
  const ticks = startTicks(pid, platform)
  if (ticks === null) return null
  try {
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    return Number.isFinite(bootSeconds) ? (bootSeconds + ticks / 100) * 1000 : null
  } catch {
    return null
  }
}
