#!/usr/bin/env node
// Benchmark: how fast the CLI starts, as ratios to a bare `node -e 0` run in
// turn with it (bench/lib.mjs startRatio). `--version` and `<command> --help`
// are answered without oclif's start; heavy modules (SQLite, fastify,
// pdf-lib, inquirer, ora) load only inside the command that needs them.
// Run after `npm run build`:  node bench/startup.mjs [runs]
import {startRatio} from './lib.mjs'

const runs = Number(process.argv[2] ?? 9)
const cases = [['--version'], ['--help'], ['publish', '--help'], ['sync', '--help'], ['config', 'validate', '--config', '/nonexistent.yaml']]

console.log('command                                    | × node -e 0')
for (const args of cases) console.log(`${args.join(' ').padEnd(42)} | ${startRatio(args, runs).toFixed(2).padStart(11)}`)
