/**
 * What bin/run.js runs for every command: oclif, compiled into the bundle
 * (scripts/bundle.mjs) so that its ~130 modules load as one chunk.
 */
import {execute} from '@oclif/core/execute'
import {settings} from '@oclif/core/settings'

/** Runs the command line; `dir` is bin/run.js's URL, from which oclif finds package.json. */
export async function main(dir: string): Promise<void> {
  // Always the built dist/: with NODE_ENV=development or test (set by vitest, by some shells and
  // by many CI images), oclif would otherwise try to register tsx/ts-node on every start (~0.15 s CPU)
  // and could run src/ instead of what was built and tested.
  settings.enableAutoTranspile = false
  await execute({dir})
}
