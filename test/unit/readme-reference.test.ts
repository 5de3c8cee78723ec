/** The README's command reference is generated from the commands (oclif.manifest.json): this fails when they drift apart. */
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
// @ts-expect-error: a plain .mjs script without types
import {commandReference, END, START, withReference} from '../../scripts/command-reference.mjs'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describe('README command reference', () => {
  it('matches the commands and flags of this build (run `node scripts/command-reference.mjs --write` after a change)', () => {
    const manifest = JSON.parse(read('oclif.manifest.json'))
    const readme = read('README.md')
    expect(readme).toContain(START)
    expect(readme).toContain(END)
    expect(withReference(readme, commandReference(manifest))).toBe(readme)
  })
  it('names every command with its arguments and every own flag', () => {
    const manifest = JSON.parse(read('oclif.manifest.json'))
    const block = commandReference(manifest) as string
    for (const id of Object.keys(manifest.commands)) expect(block).toContain(`melon-immotop ${id.replace(/:/g, ' ')}`)
    expect(block).toContain('#### `melon-immotop export-tenant <tenant>`')
    expect(block).toContain('| `--kind <value>` |')
    // A flag that is missing from the manifest is missing from the block: the reference cannot claim more than the commands do.
    const without = structuredClone(manifest)
    delete without.commands.service.flags.kind
    expect(commandReference(without)).not.toContain('| `--kind <value>` |')
  })
})
