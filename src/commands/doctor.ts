import {writeFile, rename} from 'node:fs/promises'
import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../cli/base-command.js'
import {loadConfig} from '../config/load.js'
import {UsageError} from '../errors.js'
import {doctorChecks, foldSkipped, markdownReport, runDoctor, type CheckResult} from '../services/doctor/index.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check every connection and setting, and say who fixes what fails.'
  static override description = `Checks, in a fixed order: config, its permissions, secrets (masked), Node.js, proxy; melon DNS, TCP, TLS, token, project and rights; Immotop 2 DNS, TCP, TLS, Test, Basic auth, Version header, mandant and server version; staging folders (writable, free space, files Immotop 2 left unprocessed), state directory, mail server, and the clock against the servers.

Checks run in parallel with a timeout each (--timeout) inside a total budget (--budget); a check still running after 3 s is announced on stderr. A check whose dependency did not pass is skipped. Every fail and warn has a fix line naming who usually owns it: the operator, the customer's IT, W&W or emonitor.

Exit code 1 on any fail (--strict: also on a warning).`
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --json',
    '<%= config.bin %> doctor --deep --send-test-mail vertrag@muster-immo.ch',
    '<%= config.bin %> doctor --only immotop.features,staging.incoming --strict',
    '<%= config.bin %> doctor --report doctor-report.md',
  ]
  static override flags = {
    timeout: Flags.integer({description: 'Seconds each check may take.', default: 10, min: 1}),
    budget: Flags.integer({description: 'Seconds the whole run may take.', default: 15, min: 1}),
    deep: Flags.boolean({description: 'Also deliver a harmless probe document and wait for Immotop 2 to acknowledge it.'}),
    'send-test-mail': Flags.string({description: 'Send a test mail to this address through the configured mail server.'}),
    only: Flags.string({description: 'Run only these checks (comma-separated ids), with what they depend on.'}),
    skip: Flags.string({description: 'Skip these checks (comma-separated ids).'}),
    strict: Flags.boolean({description: 'Also fail (exit 1) on warnings.'}),
    report: Flags.string({description: 'Write a redacted Markdown report to this file, to attach to a support ticket.'}),
  }

  private strict = false

  /** A failed check (with --strict also a warning) makes doctor exit 1. */
  protected override failedItems(report: {summary: {failed: number; warned: number}}): number {
    return report.summary.failed + (this.strict ? report.summary.warned : 0)
  }

  async run(): Promise<{checks: CheckResult[]; summary: Record<string, number>}> {
    const {flags} = await this.parse(Doctor)
    const checks = doctorChecks({configPath: flags.config, deep: flags.deep, sendTestMail: flags['send-test-mail']})
    const ids = new Set(checks.map((c) => c.id))
    const list = (text?: string) => (text ? text.split(',').map((s) => s.trim()).filter(Boolean) : undefined)
    for (const id of [...(list(flags.only) ?? []), ...(list(flags.skip) ?? [])]) {
      if (!ids.has(id)) throw new UsageError('UNKNOWN_CHECK', `There is no check "${id}".`, `Known checks: ${[...ids].join(', ')}.`)
    }
    // Secrets of a readable config are masked in everything below, the report included.
    try {
      const loaded = await loadConfig({configPath: flags.config})
      this.redactor.add(loaded.config.melon.token, loaded.config.immotop.password, loaded.config.notify?.smtp.password).addBasicAuth(loaded.config.immotop.user, loaded.config.immotop.password)
    } catch {
      // The config check reports it.
    }
    const spinner = await this.ui.spinner('Checking connections and settings')
    this.activity = 'running checks'
    const report = await runDoctor(checks, {
      checkTimeoutMs: flags.timeout * 1000,
      budgetMs: flags.budget * 1000,
      only: list(flags.only),
      skip: list(flags.skip),
      onSlow: (check) => {
        if (this.ui.spinnersEnabled) spinner.update(`Still running: ${check.title}`)
        else this.ui.err(`… still running: ${check.title} [${check.id}]`)
      },
    })
    spinner.stop()
    const c = this.ui.color
    const marks = {pass: c.green('✔'), warn: c.yellow('!'), fail: c.red('✖'), skip: c.dim('-')}
    for (const {check, folded} of foldSkipped(report.checks)) {
      const time = this.verbose ? c.dim(` (${check.durationMs} ms)`) : ''
      this.ui.out(`${marks[check.status]} ${c.bold(check.title)} ${c.dim(`[${check.id}]`)}${time}`)
      this.ui.out(`    ${check.detail}`)
      if (check.fix) this.ui.out(`    ${c.cyan(`Fix (${check.owner}):`)} ${check.fix}`)
      if (folded.length > 0) this.ui.out(`    ${marks.skip} ${c.dim(`${folded.length} check(s) skipped because of this: ${folded.map((f) => f.id).join(', ')}`)}`)
    }
    const {passed, total, failed, warned} = report.summary
    this.ui.out(`${passed} of ${total} checks passed${warned ? c.yellow(`, ${warned} warning(s)`) : ''}${failed ? c.red(`, ${failed} failed`) : ''}.`)
    if (flags.report) {
      const text = this.redactor.scrub(markdownReport(report, {version: this.config.version, config: flags.config ?? null, at: new Date().toISOString()}))
      const tmp = `${flags.report}.${process.pid}.tmp`
      await writeFile(tmp, text, {mode: 0o600})
      await rename(tmp, flags.report)
      this.ui.err(`Report written to ${flags.report}.`)
    }
    this.strict = flags.strict
    return report
  }
}
