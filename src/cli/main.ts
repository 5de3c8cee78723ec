/**
 * What bin/run.js runs for every command: oclif, compiled into the bundle
 * (scripts/bundle.mjs) so that its ~130 modules load as one chunk.
 */
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {execute} from '@oclif/core/execute'
import {settings} from '@oclif/core/settings'
import type {Interfaces} from '@oclif/core'

/**
 * Runs the command line; `dir` is bin/run.js's URL, from which oclif finds
 * package.json. `allPlugins` loads oclif's plugins for every command (tests
 * compare both ways).
 */
export async function main(dir: string, options: {allPlugins?: boolean} = {}): Promise<void> {
  // Always the built dist/: with NODE_ENV=development or test (set by vitest, by some shells and
  // by many CI images), oclif would otherwise try to register tsx/ts-node on every start (~0.15 s CPU)
  // and could run src/ instead of what was built and tested.
  settings.enableAutoTranspile = false
  await execute({dir, loadOptions: (!options.allPlugins && ownCommand(dir)) || dir})
}

/**
 * For a command of this package, oclif without its plugins (help, autocomplete):
 * they add commands and install hooks only, which such a command never uses,
 * and loading them costs 6–9 ms of every start. Anything else loads them.
 */
function ownCommand(dir: string): Interfaces.LoadOptions | null {
  const first = process.argv[2]
  if (!first || !/^[a-z][a-z-]*$/.test(first)) return null
  const root = fileURLToPath(new URL('..', dir))
  const commands = new URL('../dist/commands/', dir)
  if (!existsSync(new URL(`${first}.js`, commands)) && !existsSync(new URL(`${first}/`, commands))) return null
  const pjson = JSON.parse(readFileSync(new URL('../package.json', dir), 'utf8')) as Interfaces.PJSON
  return {root, pjson: {...pjson, oclif: {...pjson.oclif, plugins: []}}}
}
