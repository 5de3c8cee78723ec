/**
 * A module of src/ as a plain ES module that a separate `node` process can import: dist/ is a bundle
 * of commands, so tests that need one class in its own process (the lock, the ledger) compile it here.
 * Packages stay imports, resolved from the project's node_modules (the file is written below it).
 */
import {mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'
import {afterAll} from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dir = join(root, 'node_modules', '.cache', 'melon-immotop-test', String(process.pid))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

export async function moduleForProcess(source: string): Promise<string> {
  mkdirSync(dir, {recursive: true})
  const outfile = join(dir, source.replace(/[\\/]/g, '_').replace(/\.ts$/, '.mjs'))
  await build({entryPoints: [join(root, source)], outfile, bundle: true, packages: 'external', format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning'})
  return outfile
}
