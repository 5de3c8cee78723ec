/**
 * Every example in every command's --help parses with that command's own
 * flags and arguments (oclif's parser, as the CLI would), and names only
 * doctor checks that exist.
 */
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Flags, Parser} from '@oclif/core'
import {describe, expect, it} from 'vitest'
import {doctorChecks} from '../../src/services/doctor/index.js'

const commandsDir = fileURLToPath(new URL('../../src/commands/', import.meta.url))
const commandFiles = (dir: string): string[] =>
  readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? commandFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))

/** Splits an example like a shell would for these simple lines (single and double quotes), up to a redirection or pipe. */
function words(line: string): string[] {
  const all = [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!)
  const end = all.findIndex((w) => /^(\d?>>?|\|)$/.test(w))
  return end < 0 ? all : all.slice(0, end)
}

const checkIds = new Set(doctorChecks({deep: false}).map((c) => c.id))

describe('the examples in --help', async () => {
  const commands = await Promise.all(commandFiles(commandsDir).map(async (file) => ({file, command: (await import(pathToFileURL(file).href)).default})))
  const examples = commands.flatMap(({file, command}) => ((command.examples ?? []) as string[]).map((example) => [file.slice(commandsDir.length), example, command] as const))

  it('every command has examples', () => {
    for (const {file, command} of commands) expect((command.examples ?? []).length, file).toBeGreaterThan(0)
  })

  it.each(examples.map(([file, example, command]) => [`${file}: ${example}`, example, command] as const))('%s', async (_name, example, command) => {
    const argv = words(example.replace(/^.*<%= config\.bin %>\s+/, ''))
    // The command's own words come first (config/show.ts → "config show"): they must match, then the rest is parsed.
    const idWords = _name.split(':')[0]!.replace(/\.ts$/, '').replace(/\/index$/, '').split('/')
    expect(argv.slice(0, idWords.length)).toEqual(idWords)
    const rest = argv.slice(idWords.length)
    // enableJsonFlag adds --json at run time.
    const flags = {...command.baseFlags, ...command.flags, ...(command.enableJsonFlag ? {json: Flags.boolean()} : {})}
    const parsed = await Parser.parse(rest, {flags, args: command.args ?? {}, strict: command.strict ?? true})
    const only = parsed.flags.only as string | undefined
    if (only) for (const check of only.split(',')) expect(checkIds.has(check), `doctor --only ${check}`).toBe(true)
  })
})
