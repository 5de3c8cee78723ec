#!/usr/bin/env node
// Benchmark: memory and time of `export-tenant` as the dossier grows.
// Streams must keep peak memory flat: a 1 GiB dossier should cost about what a
// 16 MiB one does. Run after `npm run build`:  node bench/export-memory.mjs [sizesMiB...]
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const preload = fileURLToPath(new URL('./rss-preload.mjs', import.meta.url))
const sizes = process.argv.slice(2).map(Number).filter(Boolean)
const sizesMiB = sizes.length ? sizes : [16, 256, 1024]
const dir = mkdtempSync(join(tmpdir(), 'mi-bench-'))
const config = join(dir, 'config.json')

const sandbox = spawn(process.execPath, [bin, 'sandbox', '--json', '--data-dir', join(dir, 'data'), '--write-config', config], {stdio: ['ignore', 'pipe', 'inherit']})
const ready = await new Promise((resolve, reject) => {
  let out = ''
  sandbox.stdout.on('data', (c) => {
    out += c
    try {
      resolve(JSON.parse(out))
    } catch {}
  })
  sandbox.once('exit', () => reject(new Error('sandbox exited')))
})

try {
  console.log('dossier MiB | export s | peak RSS MiB | MiB/s')
  for (const mib of sizesMiB) {
    const res = await fetch(ready.admin.createTenants, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({dossier_size_bytes: mib * 1024 * 1024})})
    const {ids} = await res.json()
    const rssFile = join(dir, `rss-${mib}`)
    const started = process.hrtime.bigint()
    const run = spawnSync(process.execPath, ['--import', preload, bin, 'export-tenant', ids[0], '--json', '--config', config], {env: {...process.env, BENCH_RSS_FILE: rssFile}, encoding: 'utf8'})
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    if (run.status !== 0) throw new Error(`export failed: ${run.stdout}${run.stderr}`)
    const rssMiB = Number(readFileSync(rssFile, 'utf8').split(' ')[0]) / 1024
    console.log(`${String(mib).padStart(11)} | ${seconds.toFixed(2).padStart(8)} | ${rssMiB.toFixed(1).padStart(12)} | ${(mib / seconds).toFixed(0).padStart(5)}`)
  }
} finally {
  sandbox.kill('SIGTERM')
  await new Promise((r) => sandbox.once('exit', r))
  rmSync(dir, {recursive: true, force: true})
}
