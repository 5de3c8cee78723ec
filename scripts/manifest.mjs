// Writes oclif.manifest.json from the built commands, so that `--help` and
// command lookup never have to import every command at startup.
// Uses @oclif/core's own Plugin loader (the same thing `oclif manifest` does),
// without pulling in the whole oclif packaging CLI.
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Plugin} from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
await plugin.load()
const manifest = plugin.manifest
if (!manifest || Object.keys(manifest.commands).length === 0) {
  console.error('manifest: no commands found under dist/commands; did scripts/bundle.mjs run?')
  process.exit(1)
}
writeFileSync(new URL('../oclif.manifest.json', import.meta.url), JSON.stringify(manifest, null, 2) + '\n')
console.error(`manifest: ${Object.keys(manifest.commands).length} commands`)
