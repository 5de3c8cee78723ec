#!/usr/bin/env node
// Benchmark: how fast the CLI starts. The oclif manifest spares loading every
// command for --help; heavy modules (SQLite, fastify, pdf-lib, inquirer, ora)
// load only inside the command that needs them. Run after `npm run build`:
//   node bench/startup.mjs [runs]
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const runs = Number(process.argv[2] ?? 10)
const cases = [['--version'], ['--help'], ['publish', '--help'], ['sync', '--help'], ['config', 'validate', '--config', '/nonexistent.yaml']]

console.log('command                               | median ms | min ms')
for (const args of cases) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint()
    spawnSync(process.execPath, [bin, ...args], {stdio: 'ignore'})
    times.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  times.sort((a, b) => a - b)
  console.log(`${args.join(' ').padEnd(37)} | ${times[Math.floor(times.length / 2)].toFixed(0).padStart(9)} | ${times[0].toFixed(0).padStart(6)}`)
}
