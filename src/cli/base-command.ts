/**
 * What every command shares: --config, --verbose and --json; loading the
 * config; the redactor; interrupts; and the single place where errors become
 * output and exit codes (README "Exit codes").
 */
import {readFileSync} from 'node:fs'
import {parseEnv} from 'node:util'
import {decodeSecretsFile} from '../core/secrets-text.js'
import {Command} from '@oclif/core/command'
import * as Errors from '@oclif/core/errors'
import * as Flags from '@oclif/core/flags'
import {isLoopbackHost} from '../adapters/transport-rules.js'
import {configWarnings, loadConfig, requireSecrets, type LoadedConfig} from '../config/load.js'
import type {RunContext} from '../services/run-context.js'
import type {RequiredSecret} from '../config/schema.js'
import {Redactor} from '../core/redact.js'
import {AppError, BugError, ExitCode, InterruptedError, UsageError, toAppError} from '../errors.js'
import type {JsonDocumentStream} from './json-stream.js'
import {Ui} from './ui.js'

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    config: Flags.string({char: 'c', description: 'Config file (default: $MELON_IMMOTOP_CONFIG, else .melon-immotoprc*, melon-immotop.config.* or package.json in this folder and its parents up to home, else config.* in the per-user config folder, e.g. ~/.config/melon-immotop; README "Config").', helpGroup: 'GLOBAL'}),
    verbose: Flags.boolean({description: 'Show error details and stack traces (secrets stay masked).', helpGroup: 'GLOBAL'}),
    'allow-insecure-http': Flags.boolean({
      description: 'Allow plain http:// to hosts that are not loopback for this run (warns; prefer https).',
      helpGroup: 'GLOBAL',
    }),
    'secrets-file': Flags.string({
      description: 'Load MELON_IMMOTOP_* secrets from this env file (KEY=value lines, read exactly as written: no shell expansion of $ or `).',
      helpGroup: 'GLOBAL',
    }),
  }

  protected readonly redactor = new Redactor()
  protected readonly interrupt = new AbortController()
  private uiInstance?: Ui
  private signalHandlers: Array<[NodeJS.Signals, () => void]> = []

  protected get verbose(): boolean {
    return this.argv.includes('--verbose')
  }

  protected get ui(): Ui {
    this.uiInstance ??= new Ui(this.jsonEnabled(), this.redactor)
    return this.uiInstance
  }

  override async init(): Promise<void> {
    await super.init()
    // Before anything reads the config (config show and doctor read it themselves).
    this.loadEnvFile()
    // One handler for the whole run. Commands change what a signal does by
    // overriding handleSignal, never by swapping listeners: a signal that
    // arrives while listeners are swapped is lost (libuv drops it with the
    // stopped handle), and the process would ignore SIGTERM.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const handler = () => this.handleSignal(signal)
      process.on(signal, handler)
      this.signalHandlers.push([signal, handler])
    }
  }

  /** Set by a command that stops gracefully on a signal: the finished run then exits 130 (SIGINT) or 143 (SIGTERM). */
  protected interruptedBy: 'SIGINT' | 'SIGTERM' | null = null

  /** What the command was doing, for the one-line note on interrupt. */
  protected activity = 'starting'

  /** Default: clean up (abort listeners), say what was interrupted, exit 130/143. */
  protected handleSignal(signal: 'SIGINT' | 'SIGTERM'): void {
    this.exitOnSignal(signal)
  }

  protected exitOnSignal(signal: 'SIGINT' | 'SIGTERM'): void {
    // Listeners on the abort signal remove temporary files synchronously.
    this.interrupt.abort()
    const error = new InterruptedError(signal, `Interrupted by ${signal} while ${this.activity}; temporary files were removed and no partial state was kept.`)
    this.render(error)
    process.exit(error.exitCode)
  }

  /**
   * --secrets-file: the secrets of an env file, read with Node's own parser
   * (util.parseEnv, as process.loadEnvFile and node --env-file): values stay
   * exactly as written, `$` and backticks included; variables already set win.
   * Not named --env-file: Node.js takes --env-file itself, even after the
   * script, and ends the process when the file is missing. Read here rather
   * than with process.loadEnvFile, which does the same. oclif has parsed the
   * flag already.
   */
  private loadEnvFile(): void {
    const at = this.argv.findIndex((a) => a === '--secrets-file' || a.startsWith('--secrets-file='))
    if (at < 0) return
    const file = this.argv[at]!.includes('=') ? this.argv[at]!.slice('--secrets-file='.length) : this.argv[at + 1]
    if (!file) return
    let bytes: Buffer
    try {
      bytes = readFileSync(file)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new UsageError('SECRETS_FILE_UNREADABLE', `Cannot read the secrets file ${file} (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}).`, 'Check --secrets-file; `melon-immotop init --secrets env` writes one.')
    }
    // UTF-8 with or without BOM, UTF-16 with BOM (PowerShell 5.1's `>`); anything else is refused whole, never read in part.
    const decoded = decodeSecretsFile(bytes)
    if ('problem' in decoded) {
      throw new UsageError(
        'SECRETS_FILE_ENCODING',
        `The secrets file ${file} is ${decoded.problem}; nothing was read from it.`,
        'Save it as UTF-8 (Notepad: Save as, Encoding UTF-8; PowerShell: Set-Content -Encoding UTF8), or let `melon-immotop init --secrets env` write it.',
      )
    }
    for (const [key, value] of Object.entries(parseEnv(decoded.text))) {
      if (process.env[key] === undefined) process.env[key] = value
    }
  }

  /** Loads the config, registers its secrets for masking, and checks the secrets this command needs. */
  protected async loadConfig(configPath: string | undefined, secrets: RequiredSecret[]): Promise<LoadedConfig> {
    const loaded = await loadConfig({configPath})
    const {melon, immotop} = loaded.config
    this.redactor.add(melon.token, immotop.password, loaded.config.notify?.smtp.password).addBasicAuth(immotop.user, immotop.password)
    if (loaded.config.notify?.smtp.user) this.redactor.addBasicAuth(loaded.config.notify.smtp.user, loaded.config.notify.smtp.password)
    requireSecrets(loaded, secrets)
    for (const warning of configWarnings(loaded)) this.ui.warn(`${warning.message} Fix: ${warning.fix}`)
    const flagOptIn = this.argv.includes('--allow-insecure-http')
    for (const [key, target] of [
      ['melon', melon],
      ['immotop', immotop],
    ] as const) {
      if (flagOptIn) target.allowInsecureHttp = true
      let url: URL | undefined
      try {
        url = new URL(target.baseUrl.replace('{project}', melon.project))
      } catch {
        continue // reported by the HTTP layer with the key to fix
      }
      if (target.allowInsecureHttp && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        this.ui.warn(`plain http:// to ${url.host} is allowed by ${flagOptIn ? '--allow-insecure-http' : `${key}.allowInsecureHttp`}: credentials and tenant data cross the network unencrypted.`)
      }
    }
    return loaded
  }

  /** The run context of this command (services/run-context.ts), closed when the command ends. */
  private runContext: RunContext | null = null

  /** Loads the config (as loadConfig) and builds the command's run context from it. */
  protected async context(configPath: string | undefined, secrets: RequiredSecret[]): Promise<{ctx: RunContext; loaded: LoadedConfig}> {
    const loaded = await this.loadConfig(configPath, secrets)
    // Loaded when a command asks for it: the clients behind it (axios) are no cost of the commands that never do.
    const {RunContext} = await import('../services/run-context.js')
    this.runContext = new RunContext(loaded.config)
    return {ctx: this.runContext, loaded}
  }

  /**
   * How many items of a finished run failed (a unit, a tenant, a check); more
   * than none makes the command exit 1 after its result is printed. The one
   * place, besides errors, that decides an exit code.
   */
  protected failedItems(_result: unknown): number {
    return 0
  }

  protected override async _run<T>(): Promise<T> {
    const result = await super._run<T>()
    // A run that a signal cut short (and that still reported what it did) exits with the interrupt code.
    if (this.interruptedBy) throw new Errors.ExitError(ExitCode[this.interruptedBy])
    if (result !== undefined && this.failedItems(result) > 0) throw new Errors.ExitError(ExitCode.CHECKS_FAILED)
    return result
  }

  /** A command that writes its JSON document as it goes (publish of a large feed); it is then not written again. */
  protected jsonStream: JsonDocumentStream | null = null

  override logJson(json: unknown): void {
    if (this.jsonStream) return
    process.stdout.write(this.redactor.scrub(JSON.stringify(json, null, 2)) + '\n')
  }

  override async catch(error: Error & {oclif?: {exit?: number}}): Promise<never> {
    if (error instanceof Errors.ExitError) throw error
    const app = fromOclif(error)
    // A document already begun on stdout is closed with the error, not followed by a second one.
    if (this.jsonStream?.isOpen) this.jsonStream.fail(app.toJSON())
    else this.render(app)
    throw new Errors.ExitError(app.exitCode)
  }

  override async finally(error: Error | undefined): Promise<void> {
    await this.runContext?.close((message) => this.ui.warn(message))
    this.runContext = null
    for (const [signal, handler] of this.signalHandlers) process.off(signal, handler)
    await super.finally(error)
  }

  private render(app: AppError): void {
    if (this.jsonEnabled()) {
      const doc: Record<string, unknown> = {error: app.toJSON()}
      if (this.verbose) doc.details = this.verboseDetails(app)
      process.stdout.write(this.redactor.scrub(JSON.stringify(doc, null, 2)) + '\n')
      return
    }
    const c = this.ui.errColor
    const lines = [`${c.red('Error:')} ${app.message}`, `${c.cyan('Fix:')} ${app.fix}`]
    if (this.verbose) {
      const {stack, cause, ...rest} = this.verboseDetails(app) as {stack?: string; cause?: {stack?: string}}
      lines.push(c.dim(`Details: ${JSON.stringify(rest)}`))
      if (stack) lines.push(c.dim(stack))
      if (cause?.stack) lines.push(c.dim(`Caused by: ${cause.stack}`))
    }
    else if (app instanceof BugError) lines.push(c.dim('Run again with --verbose for details.'))
    process.stderr.write(this.redactor.scrub(lines.join('\n')) + '\n')
  }

  private verboseDetails(app: AppError): Record<string, unknown> {
    const cause = (app as {cause?: unknown}).cause
    return {
      code: app.code,
      exitCode: app.exitCode,
      ...(app.details ? {details: app.details} : {}),
      stack: app.stack,
      ...(cause instanceof Error ? {cause: {name: cause.name, message: cause.message, stack: cause.stack}} : {}),
    }
  }
}

/** oclif's own parse errors (missing argument, unknown flag) exit 2 as usage errors. */
function fromOclif(error: Error & {oclif?: {exit?: number}}): AppError {
  if (error instanceof AppError) return error
  if (error instanceof Errors.CLIError && (error.oclif?.exit === 2 || /flag|argument|Missing|Unexpected/i.test(error.message))) {
    const lines = error.message.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^See more help/i.test(l))
    // "Missing 1 required arg:" is followed by the arguments, one a line: name them in the one line.
    const missing = /^Missing (\d+) required args?:$/.exec(lines[0] ?? '')
    if (missing) {
      const args = lines.slice(1).map((l) => {
        const [name, ...description] = l.split(/\s{2,}/)
        return description.length ? `${name} (${description.join(' ').replace(/\.$/, '')})` : name
      })
      return new UsageError('USAGE', `Missing ${missing[1]} required argument${missing[1] === '1' ? '' : 's'}: ${args.join(', ')}.`, 'See --help for the arguments and flags.')
    }
    return new UsageError('USAGE', lines[0] ?? error.message, 'See --help for the arguments and flags.')
  }
  return toAppError(error)
}
