/**
 * The init wizard's logic, independent of how answers are asked: each
 * question has a default, a format check (the config schema's own rules) and,
 * per system, a live check the user may skip. The command supplies the asking
 * (@inquirer/prompts on a terminal, flags otherwise); tests supply scripted answers.
 */
import {createFolderAdvice} from '../core/folder-advice.js'
import {constants, existsSync, statSync} from 'node:fs'
import {access, rename, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {stringify as toYaml} from 'yaml'
import * as z from 'zod'
import {checkTransport} from '../adapters/transport-rules.js'
import {ImmotopConfigSchema, melonBaseUrl, MelonConfigSchema, NotifyConfigSchema} from '../config/schema.js'
import type {AppConfigInput} from '../config/schema.js'
import {mask} from '../core/redact.js'
import {toAppError, UsageError} from '../errors.js'

export interface Question {
  key: string
  message: string
  kind: 'text' | 'secret' | 'number' | 'list'
  default?: string
  optional?: boolean
  /** Returns an error message, or null when the answer is acceptable. */
  validate: (value: string) => string | null
}

export interface InitIO {
  /** Asks one question; the answer has passed `validate`. */
  ask(question: Question): Promise<string>
  confirm(message: string, defaultValue: boolean): Promise<boolean>
  say(line: string): void
  /** A live check failed (its problem was said): true to enter those settings again. Without a terminal this is an error. */
  checkFailed(name: string, problem: string): Promise<boolean>
}

export interface InitOptions {
  /** Where the config goes. */
  file: string
  force: boolean
  /** Run the live checks (each can still be skipped when asked). */
  liveChecks: boolean
  secrets: 'file' | 'env'
  notify: boolean | 'ask'
  checks: LiveChecks
}

/** Live checks against the real systems; each resolves to null (fine) or a message with its fix. */
export interface LiveChecks {
  melon(config: AppConfigInput['melon']): Promise<string | null>
  immotop(config: AppConfigInput['immotop']): Promise<string | null>
  /** After a passed Immotop 2 check: its mandants, to offer them. */
  immotopMandants?(config: AppConfigInput['immotop']): Promise<Array<{nr: number; bez: string; type: string}>>
  smtp(config: NonNullable<AppConfigInput['notify']>): Promise<string | null>
}

/** A live check: null when it passes, else the failure with its fix, as the wizard shows it. */
async function probe(run: () => Promise<void>): Promise<string | null> {
  try {
    await run()
    return null
  } catch (error) {
    const app = toAppError(error)
    return `${app.message} Fix: ${app.fix}`
  }
}

/** The live checks against the systems the answers name: one attempt each, no retries; the clients are loaded only when a check runs. */
export function liveChecks(): LiveChecks {
  return {
    melon: (config) =>
      probe(async () => {
        const {MelonClient} = await import('../adapters/melon-client.js')
        await new MelonClient(MelonConfigSchema.parse(config), {retry: {maxAttempts: 1}}).me()
      }),
    immotop: (config) =>
      probe(async () => {
        const {ImmotopRestClient} = await import('../adapters/immotop-rest.js')
        const client = new ImmotopRestClient(ImmotopConfigSchema.parse(config), {retry: {maxAttempts: 1}})
        await client.test()
        // A view read proves the password and the Version header, which Test alone may not.
        await client.mandants()
      }),
    immotopMandants: async (config) => {
      const {ImmotopRestClient} = await import('../adapters/immotop-rest.js')
      const rows = await new ImmotopRestClient(ImmotopConfigSchema.parse(config), {retry: {maxAttempts: 1}}).mandants()
      return rows.map((m) => ({nr: m.nr, bez: m.bez, type: m.mandanttypcode}))
    },
    smtp: (config) =>
      probe(async () => {
        const {Mailer} = await import('../adapters/mailer.js')
        const mailer = new Mailer(NotifyConfigSchema.parse(config))
        try {
          await mailer.verify()
        } finally {
          mailer.close()
        }
      }),
  }
}

const urlCheck = (key: 'melon' | 'immotop') => (value: string) => {
  try {
    checkTransport({system: key, configKey: key, baseURL: key === 'melon' ? melonBaseUrl({baseUrl: value, project: 'project'}) : value, allowInsecureHttp: false})
    return null
  } catch (error) {
    return toAppError(error).message
  }
}
const required = (value: string) => (value.trim() ? null : 'An answer is needed.')
const dirCheck = (value: string) => {
  const path = resolve(value)
  if (!existsSync(path) || !statSync(path).isDirectory()) return `${path} does not exist; ${createFolderAdvice(path)}, or enter another folder.`
  return null
}
const schemaCheck = (schema: z.ZodTypeAny) => (value: string) => {
  const parsed = schema.safeParse(value)
  return parsed.success ? null : parsed.error.issues[0]!.message
}

export const QUESTIONS = {
  melonBaseUrl: {key: 'melon.baseUrl', message: 'melon API base URL', kind: 'text', default: 'https://{project}.api.melon.rent', validate: urlCheck('melon')},
  melonProject: {key: 'melon.project', message: 'melon project (the first part of <project>.melon.rent)', kind: 'text', validate: schemaCheck(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'Lowercase letters, digits and -, as in <project>.melon.rent.'))},
  melonToken: {key: 'melon.token', message: 'melon API token (from emonitor)', kind: 'secret', validate: required},
  immotopUrl: {key: 'immotop.baseUrl', message: 'Immotop 2 REST URL (RestServiceUrl of the application server)', kind: 'text', default: 'https://localhost:5100', validate: urlCheck('immotop')},
  immotopPassword: {key: 'immotop.password', message: 'Immotop 2 password of user wwdms (from W&W)', kind: 'secret', validate: required},
  immotopMandant: {key: 'immotop.mandant', message: 'Immotop 2 mandants to publish: a number, several (1,2,5), or all (every letting mandant)', kind: 'text', default: 'all', validate: (v: string) => (parseMandantAnswer(v) === null ? 'A mandant number greater than 0, numbers separated by commas, or all.' : null)},
  immotopCaFile: {key: 'immotop.caFile', message: 'CA file of the Immotop 2 server certificate (PEM; empty if it has a public certificate)', kind: 'text', optional: true, validate: (v: string) => (!v || existsSync(resolve(v)) ? null : `${resolve(v)} does not exist.`)},
  incomingDir: {key: 'staging.incomingDir', message: 'Staging folder to Immotop 2 (incoming)', kind: 'text', validate: dirCheck},
  ackDir: {key: 'staging.ackDir', message: 'Staging folder for acknowledgements from Immotop 2', kind: 'text', validate: dirCheck},
  stateDir: {key: 'stateDir', message: 'State directory of this tool', kind: 'text', default: './state', validate: required},
  notifyTo: {key: 'notify.recipients', message: 'Who draws up contracts (e-mail addresses, comma-separated)', kind: 'list', validate: (v: string) => (v.split(',').map((s) => s.trim()).filter(Boolean).every((a) => z.string().email().safeParse(a).success) && v.trim() ? null : 'Enter one or more e-mail addresses, comma-separated.')},
  notifyFrom: {key: 'notify.from', message: 'Sender address', kind: 'text', validate: schemaCheck(z.string().min(3, 'An address is needed.'))},
  smtpHost: {key: 'notify.smtp.host', message: 'SMTP server', kind: 'text', validate: required},
  smtpPort: {key: 'notify.smtp.port', message: 'SMTP port (587 STARTTLS, 465 TLS)', kind: 'number', default: '587', validate: schemaCheck(z.string().regex(/^\d{1,5}$/, 'A port number.'))},
  smtpUser: {key: 'notify.smtp.user', message: 'SMTP user (empty: no login)', kind: 'text', optional: true, validate: () => null},
  smtpPassword: {key: 'notify.smtp.password', message: 'SMTP password', kind: 'secret', validate: required},
} satisfies Record<string, Question>

export interface InitResult {
  file: string
  envFile: string | null
  config: AppConfigInput
  checks: Record<string, 'passed' | 'failed' | 'skipped'>
}

export async function runInit(io: InitIO, options: InitOptions): Promise<InitResult> {
  const file = resolve(options.file)
  if (existsSync(file) && !options.force) {
    throw new UsageError('CONFIG_EXISTS', `${file} exists already; init does not overwrite it.`, 'Pass --force to replace it, or --output <file> to write another file.')
  }
  await access(dirname(file), constants.W_OK).catch(() => {
    throw new UsageError('OUTPUT_UNWRITABLE', `Cannot write into ${dirname(file)}.`, 'Choose another --output, or fix the folder permissions.')
  })
  const checks: InitResult['checks'] = {}
  const live = async (name: string, run: () => Promise<string | null>): Promise<boolean> => {
    if (!options.liveChecks || !(await io.confirm(`Check the ${name} connection now?`, true))) {
      checks[name] = 'skipped'
      return true
    }
    const problem = await run()
    if (!problem) {
      io.say(`✔ ${name}: connection works.`)
      checks[name] = 'passed'
      return true
    }
    io.say(`✖ ${name}: ${problem}`)
    checks[name] = 'failed'
    return !(await io.checkFailed(name, problem))
  }

  let melon: AppConfigInput['melon']
  do {
    const baseUrl = await io.ask(QUESTIONS.melonBaseUrl)
    melon = {baseUrl, project: await io.ask(QUESTIONS.melonProject), token: await io.ask(QUESTIONS.melonToken)}
  } while (!(await live('melon', () => options.checks.melon(melon))))

  let immotop: AppConfigInput['immotop']
  do {
    const baseUrl = await io.ask(QUESTIONS.immotopUrl)
    const password = await io.ask(QUESTIONS.immotopPassword)
    const caFile = await io.ask(QUESTIONS.immotopCaFile)
    immotop = {baseUrl, user: 'wwdms', password, apiVersion: '1.0', mandant: 'all', ...(caFile ? {caFile: resolve(caFile)} : {})}
  } while (!(await live('Immotop 2', () => options.checks.immotop(immotop))))
  if (checks['Immotop 2'] === 'passed' && options.checks.immotopMandants) {
    const mandants = await options.checks.immotopMandants(immotop)
    io.say(`Immotop 2 has ${mandants.length} mandant(s): ${mandants.map((m) => `${m.nr} ${m.bez} (${m.type === 'V' ? 'Vermietung' : m.type === 'S' ? 'Stockwerk' : m.type === 'G' ? 'Genossenschaft' : m.type})`).join('; ')}. "all" takes every Vermietung mandant.`)
  }
  immotop.mandant = parseMandantAnswer(await io.ask(QUESTIONS.immotopMandant))!

  const incomingDir = resolve(await io.ask(QUESTIONS.incomingDir))
  const ackDir = resolve(await io.ask(QUESTIONS.ackDir))
  // One state folder per melon project (a ledger serves one): the default names the project.
  const stateDir = resolve(await io.ask({...QUESTIONS.stateDir, default: join('state', melon.project)}))

  let notify: AppConfigInput['notify']
  const wantNotify = options.notify === 'ask' ? await io.confirm('Mail the contract staff when a tenant is ready in Immotop 2?', true) : options.notify
  if (wantNotify) {
    do {
      const recipients = (await io.ask(QUESTIONS.notifyTo)).split(',').map((s) => s.trim()).filter(Boolean)
      const from = await io.ask(QUESTIONS.notifyFrom)
      const host = await io.ask(QUESTIONS.smtpHost)
      const port = Number(await io.ask(QUESTIONS.smtpPort))
      const user = await io.ask(QUESTIONS.smtpUser)
      const password = user ? await io.ask(QUESTIONS.smtpPassword) : undefined
      notify = {recipients, from, smtp: {host, port, secure: port === 465, ...(user ? {user, password} : {})}}
    } while (!(await live('mail server', () => options.checks.smtp(notify!))))
  }

  const config: AppConfigInput = {melon, immotop, staging: {incomingDir, ackDir}, stateDir, ...(notify ? {notify} : {})}
  const secrets: Array<[string, string | undefined]> = [
    ['MELON_IMMOTOP_MELON_TOKEN', melon.token],
    ['MELON_IMMOTOP_IMMOTOP_PASSWORD', immotop.password],
    ['MELON_IMMOTOP_SMTP_PASSWORD', notify?.smtp.password],
  ]
  let envFile: string | null = null
  const written: AppConfigInput = structuredClone(config)
  if (options.secrets === 'env') {
    delete written.melon.token
    delete written.immotop.password
    if (written.notify?.smtp.password) delete written.notify.smtp.password
    envFile = join(dirname(file), 'melon-immotop.env')
    const lines = secrets.filter(([, v]) => v).map(([k, v]) => `${k}=${envQuote(v!)}`)
    await atomicWrite(envFile, lines.join('\n') + '\n')
  }
  const header = '# melon-immotop config, written by `melon-immotop init`. README "Config" explains every key.\n'
  await atomicWrite(file, header + (file.endsWith('.json') ? JSON.stringify(written, null, 2) + '\n' : toYaml(written)))
  io.say(`Wrote ${file} (mode 600).`)
  if (envFile) {
    io.say(`Wrote the secrets to ${envFile} (mode 600): ${secrets.filter(([, v]) => v).map(([k, v]) => `${k} ${mask(v)}`).join(', ')}.`)
    io.say(`Pass it to melon-immotop with --secrets-file ${envFile} (read exactly as written; a shell's \`set -a; . file\` would expand $ and backticks).`)
    io.say(`For systemd: EnvironmentFile=${envFile}`)
  }
  return {file, envFile, config: written, checks}
}

/** "3" → 3, "1, 2" → [1, 2], "all" → "all"; null when it is none of these. */
export function parseMandantAnswer(text: string): number | number[] | 'all' | null {
  const value = text.trim().toLowerCase()
  if (value === 'all') return 'all'
  const parts = value.split(',').map((p) => p.trim())
  if (parts.length === 0 || !parts.every((p) => /^[1-9]\d{0,8}$/.test(p))) return null
  const numbers = [...new Set(parts.map(Number))]
  return numbers.length === 1 ? numbers[0]! : numbers
}

/**
 * A value that Node's env-file parser reads back exactly: single or backtick
 * quotes keep $, backslashes and the other quotes literal; only a value with
 * both needs double quotes, where a backslash-n would turn into a line end.
 */
export function envQuote(value: string): string {
  if (!value.includes("'")) return `'${value}'`
  if (!value.includes('`')) return `\`${value}\``
  return JSON.stringify(value)
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, text, {mode: 0o600})
  await rename(tmp, path)
}
