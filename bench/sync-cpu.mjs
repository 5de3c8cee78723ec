#!/usr/bin/env node
// Client CPU per tenant of one `sync --once` over N fresh tenants (default 200), in a fresh sandbox each run.
// Usage: node bench/sync-cpu.mjs [N] [runs]
import {createTenants, measure, sandbox} from './lib.mjs'

const n = Number(process.argv[2] ?? 200)
const runs = Number(process.argv[3] ?? 3)
for (let run = 0; run < runs; run++) {
  const s = await sandbox()
  try {
    await createTenants(s, n)
    const result = measure(['sync', '--once', '--json', '--config', s.config], {dir: s.dir})
    console.log(`N=${n + 3}: ${((result.cpuSeconds * 1000) / (n + 3)).toFixed(1)} ms CPU per tenant, ${((n + 3) / result.seconds).toFixed(1)} tenants/s`)
  } finally {
    await s.stop()
  }
}
