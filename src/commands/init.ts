import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../cli/base-command.js'
import {isCI} from '../cli/ui.js'
import {InterruptedError, UsageError} from '../errors.js'
import {liveChecks, QUESTIONS, runInit, type InitIO, type InitResult, type Question} from '../services/init.js'

/** Which flag answers which question (and which environment variable, for secrets). */
const FLAG_FOR: Record<string, {flag: string; env?: string}> = {
  'melon.baseUrl': {flag: 'melon-base-url'},
  'melon.project': {flag: 'melon-project'},
  'melon.token': {flag: 'melon-token', env: 'MELON_IMMOTOP_MELON_TOKEN'},
  'immotop.baseUrl': {flag: 'immotop-url'},
  'immotop.password': {flag: 'immotop-password', env: 'MELON_IMMOTOP_IMMOTOP_PASSWORD'},
  'immotop.mandant': {flag: 'immotop-mandant'},
  'immotop.caFile': {flag: 'immotop-ca-file'},
  'staging.incomingDir': {flag: 'incoming-dir'},
  'staging.ackDir': {flag: 'ack-dir'},
  stateDir: {flag: 'state-dir'},
  'notify.recipients': {flag: 'notify-to'},
  'notify.from': {flag: 'notify-from'},
  'notify.smtp.host': {flag: 'smtp-host'},
  'notify.smtp.port': {flag: 'smtp-port'},
  'notify.smtp.user': {flag: 'smtp-user'},
  'notify.smtp.password': {flag: 'smtp-password', env: 'MELON_IMMOTOP_SMTP_PASSWORD'},
}

/** A flag, or for secrets its environment variable; an empty variable counts as not set. */
function givenValue(values: Record<string, string | undefined>, key: string): string | undefined {
  const source = FLAG_FOR[key]!
  return values[source.flag] ?? ((source.env ? process.env[source.env] : undefined) || undefined)
}

export default class Init extends BaseCommand {
  static override summary = 'Write a config with a wizard: asks, checks each answer and each connection, writes it owner-only.'
  static override description = `On a terminal, asks for melon (base URL, project, token), Immotop 2 (REST URL, password, mandant, CA file), the two staging folders, the state directory, and the notification recipients and mail server. Each answer is checked as it is given (format first, then a live check of each connection that you may skip). Secrets go into the config (mode 600) or, with --secrets env, into a separate env file. It refuses to overwrite a config without --force, and ends by offering to run doctor.

Without a terminal, or with --yes, every answer comes from the flags (secrets also from MELON_IMMOTOP_MELON_TOKEN, MELON_IMMOTOP_IMMOTOP_PASSWORD, MELON_IMMOTOP_SMTP_PASSWORD); a missing one is named, never waited for.`
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --output /etc/melon-immotop/config.yaml --secrets env',
    'MELON_IMMOTOP_MELON_TOKEN=… MELON_IMMOTOP_IMMOTOP_PASSWORD=… <%= config.bin %> init --yes --melon-project muster-immo --immotop-url https://immotop:5100 --immotop-mandant 1 --incoming-dir /mnt/staging/in --ack-dir /mnt/staging/ack',
  ]
  static override flags = {
    output: Flags.string({char: 'o', description: 'The config file to write (.yaml, .yml or .json).', default: '.melon-immotoprc.yaml'}),
    force: Flags.boolean({description: 'Overwrite an existing config.'}),
    yes: Flags.boolean({char: 'y', description: 'Ask nothing: take every answer from the flags and defaults.'}),
    secrets: Flags.string({description: 'Where the secrets go: into the config file, or into a separate env file next to it.', options: ['file', 'env'], default: 'file'}),
    check: Flags.boolean({description: 'Check each connection live (--no-check: only the format).', default: true, allowNo: true}),
    doctor: Flags.boolean({description: 'Run doctor at the end (asked on a terminal).', allowNo: true}),
    'melon-base-url': Flags.string({description: 'melon API base URL.'}),
    'melon-project': Flags.string({description: 'melon project.'}),
    'melon-token': Flags.string({description: 'melon API token (prefer MELON_IMMOTOP_MELON_TOKEN: flags show in the process list).'}),
    'immotop-url': Flags.string({description: 'Immotop 2 REST URL.'}),
    'immotop-password': Flags.string({description: 'Immotop 2 password (prefer MELON_IMMOTOP_IMMOTOP_PASSWORD).'}),
    'immotop-mandant': Flags.string({description: 'Immotop 2 mandants: a number, several (1,2,5), or all (every letting mandant).'}),
    'immotop-ca-file': Flags.string({description: 'CA file (PEM) of the Immotop 2 server certificate.'}),
    'incoming-dir': Flags.string({description: 'Staging folder to Immotop 2.'}),
    'ack-dir': Flags.string({description: 'Staging folder for acknowledgements.'}),
    'state-dir': Flags.string({description: 'State directory (default: ./state/<melon project>; one per project).'}),
    'notify-to': Flags.string({description: 'Notification recipients, comma-separated (switches notifications on).'}),
    'notify-from': Flags.string({description: 'Sender address of notifications.'}),
    'smtp-host': Flags.string({description: 'SMTP server.'}),
    'smtp-port': Flags.string({description: 'SMTP port.'}),
    'smtp-user': Flags.string({description: 'SMTP user.'}),
    'smtp-password': Flags.string({description: 'SMTP password (prefer MELON_IMMOTOP_SMTP_PASSWORD).'}),
  }

  async run(): Promise<InitResult & {doctor: 'passed' | 'failed' | 'not run'; doctorReport?: unknown}> {
    const {flags} = await this.parse(Init)
    const values = flags as unknown as Record<string, string | undefined>
    for (const {flag, env} of Object.values(FLAG_FOR)) {
      const secret = values[flag] ?? (env ? process.env[env] : undefined)
      if (secret && env) this.redactor.add(secret)
    }
    const interactive = Boolean(process.stdin.isTTY) && !flags.yes && !this.jsonEnabled() && !isCI()
    if (!interactive) this.assertAllFlags(values)
    const io = interactive ? await this.inquirerIO(values) : this.flagIO(values)
    const checks = liveChecks()
    const result = await runInit(io, {
      file: flags.output,
      force: flags.force,
      liveChecks: flags.check,
      secrets: flags.secrets as 'file' | 'env',
      notify: interactive && !values['notify-to'] ? 'ask' : Boolean(values['notify-to']),
      checks,
    })
    let doctor: 'passed' | 'failed' | 'not run' = 'not run'
    let doctorReport: unknown
    const runDoctor = flags.doctor ?? (interactive ? await io.confirm('Run doctor now?', true) : false)
    if (runDoctor && this.jsonEnabled()) {
      // One JSON document on stdout: the doctor report goes inside it.
      const {doctorChecks, runDoctor: run} = await import('../services/doctor/index.js')
      const report = await run(doctorChecks({configPath: result.file, deep: false}), {checkTimeoutMs: 10_000, budgetMs: 15_000})
      doctorReport = report
      doctor = report.summary.failed > 0 ? 'failed' : 'passed'
    } else if (runDoctor) {
      try {
        await this.config.runCommand('doctor', ['--config', result.file])
        doctor = 'passed'
      } catch {
        doctor = 'failed'
      }
    }
    if (doctor === 'failed') this.ui.warn('doctor found problems; the config is written: fix what it says and run `melon-immotop doctor` again.')
    return {...result, doctor, ...(doctorReport ? {doctorReport} : {})}
  }

  /** Answers from flags (and environment for secrets); a missing one is an error naming the flag. */
  private flagIO(values: Record<string, string | undefined>): InitIO {
    return {
      ask: async (q: Question) => {
        const source = FLAG_FOR[q.key]!
        const given = givenValue(values, q.key)
        const value = given ?? q.default ?? (q.optional ? '' : undefined)
        if (value === undefined) {
          throw new UsageError('MISSING_ANSWER', `--${source.flag} is missing (${q.message}) and there is no terminal to ask${source.env ? `; ${source.env} can supply it too` : ''}.`, `Pass --${source.flag}, or run init on a terminal without --yes.`)
        }
        const problem = q.validate(value)
        if (problem) throw new UsageError('BAD_ANSWER', `--${source.flag}: ${problem}`, `Correct --${source.flag}.`)
        return value
      },
      confirm: async (_message, defaultValue) => defaultValue,
      checkFailed: async (name, problem) => {
        throw new UsageError('LIVE_CHECK_FAILED', `${name}: ${problem}`, 'Correct the flags, or pass --no-check to write the config without the live checks.')
      },
      say: (line) => this.ui.err(line),
    }
  }

  /** Without a terminal, every missing flag is named at once (not one per run). */
  private assertAllFlags(values: Record<string, string | undefined>): void {
    const notify = Boolean(values['notify-to'])
    const missing = Object.values(QUESTIONS).filter((q) => {
      if (q.key.startsWith('notify.') && !notify) return false
      if (q.key === 'notify.smtp.password' && !values['smtp-user']) return false
      const given = givenValue(values, q.key)
      return given === undefined && ('default' in q ? q.default : undefined) === undefined && !('optional' in q && q.optional)
    })
    if (missing.length === 0) return
    const names = missing.map((q) => `--${FLAG_FOR[q.key]!.flag}${FLAG_FOR[q.key]!.env ? ` (or ${FLAG_FOR[q.key]!.env})` : ''}`)
    throw new UsageError('MISSING_ANSWER', `${names.length} answer(s) missing and there is no terminal to ask: ${names.join(', ')}.`, 'Pass them all, or run init on a terminal without --yes.')
  }

  /** Answers from a person at the terminal (prompts on stderr, so stdout stays clean). */
  private async inquirerIO(values: Record<string, string | undefined>): Promise<InitIO> {
    const prompts = await import('@inquirer/prompts')
    const context = {output: process.stderr}
    // Ctrl-C at a prompt ends it with an ExitPromptError: that is an interrupt (130), not a bug.
    const asking = async <T>(question: Promise<T>): Promise<T> => {
      try {
        return await question
      } catch (error) {
        if ((error as Error).name === 'ExitPromptError') throw new InterruptedError('SIGINT', 'Interrupted by Ctrl-C while answering init; nothing was written.')
        throw error
      }
    }
    const confirm = (message: string, defaultValue: boolean) => asking(prompts.confirm({message, default: defaultValue}, context))
    return {
      ask: async (q: Question) => {
        const preset = values[FLAG_FOR[q.key]!.flag]
        const validate = (value: string) => q.validate(value ?? '') ?? true
        if (q.kind === 'secret') {
          const secret = await asking(prompts.password({message: q.message, mask: '*', validate}, context))
          this.redactor.add(secret)
          return secret
        }
        const fallback = preset ?? ('default' in q ? q.default : undefined)
        return (await asking(prompts.input({message: q.message, ...(fallback === undefined ? {} : {default: fallback}), validate}, context))) ?? ''
      },
      confirm,
      checkFailed: (name) => confirm(`Enter the ${name} settings again?`, true),
      say: (line) => this.ui.err(line),
    }
  }

}

