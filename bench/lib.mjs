// Shared by the benchmarks: a sandbox in a child process, and runs of the CLI
// with their wall time, peak memory and CPU (rss-preload.mjs records them).
import {spawn, spawnSync} from 'node:child_process'
import {createWriteStream, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {once} from 'node:events'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const preload = fileURLToPath(new URL('./rss-preload.mjs', import.meta.url))

/** Starts `melon-immotop sandbox` in its own folder; `stop()` ends it and removes the folder. */
export async function sandbox(args = []) {
  const dir = mkdtempSync(join(tmpdir(), 'mi-bench-'))
  const config = join(dir, 'config.json')
  const child = spawn(process.execPath, [bin, 'sandbox', '--json', '--data-dir', join(dir, 'data'), '--write-config', config, ...args], {stdio: ['ignore', 'pipe', 'ignore']})
  const ready = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
      try {
        resolve(JSON.parse(out))
      } catch {
        // Not all of the document yet: wait for more.
      }
    })
    child.once('exit', () => reject(new Error('sandbox exited')))
  })
  return {
    dir,
    config,
    ready,
    secrets: JSON.parse(readFileSync(config, 'utf8')),
    async stop() {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** n new tenants without contract in the sandbox (in steps of at most 500, its limit per call), two persons each. */
export async function createTenants(s, n) {
  for (let left = n; left > 0; left -= 500) {
    const response = await fetch(s.ready.admin.createTenants, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({count: Math.min(left, 500), persons: 2})})
    if (!response.ok) throw new Error(`creating tenants: ${response.status}`)
  }
}

/**
 * One CLI run (or of `script`, e.g. a floor program): seconds, peak RSS (MiB),
 * CPU seconds of the process; throws on a non-zero exit.
 */
export function measure(args, {dir = tmpdir(), okCodes = [0], script = bin} = {}) {
  const stats = join(dir, `stats-${process.pid}-${Date.now()}`)
  const started = process.hrtime.bigint()
  const run = spawnSync(process.execPath, ['--import', preload, script, ...args], {env: {...process.env, BENCH_RSS_FILE: stats, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 30})
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (!okCodes.includes(run.status)) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr.slice(0, 500)}`)
  const [rssKiB, cpuMicros] = readFileSync(stats, 'utf8').split(' ').map(Number)
  rmSync(stats, {force: true})
  return {seconds, rssMiB: rssKiB / 1024, cpuSeconds: (cpuMicros ?? 0) / 1e6}
}

/**
 * The start-up ratio of a CLI run to a bare `node -e 0`, the two run in turn
 * (`runs` rounds, medians of each): load on the machine that comes and goes
 * then weighs on both sides alike.
 */
export function startRatio(args, runs) {
  const bare = []
  const cli = []
  const time = (argv, into) => {
    const started = process.hrtime.bigint()
    const run = spawnSync(process.execPath, argv, {stdio: 'ignore'})
    if (run.status !== 0 && run.status !== 78) throw new Error(`${argv.join(' ')} exited ${run.status}`)
    into.push(Number(process.hrtime.bigint() - started) / 1e9)
  }
  for (let i = 0; i < runs; i++) {
    time(['-e', '0'], bare)
    time([bin, ...args], cli)
  }
  return middle(cli) / middle(bare)
}

/** The median of a list of times (sorts it). */
const middle = (times) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)]

/** Median wall seconds of `runs` runs of a command. */
export function median(command, args, runs) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint()
    const run = spawnSync(command, args, {stdio: 'ignore'})
    if (run.status !== 0 && run.status !== 78) throw new Error(`${command} ${args.join(' ')} exited ${run.status}`)
    times.push(Number(process.hrtime.bigint() - started) / 1e9)
  }
  return middle(times)
}

/** An IDX feed of `n` records: the sandbox's own export, repeated with a distinct ref_object (field 8). */
export async function writeFeed(sandboxDir, file, n) {
  const template = readFileSync(join(sandboxDir, 'data', 'exports', 'portal.idx')).toString('latin1').split(/\r?\n/).filter(Boolean)
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

/**
 * A dta-mpexp export of about `mib` MiB: the sandbox's own export (header and
 * rows), its rows repeated `perUnit` to a unit with a distinct unit_id, as
 * W&W's export has one row per unit and tenancy (its history included).
 */
export async function writeDtaExport(sandboxDir, file, mib, perUnit = 10) {
  const [header, ...template] = readFileSync(join(sandboxDir, 'data', 'exports', 'dta-mpexp.csv')).toString('latin1').split(/\r?\n/).filter(Boolean)
  const columns = header.split(';')
  const [unitId, start, end] = ['unit_id', 'utilisation_period_start', 'utilisation_period_end'].map((c) => columns.indexOf(c))
  const out = createWriteStream(file, {encoding: 'latin1'})
  out.write(header + '\r\n')
  let rows = 0
  for (let bytes = 0; bytes < mib * 1024 * 1024; rows++) {
    // The unit's own row (its property and address), with the tenancy of another row.
    const unit = Math.floor(rows / perUnit)
    const cells = template[unit % template.length].split(';')
    const tenancy = template[rows % template.length].split(';')
    cells[start] = tenancy[start]
    cells[end] = tenancy[end]
    cells[unitId] = String(100000 + unit)
    const line = cells.join(';') + '\r\n'
    bytes += line.length
    if (!out.write(line)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return {file, rows}
}

