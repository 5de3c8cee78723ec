#!/usr/bin/env node
// Benchmark: memory and time of `export-tenant` as the dossier grows.
// Streams must keep peak memory flat: a 1 GiB dossier should cost about what a
// 16 MiB one does. Run after `npm run build`:  node bench/export-memory.mjs [sizesMiB...]
import {measure, sandbox} from './lib.mjs'

const sizes = process.argv.slice(2).map(Number).filter(Boolean)
const sb = await sandbox()
try {
  console.log('dossier MiB | export s | peak RSS MiB | MiB/s')
  for (const mib of sizes.length ? sizes : [16, 256, 1024]) {
    const res = await fetch(sb.ready.admin.createTenants, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({dossier_size_bytes: mib * 1024 * 1024})})
    const {ids} = await res.json()
    const run = measure(['export-tenant', ids[0], '--json', '--config', sb.config], {dir: sb.dir})
    console.log(`${String(mib).padStart(11)} | ${run.seconds.toFixed(2).padStart(8)} | ${run.rssMiB.toFixed(1).padStart(12)} | ${(mib / run.seconds).toFixed(0).padStart(5)}`)
  }
} finally {
  await sb.stop()
}
