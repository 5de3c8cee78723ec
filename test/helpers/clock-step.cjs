/**
 * A preload (NODE_OPTIONS=--require …) that sees the wall clock stepped
 * forward by MI_CLOCK_STEP_MS, as NTP's first sync after boot or a resumed VM
 * steps it: Date moves, and so does the boot time Linux reports in /proc/stat
 * (the kernel keeps btime = wall clock − uptime). Boot-relative clocks
 * (/proc/uptime, /proc/<pid>/stat start ticks, the monotonic clock) stay, as
 * they do on a real machine.
 */
'use strict'
const fs = require('node:fs')
const {syncBuiltinESMExports} = require('node:module')

const step = Number(process.env.MI_CLOCK_STEP_MS)
if (!Number.isFinite(step)) throw new Error('clock-step.cjs: set MI_CLOCK_STEP_MS')

const RealDate = Date
function SteppedDate(...args) {
  if (!new.target) return new RealDate(RealDate.now() + step).toString()
  return args.length === 0 ? new RealDate(RealDate.now() + step) : new RealDate(...args)
}
SteppedDate.prototype = RealDate.prototype
SteppedDate.now = () => RealDate.now() + step
SteppedDate.parse = RealDate.parse
SteppedDate.UTC = RealDate.UTC
globalThis.Date = SteppedDate

const readFileSync = fs.readFileSync
fs.readFileSync = function (path, ...rest) {
  const content = readFileSync.call(this, path, ...rest)
  if (path !== '/proc/stat') return content
  const moved = String(content).replace(/^btime (\d+)$/m, (_, seconds) => `btime ${Number(seconds) + Math.round(step / 1000)}`)
  return typeof content === 'string' ? moved : Buffer.from(moved)
}
syncBuiltinESMExports()
