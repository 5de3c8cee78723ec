/**
 * The rules of ARCHITECTURE.md, checked against the code: who may import
 * whom, and which functions may be long (each exception is named there with
 * its reason, and a name that is no longer long must leave the list).
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
// @ts-expect-error: a plain .mjs script without types
import {measure} from '../../scripts/function-sizes.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const src = join(root, 'src')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** Every import of a file: relative ones resolved to src-relative paths, packages as they are. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  // Type-only imports vanish at run time and do not count.
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)(?!\s+type\b)[^'"\n]*?from\s+'([^']+)'/g), ...text.matchAll(/import\('([^']+)'\)/g)].map((m) => m[1]!)
  return specs.map((spec) => (spec.startsWith('.') ? relative(src, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') : spec))
}

const all = files(src).map((file) => ({file: relative(src, file), imports: importsOf(file)}))
const layer = (path: string) => path.split('/')[0]!
const violations = (rule: (from: string, to: string) => boolean) => all.flatMap(({file, imports}) => imports.filter((to) => rule(file, to)).map((to) => `${file} → ${to}`))

describe('import rules (ARCHITECTURE.md)', () => {
  it('reads imports at all (so the rules below can fail)', () => {
    expect(all.find((f) => f.file === 'commands/publish.ts')!.imports).toContain('services/publish/index.ts')
  })

  it('1. commands never import each other', () => {
    expect(violations((from, to) => layer(from) === 'commands' && layer(to) === 'commands')).toEqual([])
  })

  it('1b. commands reach the outside systems and the state only through services/ (the run context): no import of adapters/ or state/, not even a lazy one', () => {
    expect(violations((from, to) => layer(from) === 'commands' && ['adapters', 'state'].includes(layer(to)))).toEqual([])
  })

  it('1c. the ledger and the sync lock are made in one place (services/run-context.ts), doctor\'s read-only probes aside', () => {
    const making = (what: string) => files(src).filter((f) => readFileSync(f, 'utf8').includes(`new ${what}(`)).map((f) => relative(src, f)).sort()
    expect(making('Ledger')).toEqual(['services/doctor/checks/local.ts', 'services/doctor/checks/staging.ts', 'services/run-context.ts'])
    expect(making('StateLock')).toEqual(['services/run-context.ts'])
  })

  it('2. the core is pure: no I/O modules, nothing from outer layers', () => {
    const io = /^(node:(fs|fs\/promises|net|http|https|tls|child_process|dns)|axios|node:sqlite|fastify|nodemailer)$/
    expect(violations((from, to) => layer(from) === 'core' && (io.test(to) || ['adapters', 'services', 'state', 'sandbox', 'cli', 'commands', 'config'].includes(layer(to))))).toEqual([])
  })

  it('3. only adapters/http.ts speaks HTTP (axios, proxy agents)', () => {
    expect(violations((from, to) => /^(axios|https?-proxy-agent|proxy-from-env)$/.test(to) && !['adapters/http.ts', 'services/doctor/checks/network.ts', 'services/doctor/checks/local.ts'].includes(from))).toEqual([])
  })

  it('4. only state/sqlite.ts loads SQLite; only the state layer and the sandbox\'s own store open it', () => {
    expect(violations((from, to) => to === 'node:sqlite' && from !== 'state/sqlite.ts')).toEqual([])
    expect(violations((from, to) => to === 'state/sqlite.ts' && layer(from) !== 'state' && from !== 'sandbox/store.ts')).toEqual([])
  })

  it('6. shared modules never import from commands/ or cli/', () => {
    expect(violations((from, to) => !['commands', 'cli'].includes(layer(from)) && ['commands', 'cli'].includes(layer(to)))).toEqual([])
  })

  it('7. the sandbox never imports adapters, services, the CLI or commands: it must not agree with the client by sharing code', () => {
    expect(violations((from, to) => layer(from) === 'sandbox' && ['adapters', 'services', 'cli', 'commands'].includes(layer(to)))).toEqual([])
    expect(violations((from, to) => layer(from) === 'sandbox' && ['core/control-file.ts', 'core/handover.ts'].includes(to))).toEqual([])
  })
})

describe('function sizes (ARCHITECTURE.md "Long functions")', () => {
  const architecture = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8')
  const named = new Set([...architecture.matchAll(/^\| `(src\/[^`]+)` \| `([^`]+)` \|/gm)].map((m) => `${m[1]}:${m[2]}`))
  const long = (measure() as Array<{file: string; name: string; lines: number; branches: number}>).map((f) => `${f.file}:${f.name}`)

  it('every function over 60 lines or 15 branches is named as an exception, with its reason', () => {
    expect(long.filter((f) => !named.has(f))).toEqual([])
  })

  it('every named exception is still long (the list stays honest)', () => {
    expect([...named].filter((f) => !long.includes(f))).toEqual([])
  })
})

describe('what is shipped', () => {
  it('no source maps that point to sources the package does not ship; no unused test helpers', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url))
    const config = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'))
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    expect(config.compilerOptions.sourceMap).toBe(false)
    expect(pkg.files).not.toContain('src')
    expect(Object.keys(pkg.devDependencies ?? {})).not.toContain('@oclif/test')
  })
})
