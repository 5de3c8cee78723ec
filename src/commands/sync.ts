import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../cli/base-command.js'
import {requireSecrets} from '../config/load.js'
import {LOG_LEVELS, Log, type LogLevel} from '../cli/log.js'
import type {Ui} from '../cli/ui.js'
import {publishFromSource, today} from '../services/publish/index.js'
import {contractOptions} from '../services/contracts.js'
import {runSync, type RunSyncHooks, type SyncPassReport} from '../services/sync.js'
import {sourceSpecFromConfig} from '../services/publish/sources.js'

export default class Sync extends BaseCommand {
  static override summary = 'Hand every new tenant without contract to Immotop 2, exactly once, unattended; mail the contract staff.'
  static override description = `Finds every tenant in melon's "Mieter ohne Vertrag" who has not yet been handed over and exports each one exactly once, with the dossier, as export-tenant does; then mails the configured recipients. The local ledger (stateDir) makes passes, crashes and re-runs add up to exactly once. One sync per state directory: a second one exits 75.

With --once it does one pass and exits (cron, CI): 0 when every tenant is done, 1 when some failed (the report says why; the next run retries them). Without --once it runs as a service: a pass every --interval seconds; a pass that fails as a whole (melon or Immotop 2 unreachable, 5xx) is logged and retried with a growing pause (up to 15 minutes), and only a config or state error ends it. The first SIGINT or SIGTERM starts no new tenant, finishes the ones in hand and reports the rest as not started; --once then exits 130 (SIGINT) or 143 (SIGTERM), the service exits 0. A second signal stops at once (the next run resumes what was in hand). Lines carry an ISO timestamp with the zone; --json in loop mode writes one compact JSON line per pass (JSON Lines).`
  static override examples = [
    '<%= config.bin %> sync --once',
    '<%= config.bin %> sync --once --json --concurrency 8',
    '<%= config.bin %> sync --interval 120 --log-file /var/log/melon-immotop/sync.log',
    '<%= config.bin %> sync --interval 60 --json >> sync.jsonl',
  ]
  static override flags = {
    once: Flags.boolean({description: 'One pass, then exit.'}),
    interval: Flags.integer({description: 'Seconds between passes (default: sync.intervalSeconds, 60).', min: 1}),
    concurrency: Flags.integer({description: 'Tenants handed over at the same time (default: sync.concurrency, 4).', min: 1, max: 16}),
    publish: Flags.boolean({description: 'Also publish the vacancies of the configured source on every pass (default: sync.publish).', allowNo: true}),
    notify: Flags.boolean({description: 'Mail the contract staff (--no-notify: do not), when notify is configured.', default: true, allowNo: true}),
    'log-level': Flags.string({description: 'Which lines to write: error, warn, info (each pass and tenant) or debug.', options: [...LOG_LEVELS], default: 'info'}),
    'log-file': Flags.string({description: 'Also append every line to this file (owner-only), rotated by size (--log-max-bytes, 5 old files kept).'}),
    'log-max-bytes': Flags.integer({description: 'Rotate --log-file before it passes this size.', default: 10 * 1024 * 1024, min: 256}),
  }

  private readonly stop = new AbortController()
  private releaseLock: (() => void) | null = null
  private signals = 0
  private once = false
  private spinner: Awaited<ReturnType<Ui['spinner']>> | null = null

  /**
   * First signal: start no new tenant, finish the ones in hand, report the rest
   * as not started; --once then exits 130/143, the service exits 0. Second:
   * release the lock and exit at once (work in hand is resumed by the next run).
   */
  protected override handleSignal(signal: 'SIGINT' | 'SIGTERM'): void {
    if (!this.releaseLock) return this.exitOnSignal(signal)
    this.signals++
    if (this.signals === 1) {
      this.ui.err(`${signal}: finishing the tenant(s) in hand, starting no new one; send it again to stop at once.`)
      if (this.once) this.interruptedBy = signal
      this.stop.abort()
    } else {
      this.releaseLock()
      this.exitOnSignal(signal)
    }
  }

  /** With --once, a tenant that failed makes the run exit 1 (BaseCommand decides). */
  protected override failedItems(result: unknown): number {
    if (!('summary' in (result as object))) return 0
    const {summary} = result as SyncPassReport
    return summary.failed + summary.contracts.failed
  }

  async run(): Promise<SyncPassReport | {passes: SyncPassReport[]}> {
    const {flags} = await this.parse(Sync)
    const {ctx, loaded} = await this.context(flags.config, ['melon.token'])
    const {config} = loaded
    const closing = contractOptions(config.sync)
    // Closing the loop reads Immotop 2's tenancies: it needs the wwdms password too.
    if (closing) requireSecrets(loaded, ['immotop.password'])
    const [melon, immotop, staging, mailer] = await Promise.all([ctx.melon(), ctx.immotop(), ctx.staging(), ctx.mailer(flags.notify)])
    const contracts = closing ? {immotop, ...closing} : undefined
    const publish =
      (flags.publish ?? config.sync.publish)
        ? async () => {
            const spec = sourceSpecFromConfig(config, {skipInvalid: true, today: today()})
            const report = await publishFromSource({melon, immotop: spec.kind === 'rest' ? immotop : undefined}, spec, {dryRun: false, prune: false, keepItems: false})
            // A pass is never a dry run: its summary leaves those two counts out.
            const {dryRun: _dryRun, wouldWithdraw: _wouldWithdraw, ...summary} = report.summary
            return summary
          }
        : undefined
    this.activity = 'syncing'
    const loop = !flags.once
    this.once = flags.once
    const log = new Log({level: flags['log-level'] as LogLevel, json: this.jsonEnabled(), file: flags['log-file'], maxBytes: flags['log-max-bytes']}, this.redactor)
    // --json without --once: one compact line per pass, written at once (JSON Lines), not one document at the end.
    const jsonLine = (doc: unknown) => {
      if (loop && this.jsonEnabled()) process.stdout.write(this.redactor.scrub(JSON.stringify(doc)) + '\n')
    }
    try {
      const passes = await runSync(
        {melon, staging, mailer},
        {
          stateDir: config.stateDir,
          once: flags.once,
          intervalMs: (flags.interval ?? config.sync.intervalSeconds) * 1000,
          project: config.melon.project,
          concurrency: flags.concurrency ?? config.sync.concurrency,
          pickupTimeoutMs: config.staging.pickupTimeoutSeconds * 1000,
          notify: flags.notify,
          signal: this.stop.signal,
          // Never aborted: a second signal exits the process, and the ledger resumes what was in hand.
          inFlight: new AbortController().signal,
          publish,
          contracts,
        },
        this.hooks(log, jsonLine, config.staging.ackDir),
      )
      // In loop mode every pass is already out (as log lines, or as JSON lines).
      return flags.once ? passes.at(-1)! : (undefined as unknown as {passes: SyncPassReport[]})
    } finally {
      this.releaseLock = null
    }
  }

  /** What the operator sees of the passes: spinner, log lines, JSON lines. */
  private hooks(log: Log, jsonLine: (doc: unknown) => void, ackDir: string): RunSyncHooks {
    return {
      locked: (release) => (this.releaseLock = release),
      swept: ({temporary, answers}) => {
        if (temporary > 0) log.warn(`Removed ${temporary} partial file(s) that an interrupted run left in the staging folder's temporary folder.`)
        if (answers > 0) log.warn(`Removed ${answers} answer(s) of finished handovers that an interrupted run left in ${ackDir}.`)
      },
      passStarting: () => {
        const started = this.ui.spinner('Sync: reading tenants without contract')
        void started.then((s) => (this.spinner = s))
        return (tenantId, outcome) => this.spinner?.update(`Sync: ${tenantId} ${outcome}`)
      },
      passDone: (report) => {
        this.spinner?.stop()
        this.print(log, report)
        jsonLine(report)
      },
      passFailed: (error, retryMs) => {
        this.spinner?.stop()
        log.error(`pass failed: ${error.message} Retrying in ${Math.round(retryMs / 1000)} s. Fix: ${error.fix}`)
        jsonLine({error: error.toJSON(), retryInSeconds: Math.round(retryMs / 1000)})
      },
      warn: (message) => log.warn(message),
    }
  }

  /** What closing the loop did in the pass; ambiguous and unmatched ones need a person. */
  private printContracts(log: Log, contracts: SyncPassReport['contracts']): void {
    if (!contracts) return
    if ('error' in contracts) return log.warn(`contracts: ${contracts.error.message} The next pass checks again.`)
    for (const c of contracts.closed) log.info(`contract     ${c.tenantId}  tenancy ${c.tenancy?.ref} from ${c.tenancy?.from} in Immotop 2; melon told; listing ${c.listing}`)
    for (const c of contracts.ambiguous) log.warn(`ambiguous    ${c.tenantId}  unit ${c.unit}: ${c.reason}`)
    for (const c of contracts.unmatched) log.warn(`unmatched    ${c.tenantId}  unit ${c.unit}: ${c.reason}`)
    for (const c of contracts.expired) log.info(`expired      ${c.tenantId}  unit ${c.unit}: ${c.reason}`)
    if (contracts.ambiguous.length + contracts.unmatched.length > 0) log.warn('  Fix: settle each with `melon-immotop contracts confirm <tenant> --tenancy <ref>` (candidates in `melon-immotop contracts`); nothing is guessed.')
    for (const f of contracts.failed) log.warn(`failed       ${f.tenantId}  contract: ${f.message}`)
    for (const f of contracts.unchecked) log.warn(`unchecked    ${f.tenantId}  contract: ${f.message} The next pass checks again.`)
  }

  /** One pass as log lines: each tenant handed over, failed or waiting, then the summary. */
  private print(log: Log, report: SyncPassReport): void {
    const s = report.summary
    if (report.publish && 'error' in report.publish) log.warn(`publish failed: ${report.publish.error.message}`)
    else if (report.publish) log.info(`publish: ${Object.entries(report.publish.summary).map(([k, v]) => `${v} ${k}`).join(', ')}`)
    for (const id of report.exported) log.info(`exported     ${id}${report.retried.includes(id) ? ' (retried)' : ''}`)
    for (const f of report.failed) log.warn(`failed       ${f.tenantId}  ${f.message}`)
    for (const w of report.waiting) log.warn(`waiting      ${w.tenantId}  delivered${w.since ? ` ${w.since}` : ''}, not yet picked up by Immotop 2 (handover ${w.handoverId ?? '?'})`)
    if (report.waiting.length > 0) log.warn('  Fix: ask W&W to check that Immotop 2 imports its staging folder 2. Nothing is resent; each pass checks again.')
    this.printContracts(log, report.contracts)
    log.info(
      `pass: ${s.tenants} without contract, ${s.exported} exported, ${s.alreadyDone} already done, ${s.retried} retried, ${s.failed} failed${s.waiting ? `, ${s.waiting} waiting for pick-up` : ''}${report.notStarted.length ? `, ${report.notStarted.length} not started (stopping)` : ''}${contractLine(s.contracts)}.`,
    )
  }
}

function contractLine(c: SyncPassReport['summary']['contracts']): string {
  const parts = [c.closed && `${c.closed} contract(s) closed`, c.ambiguous && `${c.ambiguous} ambiguous`, c.unmatched && `${c.unmatched} unmatched`, c.waiting && `${c.waiting} waiting for a contract`, c.failed && `${c.failed} contract step(s) failed`]
  const used = parts.filter(Boolean)
  return used.length ? `; ${used.join(', ')}` : ''
}
