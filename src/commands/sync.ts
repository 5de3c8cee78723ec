import {mkdirSync} from 'node:fs'
import {Errors, Flags} from '@oclif/core'
import {ImmotopRestClient} from '../adapters/immotop-rest.js'
import {Mailer} from '../adapters/mailer.js'
import {MelonClient} from '../adapters/melon-client.js'
import {StagingDirectory} from '../adapters/staging-dir.js'
import {BaseCommand} from '../cli/base-command.js'
import {BusyError, ExitCode} from '../errors.js'
import {publishVacancies, today} from '../services/publish.js'
import {sweepAnswers} from '../services/handover/leftovers.js'
import {syncPass, type SyncPassReport} from '../services/sync.js'
import {readVacancies, sourceSpecFromConfig} from '../services/vacancy-sources.js'
import {Ledger} from '../state/ledger.js'
import {StateLock} from '../state/lock.js'

export default class Sync extends BaseCommand {
  static override summary = 'Hand every new tenant without contract to Immotop 2, exactly once, unattended; mail the contract staff.'
  static override description = `Finds every tenant in melon's "Mieter ohne Vertrag" who has not yet been handed over and exports each one exactly once, with the dossier, as export-tenant does; then mails the configured recipients. The local ledger (stateDir) makes passes, crashes and re-runs add up to exactly once. One sync per state directory: a second one exits 75.

With --once it does one pass and exits (cron, CI): 0 when every tenant is done, 1 when some failed (the report says why; the next run retries them). Without --once it repeats every --interval seconds until SIGINT or SIGTERM, then stops starting new work, abandons what is in flight safely (the next run resumes it) and exits 0.`
  static override examples = ['<%= config.bin %> sync --once', '<%= config.bin %> sync --once --json --concurrency 8', '<%= config.bin %> sync --interval 120']
  static override flags = {
    once: Flags.boolean({description: 'One pass, then exit.'}),
    interval: Flags.integer({description: 'Seconds between passes (default: sync.intervalSeconds, 60).', min: 1}),
    concurrency: Flags.integer({description: 'Tenants handed over at the same time (default: sync.concurrency, 4).', min: 1, max: 16}),
    publish: Flags.boolean({description: 'Also publish the vacancies of the configured source on every pass (default: sync.publish).', allowNo: true}),
    notify: Flags.boolean({description: 'Mail the contract staff (--no-notify: do not), when notify is configured.', default: true, allowNo: true}),
  }

  private readonly stop = new AbortController()
  private lock: StateLock | null = null
  private signals = 0

  protected override handleSignal(signal: 'SIGINT' | 'SIGTERM'): void {
    if (!this.lock) return this.exitOnSignal(signal)
    this.signals++
    if (this.signals === 1) {
      this.ui.err(`${signal}: finishing safely; send it again to stop at once.`)
      this.stop.abort()
    } else {
      this.lock.release()
      process.exit(signal === 'SIGINT' ? ExitCode.SIGINT : ExitCode.SIGTERM)
    }
  }

  async run(): Promise<SyncPassReport | {passes: SyncPassReport[]}> {
    const {flags} = await this.parse(Sync)
    const {config} = await this.loadConfig(flags.config, ['melon.token'])
    mkdirSync(config.stateDir, {recursive: true, mode: 0o700})
    const lock = new StateLock(config.stateDir)
    const got = lock.acquire()
    if (!got.ok) {
      throw new BusyError(
        'SYNC_RUNNING',
        `Another melon-immotop sync (pid ${got.holder.pid} on ${got.holder.host}, since ${got.holder.since}) is running on ${config.stateDir}.`,
        'Let it finish; from cron, this run can simply be skipped (exit 75).',
      )
    }
    const ledger = new Ledger(config.stateDir)
    // First signal: stop starting work and abandon what is in flight safely, exit 0. Second: exit at once.
    const stop = this.stop
    this.lock = lock

    const melon = new MelonClient(config.melon)
    const staging = new StagingDirectory(config.staging)
    const mailer = flags.notify && config.notify ? new Mailer(config.notify) : null
    const doPublish = flags.publish ?? config.sync.publish
    const publish = doPublish
      ? async () => {
          const spec = sourceSpecFromConfig(config, {skipInvalid: true, today: today()})
          const input = await readVacancies(spec, {immotop: spec.kind === 'rest' ? new ImmotopRestClient(config.immotop) : undefined})
          return (await publishVacancies(melon, input, {dryRun: false, prune: false})).summary
        }
      : undefined
    const passes: SyncPassReport[] = []
    try {
      await staging.assertUsable()
      const swept = await staging.sweepTemporary()
      if (swept > 0) this.ui.err(`Removed ${swept} partial file(s) that an interrupted run left in the staging folder's temporary folder.`)
      const answers = await sweepAnswers(staging, ledger)
      if (answers > 0) this.ui.err(`Removed ${answers} answer(s) of finished handovers that an interrupted run left in ${config.staging.ackDir}.`)
      for (;;) {
        this.activity = 'syncing'
        const changesBefore = ledger.changes()
        const spinner = await this.ui.spinner('Sync: reading tenants without contract')
        const report = await syncPass(
          {melon, staging, ledger, mailer},
          {
            project: config.melon.project,
            concurrency: flags.concurrency ?? config.sync.concurrency,
            pickupTimeoutMs: config.staging.pickupTimeoutSeconds * 1000,
            notify: flags.notify,
            signal: stop.signal,
            publish,
            onTenant: (tenantId, outcome) => spinner.update(`Sync: ${tenantId} ${outcome}`),
          },
        )
        spinner.stop()
        if (ledger.changes() !== changesBefore) await this.backup(ledger)
        passes.push(report)
        if (passes.length > 100) passes.shift()
        this.print(report)
        if (flags.once || stop.signal.aborted) break
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, (flags.interval ?? config.sync.intervalSeconds) * 1000)
          stop.signal.addEventListener('abort', () => {
            clearTimeout(timer)
            resolve()
          }, {once: true})
        })
        if (stop.signal.aborted) break
      }
    } finally {
      mailer?.close()
      ledger.close()
      lock.release()
    }
    const last = passes.at(-1)!
    if (flags.once) {
      if (last.summary.failed > 0) {
        if (this.jsonEnabled()) this.logJson(last)
        throw new Errors.ExitError(ExitCode.CHECKS_FAILED)
      }
      return last
    }
    return {passes}
  }

  /** A pass that changed the ledger is backed up (a failed backup is a warning, not a failed pass). */
  private async backup(ledger: Ledger): Promise<void> {
    try {
      await ledger.backup()
    } catch (error) {
      this.ui.warn(`the ledger backup failed: ${(error as Error).message}`)
    }
  }

  private print(report: SyncPassReport): void {
    const c = this.ui.color
    const s = report.summary
    if (report.publish && 'error' in report.publish) this.ui.out(`${c.red('publish failed:')} ${report.publish.error.message}`)
    else if (report.publish) this.ui.out(c.dim(`publish: ${Object.entries(report.publish.summary).map(([k, v]) => `${v} ${k}`).join(', ')}`))
    for (const id of report.exported) this.ui.out(`${c.green('exported')}     ${id}${report.retried.includes(id) ? c.dim(' (retried)') : ''}`)
    for (const f of report.failed) this.ui.out(`${c.red('failed')}       ${f.tenantId}  ${f.message}`)
    for (const w of report.waiting) this.ui.out(`${c.yellow('waiting')}      ${w.tenantId}  delivered${w.since ? ` ${w.since.slice(0, 19).replace('T', ' ')}` : ''}, not yet picked up by Immotop 2 (handover ${w.handoverId ?? '?'})`)
    if (report.waiting.length > 0) this.ui.out(c.dim('  Fix: ask W&W to check that Immotop 2 imports its staging folder 2. Nothing is resent; each pass checks again.'))
    this.ui.out(
      `${report.finishedAt.slice(0, 19).replace('T', ' ')} pass: ${s.tenants} without contract, ${s.exported} exported, ${s.alreadyDone} already done, ${s.retried} retried, ${s.failed} failed${s.waiting ? `, ${s.waiting} waiting for pick-up` : ''}${report.notStarted.length ? `, ${report.notStarted.length} not started (stopping)` : ''}.`,
    )
  }
}
