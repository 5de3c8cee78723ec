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
 * When the process with this pid started (ms since the epoch), where the
 * system tells it cheaply: Linux's /proc (start time in clock ticks since
 * boot; USER_HZ is 100 on every Linux architecture Node runs on). Null
 * elsewhere (Windows, macOS) or when it cannot be read.
 */
export function processStartedAt(pid: number, platform: NodeJS.Platform = process.platform): number | null {
  if (platform !== 'linux') return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ")".
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    if (!Number.isFinite(ticks) || !Number.isFinite(bootSeconds)) return null
    return (bootSeconds + ticks / 100) * 1000
  } catch {
    return null
  }
}

/**
 * Whether the process `pid`, which claimed something at `since` (ms since the
 * epoch, NaN if unknown), is still the claimant: alive, the claim made after
 * this machine last started, and (where the start time is known) started
 * before the claim. A pid given again to another process is not the claimant.
 */
export function stillClaimant(pid: number, since: number): boolean {
  if (!Number.isNaN(since) && since < Date.now() - uptime() * 1000) return false
  if (!isProcessAlive(pid)) return false
  const started = processStartedAt(pid)
  return started === null || Number.isNaN(since) || started <= since + 1000
}
