/**
 * `melon-immotop <command> --help`, answered from oclif.manifest.json with
 * oclif's own Help class, without loading oclif's config, its plugins or any
 * command code (about a third of the start-up). The text is oclif's: the
 * same renderer, given the command as the manifest describes it.
 *
 * Only where nothing else could change the text; otherwise `fastHelp`
 * returns false and oclif answers as usual: a word that is not one of this
 * tool's commands (a topic, a plugin's command, a typo), a command whose
 * help is computed at run time, a user theme file, or an example spanning
 * lines (its line continuation depends on the Windows shell).
 * test/e2e/fast-help.test.ts compares the two for every command.
 */
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Help} from '@oclif/core/help'

type Manifest = {commands: Record<string, ManifestCommand>}
type ManifestCommand = {id: string; hasDynamicHelp?: boolean; examples?: unknown[]; pluginName?: string; [key: string]: unknown}
type Pjson = {name: string; version: string; oclif: {bin: string; dirname?: string; topicSeparator?: string; helpOptions?: object; topics?: Record<string, {description?: string; hidden?: boolean}>; theme?: unknown}}

const HELP_FLAGS = new Set(['--help', '-h'])

/** True when argv is command words followed by one help flag: the only shape answered here. */
export function isCommandHelp(argv: readonly string[]): boolean {
  return argv.length >= 2 && HELP_FLAGS.has(argv.at(-1)!) && argv.slice(0, -1).every((word) => /^[a-z][a-z0-9-]*$/.test(word))
}

/** oclif's variable `<BIN>_<key>` (its scopedEnvVar: `melon-immotop` → `MELON_IMMOTOP_…`). */
function scopedEnv(bin: string, key: string): string | undefined {
  return process.env[`${bin.replaceAll('@', '').replaceAll(/[/-]/g, '_')}_${key}`.toUpperCase()]
}

/** Whether oclif would apply a user theme: not switched off (exactly 1 or true, as oclif reads it) and a theme.json in any place it looks. */
function userTheme(bin: string, dirname: string): boolean {
  const off = scopedEnv(bin, 'DISABLE_THEME')
  if (off === '1' || off === 'true') return false
  const env = process.env
  const bases = [env.XDG_CONFIG_HOME, env.LOCALAPPDATA, join(env.HOME ?? homedir(), '.config'), join(homedir(), '.config')]
  const dirs = [scopedEnv(bin, 'CONFIG_DIR'), ...bases.map((base) => base && join(base, dirname))]
  return dirs.some((dir) => dir && existsSync(join(dir, 'theme.json')))
}

/** Prints the help of the command named by argv and returns true, or returns false for oclif to answer. */
export async function fastHelp(rootUrl: URL, argv: readonly string[]): Promise<boolean> {
  if (!isCommandHelp(argv)) return false
  const root = fileURLToPath(rootUrl)
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Pjson
  const separator = pjson.oclif.topicSeparator ?? ':'
  if (separator !== ' ' || pjson.oclif.theme !== undefined) return false
  if (userTheme(pjson.oclif.bin, pjson.oclif.dirname ?? pjson.name)) return false
  let manifest: Manifest
  try {
    manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as Manifest
  } catch {
    return false
  }
  const id = argv.slice(0, -1).join(':')
  const command = manifest.commands[id]
  if (!command || command.hasDynamicHelp || (command.examples ?? []).some((example) => typeof example !== 'string' || /\r|\n/.test(example))) return false

  const commands = Object.values(manifest.commands).map((c) => ({...c, pluginAlias: pjson.name, pluginType: 'core'}))
  const topics = Object.entries(pjson.oclif.topics ?? {}).map(([name, topic]) => ({name, ...topic}))
  const config = {
    bin: pjson.oclif.bin,
    name: pjson.name,
    version: pjson.version,
    pjson,
    root,
    platform: process.platform,
    topicSeparator: separator,
    topics,
    commands,
    commandIDs: commands.map((c) => c.id),
    plugins: new Map(),
    theme: undefined,
    findCommand: (wanted: string) => commands.find((c) => c.id === wanted),
    findTopic: (wanted: string) => topics.find((t) => t.name === wanted),
  }
  // The help class reads only what is set above (checked against oclif's own output for every command).
  const help = new Help(config as unknown as ConstructorParameters<typeof Help>[0], pjson.oclif.helpOptions)
  await help.showCommandHelp(commands.find((c) => c.id === id) as unknown as Parameters<Help['showCommandHelp']>[0])
  return true
}
