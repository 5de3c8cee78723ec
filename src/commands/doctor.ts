import {Flags} from '@oclif/core'
import {Errors} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {ExitCode} from '../errors.js'
import {doctorChecks, runDoctor, type CheckResult} from '../services/doctor.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check every connection and setting, and say how to fix what fails.'
  static override description =
    'Checks, in a fixed order: the config, its file permissions, the secrets (masked), melon (reachable, token accepted), Immotop 2 (Test with the Version header and Basic auth, the mandant), the staging folders and the state directory. Checks run in parallel with a timeout each; a check whose dependency failed is skipped. Exits 1 when any check fails.'
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json', '<%= config.bin %> doctor --config ./melon-immotop.yaml --verbose']
  static override flags = {
    timeout: Flags.integer({description: 'Seconds each check may take.', default: 10, min: 1}),
    budget: Flags.integer({description: 'Seconds the whole run may take.', default: 15, min: 1}),
  }

  async run(): Promise<{checks: CheckResult[]; summary: Record<string, number>}> {
    const {flags} = await this.parse(Doctor)
    const checks = doctorChecks({configPath: flags.config})
    const spinner = await this.ui.spinner('Checking connections and settings')
    this.activity = 'running checks'
    const report = await runDoctor(checks, {checkTimeoutMs: flags.timeout * 1000, budgetMs: flags.budget * 1000})
    spinner.stop()
    const c = this.ui.color
    const marks = {pass: c.green('✔'), warn: c.yellow('!'), fail: c.red('✖'), skip: c.dim('-')}
    for (const check of report.checks) {
      const time = this.verbose ? c.dim(` (${check.durationMs} ms)`) : ''
      this.ui.out(`${marks[check.status]} ${c.bold(check.title)} ${c.dim(`[${check.id}]`)}${time}`)
      this.ui.out(`    ${check.detail}`)
      if (check.fix && (check.status === 'fail' || check.status === 'warn')) this.ui.out(`    ${c.cyan('Fix:')} ${check.fix}`)
    }
    const {passed, total, failed} = report.summary
    this.ui.out(`${passed} of ${total} checks passed${failed ? c.red(`, ${failed} failed`) : ''}.`)
    if (failed > 0) {
      if (this.jsonEnabled()) this.logJson(report)
      throw new Errors.ExitError(ExitCode.CHECKS_FAILED)
    }
    return report
  }
}
