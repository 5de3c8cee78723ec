#!/usr/bin/env node
// Benchmark: memory and time of `publish --from-idx --dry-run` as the feed
// grows, against the sandbox. The feed is the sandbox's own IDX 3.01 export,
// its records repeated with distinct references. Run after `npm run build`:
//   node bench/idx-memory.mjs [records...]      (default 1000 10000 100000)
import {spawn, spawnSync} from 'node:child_process'
import {createWriteStream, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {once} from 'node:events'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const preload = fileURLToPath(new URL('./rss-preload.mjs', import.meta.url))
const counts = process.argv.slice(2).map(Number).filter(Boolean)
const sizes = counts.length ? counts : [1000, 10_000, 100_000]
const dir = mkdtempSync(join(tmpdir(), 'mi-bench-idx-'))
const config = join(dir, 'config.json')

const sandbox = spawn(process.execPath, [bin, 'sandbox', '--json', '--data-dir', join(dir, 'data'), '--write-config', config], {stdio: ['ignore', 'pipe', 'inherit']})
await new Promise((resolve, reject) => {
  let out = ''
  sandbox.stdout.on('data', (c) => {
    out += c
    try {
      resolve(JSON.parse(out))
    } catch {}
  })
  sandbox.once('exit', () => reject(new Error('sandbox exited')))
})

/** N records: the sandbox's records, ref_object (field 8) made unique. */
async function feed(n) {
  const template = readFileSync(join(dir, 'data', 'exports', 'portal.idx')).toString('latin1').split(/\r?\n/).filter(Boolean)
  const file = join(dir, `feed-${n}.idx`)
  const out = createWriteStream(file, {encoding: 'latin1'})
  for (let i = 0; i < n; i++) {
    const fields = template[i % template.length].split('#')
    fields[7] = String(100000 + i)
    if (!out.write(fields.join('#') + '\r\n')) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return file
}

try {
  console.log('records | publish --dry-run s | peak RSS MiB | bare read+split s | ratio')
  for (const n of sizes) {
    const file = await feed(n)
    const rssFile = join(dir, `rss-${n}`)
    const started = process.hrtime.bigint()
    const run = spawnSync(process.execPath, ['--import', preload, bin, 'publish', '--from-idx', file, '--all', '--dry-run', '--json', '--config', config], {env: {...process.env, BENCH_RSS_FILE: rssFile}, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 30})
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    if (run.status !== 0) throw new Error(`publish failed (${run.status}): ${run.stderr}`)
    const rssMiB = Number(readFileSync(rssFile, 'utf8').split(' ')[0]) / 1024
    const bareStart = process.hrtime.bigint()
    spawnSync(process.execPath, ['-e', `let n=0;for(const l of require('fs').readFileSync(${JSON.stringify(file)},'latin1').split('\\n'))n+=l.split('#').length;console.log(n)`], {stdio: 'ignore'})
    const bare = Number(process.hrtime.bigint() - bareStart) / 1e9
    console.log(`${String(n).padStart(7)} | ${seconds.toFixed(2).padStart(19)} | ${rssMiB.toFixed(1).padStart(12)} | ${bare.toFixed(2).padStart(17)} | ${(seconds / bare).toFixed(1).padStart(5)}`)
  }
} finally {
  sandbox.kill('SIGTERM')
  await new Promise((r) => sandbox.once('exit', r))
  rmSync(dir, {recursive: true, force: true})
}
