/**
 * Finds, reads and validates the config. cosmiconfig does the finding and
 * parsing; this module turns every problem into a ConfigError that names the
 * file, the key and the fix, overlays secrets from the environment, and
 * resolves relative paths against the config file's folder.
 */
import {icaclsFix} from '../core/windows-acl.js'
import {existsSync, readFileSync, statSync} from 'node:fs'
import {closest} from '../core/closest.js'
import {configPath, looksLikeWindowsPath} from './paths.js'
import {mask} from '../core/redact.js'
import {dirname, extname, resolve} from 'node:path'
import {cosmiconfig, defaultLoaders, type Loader} from 'cosmiconfig'
import type * as z from 'zod'
import {ConfigError} from '../errors.js'
import {CONFIG_PATH_ENV, ConfigSchema, REQUIRED_SECRETS, SECRET_ENV, type AppConfig, type RequiredSecret} from './schema.js'

export const MODULE_NAME = 'melon-immotop'
export const SEARCH_PLACES = [
  'package.json',
  '.melon-immotoprc',
  '.melon-immotoprc.json',
  '.melon-immotoprc.yaml',
  '.melon-immotoprc.yml',
  'melon-immotop.config.js',
  'melon-immotop.config.mjs',
  'melon-immotop.config.cjs',
]

export type ValueSource = 'file' | 'env' | 'default'

export interface LoadedConfig {
  config: AppConfig
  filepath: string
  /** Where each leaf value came from, keyed by dotted path. */
  sources: Record<string, ValueSource>
  /** Required secrets that are still missing after the environment overlay, as dotted keys. */
  missingSecrets: RequiredSecret[]
}

export interface LoadOptions {
  configPath?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const explicit = options.configPath ?? env[CONFIG_PATH_ENV]
  // A JS config runs code: only when named (--config, $MELON_IMMOTOP_CONFIG), or found and safe.
  const guarded = guardJs(Boolean(explicit))
  const explorer = cosmiconfig(MODULE_NAME, {searchPlaces: SEARCH_PLACES, searchStrategy: 'global', cache: false, loaders: {'.js': guarded, '.mjs': guarded, '.cjs': guarded, '.ts': guarded}})
  let result: {config: unknown; filepath: string; isEmpty?: boolean} | null
  if (explicit) {
    const path = resolve(cwd, explicit)
    const kind = fileKind(path)
    if (kind === 'missing') {
      throw new ConfigError(
        'CONFIG_NOT_FOUND',
        `Config file ${path} does not exist${options.configPath ? '' : ` (from ${CONFIG_PATH_ENV})`}.`,
        'Check the path, or create the file: see README "Config".',
      )
    }
    if (kind !== 'file') {
      // A folder would read as a syntax error (EISDIR), a pipe would never end.
      throw new ConfigError(
        'CONFIG_NOT_FOUND',
        `${path}${options.configPath ? '' : ` (from ${CONFIG_PATH_ENV})`} is ${kind === 'folder' ? 'a folder' : 'not a regular file'}, not a config file.`,
        'Name the config file itself, e.g. --config <folder>/.melon-immotoprc.yaml (README "Config").',
      )
    }
    result = await readOrExplain(() => explorer.load(path), path)
  } else {
    result = await readOrExplain(() => explorer.search(cwd), cwd)
  }
  if (!result || result.isEmpty) {
    throw new ConfigError(
      'CONFIG_NOT_FOUND',
      result ? `Config file ${result.filepath} is empty.` : `No config found: looked for ${SEARCH_PLACES.join(', ')} in ${cwd} and every parent folder up to your home folder, then for config.* in the per-user config folder.`,
      'Run `melon-immotop init` to write one (it asks for every setting and checks each connection), or pass --config <file>, or set MELON_IMMOTOP_CONFIG (README "Config"). For the sandbox: `melon-immotop sandbox --write-config <file>`.',
    )
  }
  return validate(result.config, result.filepath, env)
}

/**
 * The loader for `.js`/`.mjs`/`.cjs` configs. Loading one runs its code, so a
 * config found by the search (not named by the operator) is loaded only when
 * it is owned by this user and writable by no one else, as ssh treats its
 * files. On Windows, where these modes do not exist, only a named one is loaded.
 */
function guardJs(explicit: boolean): Loader {
  return (filepath, content) => {
    if (!explicit) {
      const info = statSync(filepath)
      const uid = process.getuid?.()
      const reason =
        uid === undefined
          ? 'on Windows a JS config is loaded only when named'
          : info.uid !== uid
            ? `it belongs to another user (uid ${info.uid})`
            : (info.mode & 0o022) !== 0
              ? 'it is writable by group or others'
              : null
      if (reason) {
        throw new ConfigError(
          'CONFIG_UNSAFE_JS',
          `Found ${filepath}, a JavaScript config that would run code, and did not load it: ${reason}.`,
          `Name it with --config (or MELON_IMMOTOP_CONFIG) if it is yours, or chmod go-w it; prefer a YAML or JSON config.`,
        )
      }
    }
    const load = defaultLoaders[extname(filepath) as '.js' | '.mjs' | '.cjs' | '.ts']
    return load(filepath, content)
  }
}

async function readOrExplain<T>(read: () => Promise<T>, where: string): Promise<T> {
  try {
    return await read()
  } catch (error) {
    if (error instanceof ConfigError) throw error
    const err = error as Error & {filepath?: string; mark?: {line: number; column: number}; reason?: string}
    const file = err.filepath ?? where
    // Parser messages quote the offending lines, which may hold a secret: keep
    // only the reason and the position, and never attach the original error.
    throw new ConfigError(
      'CONFIG_SYNTAX',
      `Cannot parse config ${file}${syntaxPosition(err, file)}: ${syntaxReason(err)}.`,
      `Fix the syntax at that place in ${file}; \`melon-immotop config validate\` checks it without any network call.`,
    )
  }
}

function syntaxPosition(err: {message: string; mark?: {line: number; column: number}}, file: string): string {
  if (err.mark) return ` (line ${err.mark.line + 1}, column ${err.mark.column + 1})`
  const lineCol = /line (\d+) column (\d+)/.exec(err.message)
  if (lineCol) return ` (line ${lineCol[1]}, column ${lineCol[2]})`
  const position = /position (\d+)/.exec(err.message)
  if (position) {
    try {
      const before = readFileSync(file, 'utf8').slice(0, Number(position[1]))
      const lines = before.split('\n')
      return ` (line ${lines.length}, column ${lines.at(-1)!.length + 1})`
    } catch {
      return ''
    }
  }
  return ''
}

function syntaxReason(err: {message: string; reason?: string}): string {
  if (err.reason) return err.reason
  const line = err.message
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l && !/^(JSON|YAML) Error in /.test(l) && !/^(>?\s*\d+\s*)?\|/.test(l))
  if (!line) return 'syntax error'
  // Drop quoted excerpts of the file ("while parsing near '...'", "Unexpected token 'x', \"...\" is not").
  return line.replace(/\s*(while parsing near|in JSON at|, ").*$/, '').replace(/'[^']*'|"[^"]*"/g, '…').trim() || 'syntax error'
}

function validate(raw: unknown, filepath: string, env: NodeJS.ProcessEnv): LoadedConfig {
  // package.json and JS configs may hand us anything.
  const input: Record<string, any> = raw && typeof raw === 'object' && !Array.isArray(raw) ? structuredClone(raw as object) : {}
  const fileLeaves = leafPaths(input)
  const fromEnv = new Set<string>()
  for (const [key, variable] of Object.entries(SECRET_ENV)) {
    const value = env[variable]
    if (!value) continue
    const path = key.split('.')
    let parent: Record<string, any> | undefined = input
    for (const part of path.slice(0, -1)) parent = parent && typeof parent[part] === 'object' ? parent[part] : undefined
    // Only where the section exists: an env secret does not switch a feature on.
    if (parent) {
      parent[path.at(-1)!] = value
      fromEnv.add(key)
    }
  }
  const parsed = ConfigSchema.safeParse(input)
  if (!parsed.success) throw configErrorFrom(parsed.error, filepath, input)
  const config = parsed.data
  for (const [key, url] of [['melon.baseUrl', config.melon.baseUrl], ['immotop.baseUrl', config.immotop.baseUrl]] as const) {
    if (hasCredentials(url)) {
      throw new ConfigError(
        'CREDENTIALS_IN_URL',
        `${filepath}: ${key} carries a user name or password inside the URL; melon-immotop does not send credentials that way.`,
        key === 'melon.baseUrl' ? 'Remove them from the URL; the token belongs in melon.token or MELON_IMMOTOP_MELON_TOKEN.' : 'Remove them from the URL; they belong in immotop.user and immotop.password (or MELON_IMMOTOP_IMMOTOP_PASSWORD).',
      )
    }
  }
  const base = dirname(filepath)
  for (const [key, path] of [['staging.incomingDir', config.staging.incomingDir], ['staging.ackDir', config.staging.ackDir], ['stateDir', config.stateDir]] as const) {
    if (process.platform !== 'win32' && looksLikeWindowsPath(path)) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `${filepath}: ${key} "${path}" is a Windows path, but this machine runs ${process.platform}.`,
        `Set ${key} to the folder where the share is mounted here (e.g. /mnt/immotop/staging), or run melon-immotop on the Windows server.`,
      )
    }
  }
  const abs = (p: string) => configPath(p, base)
  config.staging.incomingDir = abs(config.staging.incomingDir)
  config.staging.ackDir = abs(config.staging.ackDir)
  config.stateDir = abs(config.stateDir)
  if (config.publish.file) config.publish.file = abs(config.publish.file)
  if (config.immotop.detailsFile) config.immotop.detailsFile = abs(config.immotop.detailsFile)
  if (config.notify?.smtp.caFile) config.notify.smtp.caFile = abs(config.notify.smtp.caFile)
  if (config.melon.caFile) config.melon.caFile = abs(config.melon.caFile)
  if (config.immotop.caFile) config.immotop.caFile = abs(config.immotop.caFile)
  for (const [key, file] of [['melon.caFile', config.melon.caFile], ['immotop.caFile', config.immotop.caFile], ['notify.smtp.caFile', config.notify?.smtp.caFile]] as const) {
    // Read whole when a connection is made: a folder or a pipe there would fail late or never end.
    const kind = file ? fileKind(file) : 'file'
    if (kind !== 'file') {
      throw new ConfigError('CONFIG_INVALID', `${filepath}: ${key}: CA file ${file} ${kind === 'missing' ? 'does not exist' : 'is not a regular file'}.`, `Point ${key} at the PEM file of the CA that signed the server certificate.`)
    }
  }
  const sources: Record<string, ValueSource> = {}
  for (const path of leafPaths(config as unknown as Record<string, unknown>)) {
    sources[path] = fromEnv.has(path) ? 'env' : fileLeaves.includes(path) ? 'file' : 'default'
  }
  const missingSecrets = REQUIRED_SECRETS.filter((key) => {
    const [section, leaf] = key.split('.') as ['melon' | 'immotop', string]
    return !(config[section] as Record<string, unknown>)[leaf]
  })
  return {config, filepath, sources, missingSecrets}
}

/** Throws when a secret the command needs is missing, naming the env variable. */
export function requireSecrets(loaded: LoadedConfig, keys: RequiredSecret[]): void {
  const missing = loaded.missingSecrets.find((key) => keys.includes(key))
  if (missing) {
    // init --secrets env writes the secrets next to the config: name that file when it is there.
    const envFile = resolve(dirname(loaded.filepath), 'melon-immotop.env')
    const fromFile = existsSync(envFile) ? `Pass --secrets-file ${envFile} (the file init wrote), or set` : 'Set'
    throw new ConfigError(
      'SECRET_MISSING',
      `${loaded.filepath}: ${missing} is not set.`,
      `${fromFile} the environment variable ${SECRET_ENV[missing]}, or add ${missing} to the config file (then chmod 600 it).`,
    )
  }
}

/** `https://user:pass@host` or `https://user@host`; never echoes what it found. */
function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url.replace('{project}', 'project'))
    return parsed.username !== '' || parsed.password !== ''
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i.test(url)
  }
}

function leafPaths(value: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = []
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (child && typeof child === 'object' && !Array.isArray(child)) out.push(...leafPaths(child as Record<string, unknown>, path))
    else out.push(path)
  }
  return out
}

const KNOWN_KEYS: Record<string, string[]> = {
  '': ['melon', 'immotop', 'staging', 'stateDir', 'publish', 'notify', 'sync'],
  publish: ['source', 'file', 'includeSale'],
  notify: ['recipients', 'from', 'smtp'],
  'notify.smtp': ['host', 'port', 'secure', 'user', 'password', 'caFile', 'allowInsecure', 'timeoutMs'],
  sync: ['concurrency', 'intervalSeconds', 'publish', 'onContract', 'contractWindowDays', 'contractWatchDays'],
  melon: ['baseUrl', 'project', 'token', 'caFile', 'allowInsecureHttp', 'timeoutMs', 'maxDocumentBytes', 'downloadMinBytesPerSecond', 'downloadGraceSeconds', 'downloadFloorBytesPerSecond', 'downloadFloorWindowSeconds', 'maxPages', 'handoverMarkers'],
  immotop: ['baseUrl', 'user', 'password', 'apiVersion', 'mandant', 'mandantTypes', 'detailsFile', 'caFile', 'allowInsecureHttp', 'timeoutMs'],
  staging: ['incomingDir', 'ackDir', 'pickupTimeoutSeconds', 'checkFolderIdentity', 'maxAnswerBytes', 'dmsArchivId'],
}

function configErrorFrom(error: z.core.$ZodError, filepath: string, input: Record<string, unknown>): ConfigError {
  // An unknown key first: a typo (ackDirectory) also makes the real key look missing, and the typo is the news.
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0]!
  const path = issue.path.join('.')
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!
    const known = KNOWN_KEYS[path] ?? []
    const guess = closest(key, known)
    const where = path ? `${path}.${key}` : key
    return new ConfigError(
      'CONFIG_UNKNOWN_KEY',
      `${filepath}: unknown key "${where}".`,
      guess ? `Did you mean "${path ? `${path}.` : ''}${guess}"? Rename or remove the key.` : `Remove the key; known keys here: ${known.join(', ')}.`,
    )
  }
  const given = issue.path.reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined), input)
  if (issue.code === 'invalid_type' && given === undefined) {
    return new ConfigError('CONFIG_MISSING_KEY', `${filepath}: ${path} is missing.`, `Add ${path} to ${filepath} (README "Config" lists every key).`)
  }
  const got = issue.code === 'invalid_type' || issue.code === 'invalid_union' ? ` (got ${Array.isArray(given) ? 'a list' : given === null ? 'null' : typeof given})` : ''
  return new ConfigError('CONFIG_INVALID', `${filepath}: ${path || '(top level)'}: ${issue.message}${got}.`, `Correct ${path || 'the file'} in ${filepath} (README "Config" lists every key and type).`)
}

function secretsInFile(loaded: LoadedConfig): string[] {
  return (Object.keys(SECRET_ENV) as Array<keyof typeof SECRET_ENV>).filter((key) => loaded.sources[key] === 'file')
}

/**
 * Warnings about a loaded config that do not stop a command (README "Security").
 * On Windows, file modes say nothing about who may read a file (NTFS ACLs do),
 * so there is no mode warning; configAdvice says what to check instead.
 */
export function configWarnings(loaded: LoadedConfig, platform: NodeJS.Platform = process.platform): Array<{message: string; fix: string}> {
  const warnings: Array<{message: string; fix: string}> = []
  const inFile = secretsInFile(loaded)
  if (platform !== 'win32' && inFile.length > 0 && !loaded.filepath.endsWith('package.json')) {
    const mode = statSync(loaded.filepath).mode & 0o777
    if (mode & 0o077) {
      warnings.push({
        message: `${loaded.filepath} holds ${inFile.join(' and ')} and is readable by ${mode & 0o007 ? 'others' : 'its group'} (mode ${mode.toString(8).padStart(3, '0')}).`,
        fix: `chmod 600 ${loaded.filepath}`,
      })
    }
  }
  return warnings
}

/**
 * On Windows, for a config that holds secrets: how to make sure only the service account, SYSTEM and
 * Administrators can read it (NTFS ACLs), when doctor cannot read the ACL itself. icacls with SIDs:
 * the same in cmd and PowerShell, and on a German server ("Administratoren").
 */
export function configAdvice(loaded: LoadedConfig, platform: NodeJS.Platform = process.platform): string | null {
  const inFile = secretsInFile(loaded)
  if (platform !== 'win32' || inFile.length === 0) return null
  return `${loaded.filepath} holds ${inFile.join(' and ')}; on Windows its NTFS permissions decide who can read it: only the account running melon-immotop, SYSTEM and Administrators should. As that account, \`whoami /user\` shows its SID; then ${icaclsFix(loaded.filepath, '<that SID>')}. Or keep the secrets in --secrets-file or the environment.`
}

export interface ShownValue {
  key: string
  value: unknown
  source: ValueSource
}

/** The effective config, leaf by leaf, with secrets masked. */
export function effectiveConfig(loaded: LoadedConfig): ShownValue[] {
  const secretKeys = new Set<string>(Object.keys(SECRET_ENV))
  const out: ShownValue[] = []
  const walk = (value: Record<string, unknown>, prefix: string) => {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key
      if (child && typeof child === 'object' && !Array.isArray(child)) walk(child as Record<string, unknown>, path)
      else out.push({key: path, value: secretKeys.has(path) ? mask(child as string) : child, source: loaded.sources[path] ?? 'default'})
    }
  }
  walk(loaded.config as unknown as Record<string, unknown>, '')
  for (const key of loaded.missingSecrets) out.push({key, value: mask(undefined), source: 'default'})
  return out
}

/** What is at `path`, from one stat (a link is followed). */
function fileKind(path: string): 'file' | 'folder' | 'other' | 'missing' {
  const info = statSync(path, {throwIfNoEntry: false})
  if (!info) return 'missing'
  return info.isFile() ? 'file' : info.isDirectory() ? 'folder' : 'other'
}
