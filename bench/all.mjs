#!/usr/bin/env node
// `npm run bench`: every figure of the performance table, each as a ratio
// measured in one run on this machine, plus sync throughput as N grows.
// Run after `npm run build`. Options: --quick (smaller N), --runs <n>.
import {spawnSync} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {createTenants, measure, median, sandbox, startRatio, writeDtaExport, writeFeed} from './lib.mjs'

const quick = process.argv.includes('--quick')
const runsAt = process.argv.indexOf('--runs')
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 9
const rows = []
const row = (what, now, goal, note = '') => {
  rows.push({what, now, goal, note})
  console.error(`  ${what}: ${now}`)
}
const x = (ratio) => `${ratio.toFixed(2)}×`
// The floors: plain Node programs doing the least the same job needs (see their headers).
const floorIdx = fileURLToPath(new URL('./floor-idx.cjs', import.meta.url))
const floorSync = fileURLToPath(new URL('./floor-sync.mjs', import.meta.url))

// 1. Start-up, as ratios to a bare `node -e 0`.
const sb = await sandbox()
try {
  const ratio = (args) => startRatio(args, runs)
  row('`--version` vs `node -e 0`', x(ratio(['--version'])), '≤ 1.6×')
  row('`tenants --help` vs `node -e 0`', x(ratio(['tenants', '--help'])), '≤ 2.0×')
  row('`config show --config f` vs `node -e 0`', x(ratio(['config', 'show', '--config', sb.config])), '≤ 2.5×')

  // 2. Export of a large dossier: peak memory, and wall time against curl + sha256sum + cp of the same bytes.
  const mib = quick ? 50 : 200
  const created = await (await fetch(sb.ready.admin.createTenants, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({dossier_size_bytes: mib * 1024 * 1024})})).json()
  const tenant = await (await fetch(`${sb.ready.melon.baseUrl}/api/partner/v1/tenants/${created.id}`, {headers: {authorization: `Token ${sb.secrets.melon.token}`}})).json()
  const exported = measure(['export-tenant', created.id, '--no-wait', '--json', '--config', sb.config], {dir: sb.dir})
  const copyDir = join(sb.dir, 'copy')
  mkdirSync(copyDir)
  const url = `${sb.ready.melon.baseUrl}/api/partner/v1/tenants/${created.id}/documents/${tenant.documents[0].id}`
  const started = process.hrtime.bigint()
  const shell = `curl -sf -H "Authorization: Token ${sb.secrets.melon.token}" -o "${copyDir}/d.pdf" "${url}" && sha256sum "${copyDir}/d.pdf" >/dev/null && cp "${copyDir}/d.pdf" "${copyDir}/e.pdf"`
  if (spawnSync('sh', ['-c', shell], {stdio: 'ignore'}).status !== 0) throw new Error('curl baseline failed')
  const baseline = Number(process.hrtime.bigint() - started) / 1e9
  row(`\`export-tenant\` of a ${mib} MB dossier, peak RSS`, `${exported.rssMiB.toFixed(0)} MB`, '≤ 110 MB')
  row('the same, wall time vs `curl` + `sha256sum` + `cp`', x(exported.seconds / baseline), '≤ 1.3×')

  // 3. IDX: peak memory and wall time of publish --from-idx --dry-run, against a bare read-and-split in node.
  const records = quick ? 10_000 : 100_000
  const feed = await writeFeed(sb.dir, join(sb.dir, 'feed.idx'), records)
  const idx = measure(['publish', '--from-idx', feed, '--all', '--dry-run', '--json', '--config', sb.config], {dir: sb.dir})
  const bareScript = join(sb.dir, 'bare.cjs')
  writeFileSync(bareScript, `let n=0;for(const l of require('fs').readFileSync(${JSON.stringify(feed)},'latin1').split('\\n'))n+=l.split('#').length;console.log(n)`)
  const bare = median(process.execPath, [bareScript], 3)
  const floor = median(process.execPath, [floorIdx, feed], 3)
  row(`\`publish --from-idx\` of ${records.toLocaleString('en')} records, peak RSS`, `${idx.rssMiB.toFixed(0)} MB`, '≤ 200 MB')
  row('the same, wall time vs a bare read-and-split in node', x(idx.seconds / bare), '≤ 2.0×', `its floor, \`bench/floor-idx.cjs\`: ${x(floor / bare)}`)

  // 3b. dta-mpexp: peak memory of publish --from-csv --dry-run on a large export (ten rows, i.e. tenancies, per unit).
  const dtaMiB = quick ? 50 : 500
  const dta = await writeDtaExport(sb.dir, join(sb.dir, 'export.csv'), dtaMiB)
  const fromCsv = measure(['publish', '--from-csv', dta.file, '--mandant', '1', '--all', '--dry-run', '--json', '--config', sb.config], {dir: sb.dir})
  row(`\`publish --from-csv\` of a ${dtaMiB} MB dta-mpexp export, peak RSS`, `${fromCsv.rssMiB.toFixed(0)} MB`, '≤ 250 MB', `${dta.rows.toLocaleString('en')} rows, ten per unit`)
} finally {
  await sb.stop()
}

/** CPU per tenant of the sync floor over the same tenants, in a sandbox of its own. */
async function syncFloor(n) {
  const s = await sandbox()
  try {
    await createTenants(s, n)
    const run = measure([s.config], {dir: s.dir, script: floorSync})
    return (run.cpuSeconds * 1000) / (n + 3)
  } finally {
    await s.stop()
  }
}

// 4. sync: client CPU per tenant and tenants per second as N grows (mail on, pick-up by the sandbox).
const sizes = quick ? [50] : [50, 200, 1000]
const throughput = []
for (const n of sizes) {
  const total = n + 3
  const s = await sandbox()
  let run
  try {
    await createTenants(s, n)
    run = measure(['sync', '--once', '--json', '--config', s.config], {dir: s.dir})
  } finally {
    await s.stop()
  }
  // The floor goes through the same number of tenants, each in a sandbox of its own, one after the other.
  const t = {n: total, perSecond: total / run.seconds, cpuMs: (run.cpuSeconds * 1000) / total, floorMs: await syncFloor(n)}
  throughput.push(t)
  console.error(`  sync N=${total}: ${t.perSecond.toFixed(1)} tenants/s, ${t.cpuMs.toFixed(1)} ms CPU per tenant (floor ${t.floorMs.toFixed(1)} ms)`)
}
row('`sync`, client CPU per tenant', `${throughput[0].cpuMs.toFixed(1)} ms`, '≤ 10 ms', `N = ${throughput[0].n}; its floor, \`bench/floor-sync.mjs\`: ${throughput[0].floorMs.toFixed(1)} ms`)

// 5. sync concurrency: the default (sync.concurrency, 4) against the others, at N = 200.
const byConcurrency = []
for (const c of quick ? [4, 8] : [1, 4, 8, 16]) {
  const s = await sandbox()
  try {
    await createTenants(s, 200)
    const run = measure(['sync', '--once', '--json', '--concurrency', String(c), '--config', s.config], {dir: s.dir})
    byConcurrency.push({c, perSecond: 203 / run.seconds})
    console.error(`  sync --concurrency ${c}: ${(203 / run.seconds).toFixed(1)} tenants/s`)
  } finally {
    await s.stop()
  }
}

console.log(`\n| what | now | goal |\n|---|---|---|`)
for (const r of rows) console.log(`| ${r.what} | ${r.now}${r.note ? ` (${r.note})` : ''} | ${r.goal} |`)
console.log(`\n| sync, N tenants | tenants per second | client CPU per tenant | its floor | ratio |\n|---|---|---|---|---|`)
for (const t of throughput) console.log(`| ${t.n} | ${t.perSecond.toFixed(1)} | ${t.cpuMs.toFixed(1)} ms | ${t.floorMs.toFixed(1)} ms | ${x(t.cpuMs / t.floorMs)} |`)
console.log(`\n| sync --concurrency (N = 203) | tenants per second |\n|---|---|`)
for (const b of byConcurrency) console.log(`| ${b.c}${b.c === 4 ? ' (default)' : ''} | ${b.perSecond.toFixed(1)} |`)
rmSync(join(process.cwd(), '.bench-tmp'), {recursive: true, force: true})
