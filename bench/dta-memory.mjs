#!/usr/bin/env node
// Benchmark: peak memory and time of `publish --from-csv --dry-run` (a
// dta-mpexp export, read as a stream in two passes) as the file grows,
// against the sandbox. Memory grows with the units (a few hundred bytes
// each), not with the rows: each size is measured with ten rows per unit (a
// unit's tenancies over the years) and with three. Run after `npm run build`:
//   node bench/dta-memory.mjs [MiB...]      (default 10 100 500)
import {join} from 'node:path'
import {measure, sandbox, writeDtaExport} from './lib.mjs'

const sizes = process.argv.slice(2).map(Number).filter(Boolean)
const sb = await sandbox()
try {
  console.log('file MiB | rows per unit | rows | publish --dry-run s | peak RSS MiB')
  for (const mib of sizes.length ? sizes : [10, 100, 500]) {
    for (const perUnit of [10, 3]) {
      const {file, rows} = await writeDtaExport(sb.dir, join(sb.dir, `export-${mib}-${perUnit}.csv`), mib, perUnit)
      const run = measure(['publish', '--from-csv', file, '--mandant', '1', '--all', '--dry-run', '--json', '--config', sb.config], {dir: sb.dir})
      console.log(`${String(mib).padStart(8)} | ${String(perUnit).padStart(13)} | ${String(rows).padStart(9)} | ${run.seconds.toFixed(2).padStart(19)} | ${run.rssMiB.toFixed(1).padStart(12)}`)
    }
  }
} finally {
  await sb.stop()
}
