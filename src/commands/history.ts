import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../cli/base-command.js'
import {UsageError} from '../errors.js'
import {readHistory} from '../services/history.js'

const day = /^\d{4}-\d{2}-\d{2}$/

export default class History extends BaseCommand {
  static override summary = 'What was published and handed over, when, with which checksums, and what waits for Immotop 2 to pick it up.'
  static override description = 'Reads the local ledger in the state directory. No network call. Filters: --tenant, --unit, --since and --until (YYYY-MM-DD, --until exclusive).'
  static override examples = ['<%= config.bin %> history', '<%= config.bin %> history --tenant T-1001', '<%= config.bin %> history --unit 1.10001.1012 --since 2026-11-01 --json']
  static override flags = {
    tenant: Flags.string({description: 'Only this melon tenant id.'}),
    unit: Flags.string({description: 'Only this unit reference.'}),
    since: Flags.string({description: 'From this day (YYYY-MM-DD).'}),
    until: Flags.string({description: 'Before this day (YYYY-MM-DD).'}),
  }

  async run() {
    const {flags} = await this.parse(History)
    for (const key of ['since', 'until'] as const) {
      if (flags[key] && !day.test(flags[key]!)) throw new UsageError('USAGE', `--${key} "${flags[key]}" is not a day.`, 'Write it as YYYY-MM-DD.')
    }
    const {ctx} = await this.context(flags.config, [])
    const ledger = ctx.ledger()
    const {handovers, publications} = readHistory(ledger, {tenant: flags.tenant, unit: flags.unit, since: flags.since, until: flags.until})
    const c = this.ui.color
    for (const h of handovers) {
      const state = h.waitingForPickupSince ? c.yellow(`delivered, waiting for pick-up since ${h.waitingForPickupSince.slice(0, 19).replace('T', ' ')}`) : `${h.status === 'done' ? c.green(h.status) : h.status === 'failed' ? c.red(h.status) : c.yellow(h.status)} at ${h.step}`
      this.ui.out(`${c.bold(h.tenantId)} → ${h.unitReference}  ${state}  ${c.dim(`handover ${h.handoverId}, ${h.attempts} attempt(s)`)}`)
      if (h.lastError && h.status !== 'done') this.ui.out(`    last error: ${h.lastError.message}`)
      for (const e of h.events) this.ui.out(c.dim(`    ${e.at.slice(0, 19).replace('T', ' ')}  ${e.kind === 'contract' ? 'contract ' : ''}${e.step}${e.detail ? `  ${e.detail}` : ''}`))
      if (h.contract) this.ui.out(`    contract: ${h.contract.state}${h.contract.tenancy ? `, tenancy ${h.contract.tenancy.ref} from ${h.contract.tenancy.from}` : ''}${h.contract.listing ? `, listing ${h.contract.listing}` : ''}${h.contract.reason && h.contract.state !== 'closed' ? ` (${h.contract.reason})` : ''}`)
      for (const f of h.files) this.ui.out(`    ${f.fileName}  ${f.size} B  sha256 …${f.sha256.slice(-12)}  ${f.pickedUpAt ? `picked up${f.immotopDocumentId ? `, Immotop 2 id ${f.immotopDocumentId}` : ''}` : f.deliveredAt ? 'waiting in staging folder 2' : 'not delivered'}`)
      if (h.waitingForPickupSince) this.ui.out(c.dim('    Fix: ask W&W to check that Immotop 2 imports its staging folder 2; nothing is resent.'))
    }
    for (const p of publications) this.ui.out(`${p.at.slice(0, 19).replace('T', ' ')}  ${p.action.padEnd(9)} ${p.reference}${p.detail ? c.dim(`  ${p.detail}`) : ''}`)
    if (handovers.length === 0 && publications.length === 0) this.ui.out('Nothing recorded yet for this selection.')
    return {handovers, publications}
  }
}
