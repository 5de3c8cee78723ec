import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../cli/base-command.js'
import {UsageError} from '../errors.js'
import {assertSafeId} from '../core/unit-ref.js'
import {exportTenant, type ExportResult} from '../services/handover/index.js'

export default class ExportTenant extends BaseCommand {
  static override summary = 'Hand one tenant without contract, with the complete dossier, to Immotop 2.'
  static override description =
    'Streams the dossier PDF and every attached document from melon into a private temporary folder, verifying each SHA-256, writes the tenant record, delivers everything into Immotop 2\'s staging folder 2 (document first, control file .xml_it2 after it, as W&W\'s use case 5) and waits until Immotop 2 has picked the files up. If it does not within the timeout, the handover stays "delivered, waiting for pick-up" (exit 7): running it again checks again and never sends a file twice.'
  static override examples = [
    '<%= config.bin %> export-tenant T-1001',
    '<%= config.bin %> export-tenant T-1001 --dry-run',
    '<%= config.bin %> export-tenant T-1001 --no-wait --json',
    '<%= config.bin %> export-tenant T-1001 --redeliver --yes',
  ]
  static override args = {
    tenant: Args.string({description: 'melon tenant id, as `tenants` shows it.', required: true}),
  }
  static override flags = {
    'dry-run': Flags.boolean({description: 'Show what would be delivered, without downloading or delivering.'}),
    wait: Flags.boolean({description: 'Wait for Immotop 2 to pick the files up (--no-wait returns after delivery).', default: true, allowNo: true}),
    'pickup-timeout': Flags.integer({description: 'Seconds to wait for the pick-up (default: staging.pickupTimeoutSeconds).', min: 1, aliases: ['ack-timeout']}),
    notify: Flags.boolean({description: 'Mail the contract staff once Immotop 2 has picked the files up (--no-notify: do not), when notify is configured.', default: true, allowNo: true}),
    redeliver: Flags.boolean({
      description: 'For a handover waiting for pick-up whose files are lost (a staging folder wiped or replaced): take back what is left of them and deliver them again, under the same names, into staging.incomingDir. Asks first.',
      exclusive: ['dry-run'],
    }),
    yes: Flags.boolean({description: 'With --redeliver: do not ask (needed without a terminal).', dependsOn: ['redeliver']}),
  }

  async run(): Promise<ExportResult> {
    const {args, flags} = await this.parse(ExportTenant)
    const tenantId = assertSafeId('tenant', args.tenant)
    const {ctx, loaded} = await this.context(flags.config, ['melon.token'])
    const {config} = loaded
    const spinner = await this.ui.spinner(`Exporting tenant ${tenantId}`)
    this.activity = `exporting tenant ${tenantId}`
    let result: ExportResult
    try {
      // A dry run reads melon only; a handover opens the ledger of this project, checks both folders and sweeps leftovers first, as sync does.
      const deps = flags['dry-run'] ? {melon: await ctx.melon(), staging: await ctx.staging(), ledger: null!, mailer: null} : await ctx.handoverDeps({notify: flags.notify})
      result = await exportTenant(deps, tenantId, {
        project: config.melon.project,
        dryRun: flags['dry-run'],
        wait: flags.wait,
        notify: flags.notify,
        redoChangedDossier: true,
        redeliver: flags.redeliver ? {confirm: (handover) => this.confirmRedelivery(handover, flags.yes, spinner)} : undefined,
        pickupTimeoutMs: (flags['pickup-timeout'] ?? config.staging.pickupTimeoutSeconds) * 1000,
        signal: this.interrupt.signal,
        onProgress: (step) => {
          this.activity = `exporting tenant ${tenantId}: ${step}`
          spinner.update(`${tenantId}: ${step}`)
        },
      })
    } catch (error) {
      spinner.fail(`Export of ${tenantId} failed`)
      throw error
    }
    spinner.stop()
    const c = this.ui.color
    const mail = result.notified ? ' Contract staff notified.' : ''
    const headline = result.dryRun
      ? c.bold(`Dry run: tenant ${tenantId} → unit ${result.unitReference} would deliver ${result.files.length} files (handover ${result.handoverId}):`)
      : result.status === 'already_done'
        ? `${c.green('✔')} Tenant ${c.bold(tenantId)} was already handed to Immotop 2 for unit ${result.unitReference} (handover ${result.handoverId}); nothing sent again.${mail}`
        : result.pickedUp
          ? `${c.green('✔')} Tenant ${c.bold(tenantId)} handed to Immotop 2 for unit ${result.unitReference}: ${result.files.length} files picked up (handover ${result.handoverId}).${mail}`
          : `${c.yellow('…')} Tenant ${c.bold(tenantId)} delivered for unit ${result.unitReference}: ${result.files.length} files, pick-up not awaited (handover ${result.handoverId}).`
    this.ui.note(headline)
    await this.ui.table(
      ['file', 'DateiName', 'kind', 'bytes', 'sha256', 'Immotop 2'],
      result.files.map((f) => [f.fileName, f.dateiName, f.kind, String(f.size), `…${f.sha256.slice(-12)}`, f.immotopDocumentId ? `id ${f.immotopDocumentId}` : result.dryRun ? '–' : f.delivery.replace('_', ' ')]),
    )
    return result
  }

  private async confirmRedelivery(handover: {handoverId: string; folder: string; since: string | null}, yes: boolean, spinner: {stop(): void}): Promise<boolean> {
    if (yes) return true
    const what = `handover ${handover.handoverId}, delivered into ${handover.folder}${handover.since ? ` on ${handover.since}` : ''}`
    if (!process.stdin.isTTY || this.jsonEnabled()) {
      throw new UsageError('CONFIRMATION_NEEDED', `--redeliver would deliver the files of ${what} again, and there is no terminal to ask.`, 'Pass --yes to confirm that the files are lost (not in Immotop 2), or run without --redeliver.')
    }
    spinner.stop()
    const {confirm} = await import('@inquirer/prompts')
    return confirm({message: `Deliver the files of ${what} again? Only if they are lost and not in Immotop 2.`, default: false}, {output: process.stderr})
  }
}
