// Preloaded with `node --import`: records the process's peak resident memory
// (KiB) and its CPU time (microseconds, user + system) at exit.
import {writeFileSync} from 'node:fs'

process.on('exit', () => {
  if (!process.env.BENCH_RSS_FILE) return
  const usage = process.resourceUsage()
  writeFileSync(process.env.BENCH_RSS_FILE, `${usage.maxRSS} ${usage.userCPUTime + usage.systemCPUTime}`)
})
