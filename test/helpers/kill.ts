/**
 * Crash tests: a command killed with SIGKILL at seeded random moments. The
 * seed is printed, so a failing run can be repeated with KILL_SEED=<seed>.
 */
import {spawn} from 'node:child_process'
import {BIN} from './cli.js'

/** A small seeded PRNG (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function killSeed(label: string): number {
  const seed = Number(process.env.KILL_SEED ?? Date.now() % 1_000_000)
  console.info(`${label} seed ${seed} (repeat with KILL_SEED=${seed})`)
  return seed
}

/** Runs the CLI `times` times, each killed after `minMs` plus up to `spreadMs` (or ended on its own before that). */
export async function killRepeatedly(args: string[], times: number, random: () => number, minMs: number, spreadMs: number): Promise<void> {
  for (let kill = 0; kill < times; kill++) {
    const child = spawn(process.execPath, [BIN, ...args], {stdio: 'ignore'})
    // Listen before killing: a run that ends first has already emitted 'exit'.
    const exited = new Promise((resolve) => child.once('exit', resolve))
    await new Promise((resolve) => setTimeout(resolve, minMs + random() * spreadMs))
    child.kill('SIGKILL')
    await exited
  }
}
