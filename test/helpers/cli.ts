/** Runs the built CLI (bin/run.js → dist/) as a separate process, as an operator would. */
import {spawn, type ChildProcess} from 'node:child_process'
import {afterAll} from 'vitest'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/**
 * End-to-end tests run the built CLI: refuse a dist/ older than src/, which
 * would test yesterday's code (run `npm run build`, or `npm test`, which builds).
 */
export function assertFreshBuild(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const newest = (dir: string): number =>
    readdirSync(dir, {withFileTypes: true}).reduce((max, e) => Math.max(max, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0)
  const manifest = join(root, 'oclif.manifest.json')
  const built = existsSync(manifest) ? statSync(manifest).mtimeMs : 0
  if (built < newest(join(root, 'src'))) throw new Error('dist/ is older than src/ (or missing): run `npm run build` before the end-to-end tests; `npm test` builds first.')
}
assertFreshBuild()

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** `bin`: another entry script than bin/run.js (test/helpers/oclif-only.mjs). */
export function runCli(args: string[], options: {env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; bin?: string} = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ...options.env}
    // Tests must not pick up the developer's own settings.
    for (const key of ['MELON_IMMOTOP_CONFIG', 'MELON_IMMOTOP_MELON_TOKEN', 'MELON_IMMOTOP_IMMOTOP_PASSWORD', 'HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy']) {
      if (!(options.env && key in options.env)) delete env[key]
    }
    const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr})
    })
  })
}

/**
 * Starts the built CLI and leaves it running (for tests that act while it
 * works): `output()` is what it wrote so far, `exited` its result.
 */
export function startCli(args: string[], options: {env?: NodeJS.ProcessEnv} = {}): {child: ChildProcess; output: () => {stdout: string; stderr: string}; exited: Promise<CliResult>} {
  const child = spawn(process.execPath, [BIN, ...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1', ...options.env}})
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (c) => (stdout += c))
  child.stderr!.on('data', (c) => (stderr += c))
  const exited = new Promise<CliResult>((resolve) => child.once('close', (code, signal) => resolve({code, signal, stdout, stderr})))
  return {child, output: () => ({stdout, stderr}), exited}
}

/** Parses stdout, failing the test with the whole output when it is not exactly one JSON document. */
export function json<T = any>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`stdout is not one JSON document:\n${result.stdout}\nstderr:\n${result.stderr}`)
  }
}

/** Sandboxes started as processes: a test that fails before it stops its own must not leave it running. */
const liveSandboxes = new Set<ChildProcess>()
afterAll(async () => {
  const exits = [...liveSandboxes].map((child) => new Promise((resolve) => child.once('exit', resolve)))
  for (const child of liveSandboxes) child.kill('SIGKILL')
  await Promise.all(exits)
})

/** Spawns `melon-immotop sandbox --json …` and waits (bounded) for its ready document. */
export function spawnSandbox(args: string[], readyTimeoutMs = 30_000) {
  const child = spawn(process.execPath, [BIN, 'sandbox', '--json', ...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
  liveSandboxes.add(child)
  child.once('exit', () => liveSandboxes.delete(child))
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c) => (stdout += c))
  child.stderr.on('data', (c) => (stderr += c))
  const exited = new Promise<{code: number | null; stdout: string; stderr: string}>((resolve) => child.once('exit', (code) => resolve({code, stdout, stderr})))
  const ready = new Promise<any>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox not ready after ${readyTimeoutMs} ms; stderr: ${stderr}`)), readyTimeoutMs)
    child.stdout.on('data', () => {
      try {
        const doc = JSON.parse(stdout)
        clearTimeout(timer)
        resolve(doc)
      } catch {
        // the document is not complete yet
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`sandbox exited ${code} before it was ready: ${stderr}`))
    })
  })
  ready.catch(() => child.kill('SIGKILL'))
  return {child, ready, exited}
}
