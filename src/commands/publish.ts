import * as Args from '@oclif/core/args'
import type {RunContext} from '../services/run-context.js'
import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../cli/base-command.js'
import {JsonDocumentStream} from '../cli/json-stream.js'
import {requireSecrets} from '../config/load.js'
import {RecordedError, UsageError} from '../errors.js'
import {publishFromSource, recordPublication, RECORDED, today, type PublishItem, type PublishReport} from '../services/publish/index.js'
import {sourceSpecFromConfig} from '../services/publish/sources.js'

export default class Publish extends BaseCommand {
  static override summary = 'Publish vacant units to melon as listings, from Immotop 2, a dta-mpexp export or an IDX 3.01 file.'
  static override description = `Reads vacancies from Immotop 2's REST views (default; every mandant immotop.mandant names), from a dta-mpexp export (--from-csv) or from an IDX 3.01 portal file (--from-idx), maps each to a melon listing and creates or updates it. The REST views carry no rooms, area, floor, type or rent: a details file (immotop.detailsFile or --details, Immotop 2's IDX or dta-mpexp export) adds them to the units REST finds vacant. The reference is the key: publishing again updates only what changed and never duplicates; an unchanged listing is not written at all.

Name units to publish them, or pass --all for every current vacancy of the source (the one in the config's publish section, unless --from-csv/--from-idx). --prune also withdraws listings this tool created from that source whose unit is no longer vacant; it asks first unless --yes.

A file that fails to parse publishes nothing, unless --skip-invalid: then the valid records go out and the others are listed.`
  static override examples = [
    '<%= config.bin %> publish 1.10001.1012',
    '<%= config.bin %> publish 10001.1012 10001.1013 --dry-run',
    '<%= config.bin %> publish --from-idx export.idx',
    '<%= config.bin %> publish --from-idx export.idx 134.13401.134011402',
    '<%= config.bin %> publish --from-csv dta-mpexp.csv --skip-invalid',
    '<%= config.bin %> publish --all --details portal.idx',
    '<%= config.bin %> publish --all --mandant 3 --dry-run',
    '<%= config.bin %> publish --all --prune --yes --json',
  ]
  static override strict = false
  static override args = {
    units: Args.string({description: 'Unit references to publish (several may follow): <mandant>.<liegenschaft>.<objekt> for REST and dta-mpexp, ref_property.ref_house.ref_object for IDX. Or --all.'}),
  }
  static override flags = {
    'from-idx': Flags.string({description: 'Read vacancies from this IDX 3.01 file (RENT records; references are ref_property.ref_house.ref_object).', exclusive: ['from-csv']}),
    'from-csv': Flags.string({description: 'Read vacancies from this dta-mpexp export (references are <mandant>.<property_id>.<unit_id>).', exclusive: ['from-idx']}),
    all: Flags.boolean({description: 'Publish every current vacancy of the source.'}),
    prune: Flags.boolean({description: 'With --all: withdraw listings this tool created from the source whose unit is no longer vacant.'}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask before withdrawing listings (needed without a terminal).'}),
    'skip-invalid': Flags.boolean({description: 'Publish the valid records of a file that has invalid ones, and list the others.'}),
    'include-sale': Flags.boolean({description: 'Also publish IDX SALE records.'}),
    'dry-run': Flags.boolean({description: 'Show what would be sent or withdrawn, without sending anything.'}),
    details: Flags.string({description: 'With REST: an IDX 3.01 or dta-mpexp export that gives rooms, area, floor, type and rent of the vacant units (default: immotop.detailsFile).'}),
    mandant: Flags.integer({description: 'Only this mandant (default: immotop.mandant); also the mandant of a dta-mpexp file and of two-part references.', min: 1}),
    agency: Flags.string({description: 'With an empty IDX file and --prune: the agency_id whose listings to withdraw, when several IDX feeds publish.'}),
  }

  /** A unit that failed makes publish exit 1. */
  protected override failedItems(report: PublishReport): number {
    return report.summary.failed
  }

  async run(): Promise<PublishReport> {
    const {argv, flags} = await this.parse(Publish)
    const refs = (argv as string[]).filter((a) => a.trim() !== '')
    const fromFile = flags['from-idx'] ? 'idx' : flags['from-csv'] ? 'dta-mpexp' : null
    if (refs.length > 0 && flags.all) throw new UsageError('USAGE', 'Name units or pass --all, not both.', 'Drop the unit references, or --all.')
    if (flags.prune && refs.length > 0) throw new UsageError('USAGE', '--prune works on every vacancy of a source, not on named units.', 'Use --all --prune, or `melon-immotop unpublish <ref>` for one listing.')
    if (refs.length === 0 && !flags.all && !fromFile) throw new UsageError('USAGE', 'Name the units to publish, or pass --all.', 'For example: melon-immotop publish 1.10001.1012, or melon-immotop publish --all.')
    const {ctx, loaded} = await this.context(flags.config, [])
    const {config} = loaded
    const kind = fromFile ?? config.publish.source
    const file = flags['from-idx'] ?? flags['from-csv'] ?? config.publish.file
    const dryRun = flags['dry-run'] === true
    const secrets: Array<'melon.token' | 'immotop.password'> = []
    if (kind === 'rest') secrets.push('immotop.password')
    if (!dryRun || flags.prune || refs.length !== 1 || kind !== 'rest') secrets.push('melon.token')
    // The config is read once; which secrets are needed depends on the source it names.
    requireSecrets(loaded, secrets)

    const spec = sourceSpecFromConfig(config, {
      kind,
      file,
      detailsFile: flags.details,
      mandant: flags.mandant,
      refs,
      includeSale: flags['include-sale'],
      skipInvalid: flags['skip-invalid'],
      prune: flags.prune,
      agency: flags.agency,
      today: today(),
    })
    const spinner = await this.ui.spinner(`Reading vacancies (${kind === 'rest' ? 'Immotop 2' : file})`)
    this.activity = 'reading vacancies'
    // One named unit keeps its item (its failure is the command's); otherwise every item is written, recorded and let go as it is done.
    const named = refs.length === 1
    const items = named ? null : this.itemSink(kind, dryRun, ctx)
    let report: PublishReport
    try {
      // One named unit that cannot be published is an error of its own kind (not vacant, unknown).
      report = await publishFromSource({melon: await ctx.melon(), immotop: kind === 'rest' ? await ctx.immotop() : undefined}, spec, {
        namedUnit: named,
        dryRun,
        prune: flags.prune,
        confirmPrune: (stale) => this.confirmPrune(stale, flags.yes, spinner),
        onProgress: (done, total, reference) => {
          if (total > 1) spinner.update(`${bar(done, total)} ${done}/${total} ${reference}`)
          else if (reference) spinner.update(`Publishing ${reference}`)
        },
        keepItems: named,
        onItem: items?.add,
      })
    } catch (error) {
      spinner.fail('Publishing failed')
      throw error
    }
    spinner.stop()
    if (items) {
      await items.finish(report)
      return report
    }
    if (!dryRun) this.record(ctx, report)
    // One named unit: its failure is the command's failure, with its own exit code.
    const only = report.items.length === 1 ? report.items[0]! : null
    if (only?.action === 'failed' && only.error) throw new RecordedError(only.error)
    this.print(report.items, report)
    return report
  }

  /**
   * Items as they come: recorded in the ledger, and written at once (--json:
   * into the one document) or kept as a printed line; nothing holds the listings.
   */
  private itemSink(source: string, dryRun: boolean, ctx: RunContext) {
    // A dry run records nothing.
    const stateDir = dryRun ? null : ctx.config.stateDir
    const json = this.jsonEnabled() ? (this.jsonStream = new JsonDocumentStream({source, dryRun}, 'items', (text) => this.redactor.scrub(text))) : null
    const lines: PublishItem[] = []
    let ledger: ReturnType<RunContext['ledger']> | null = null
    let ledgerFailed = false
    return {
      add: async (item: PublishItem) => {
        if (stateDir && !ledgerFailed && RECORDED.includes(item.action)) {
          try {
            ledger ??= ctx.ledger()
            recordPublication(ledger, source, item)
          } catch (error) {
            ledgerFailed = true
            this.ui.warn(`could not record the publications in ${stateDir}: ${(error as Error).message}`)
          }
        }
        if (json) return json.item(item)
        // Printed lines need no listing: keep the item without it.
        const {listing, ...rest} = item
        lines.push(listing ? {...rest, listing: {title: listing.title, rooms: listing.rooms, rentalgross: listing.rentalgross, price_unit: listing.price_unit, availability: listing.availability, move_in_date: listing.move_in_date} as PublishItem['listing']} : rest)
      },
      finish: async (report: PublishReport) => {
        if (json) await json.end({details: report.details, mandants: report.mandants, summary: report.summary})
        else this.print(lines, report)
      },
    }
  }

  private async confirmPrune(stale: string[], yes: boolean, spinner: {stop(): void}): Promise<boolean> {
    if (yes) return true
    if (!process.stdin.isTTY || this.jsonEnabled()) {
      throw new UsageError('CONFIRMATION_NEEDED', `--prune would withdraw ${stale.length} listing(s) (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}), and there is no terminal to ask.`, 'Pass --yes to confirm, or run without --prune.')
    }
    spinner.stop()
    const {confirm} = await import('@inquirer/prompts')
    return confirm({message: `Withdraw ${stale.length} listing(s) from melon: ${stale.join(', ')}?`, default: false}, {output: process.stderr})
  }

  /** Publications go into the ledger for `history`; a ledger problem never fails a publish. */
  private record(ctx: RunContext, report: PublishReport): void {
    try {
      const ledger = ctx.ledger()
      for (const item of report.items) if (RECORDED.includes(item.action)) recordPublication(ledger, report.source, item)
    } catch (error) {
      this.ui.warn(`could not record the publications in ${ctx.config.stateDir}: ${(error as Error).message}`)
    }
  }

  private print(items: PublishItem[], report: PublishReport): void {
    const c = this.ui.color
    const colour: Record<string, (s: string) => string> = {created: c.green, updated: c.green, withdrawn: c.yellow, 'would-withdraw': c.yellow, unchanged: c.dim, skipped: c.dim, failed: c.red, 'dry-run': c.cyan}
    // A large mandant has hundreds of let units: count them instead of listing each.
    const notVacant = items.filter((i) => i.action === 'skipped' && i.reason?.startsWith('not vacant'))
    if (notVacant.length > 0) this.ui.out(c.dim(`${notVacant.length} unit(s) not vacant, not published${this.verbose ? `: ${notVacant.map((i) => i.reference).join(', ')}` : ''}.`))
    const hidden = new Set(notVacant)
    for (const item of items) {
      if (hidden.has(item)) continue
      const l = item.listing
      let detail = ''
      if (item.action === 'failed') detail = `${item.error?.message} ${c.dim(`Fix: ${item.error?.fix}`)}`
      else if (item.reason) detail = item.reason
      else if (l) {
        const price = l.rentalgross === null ? 'rent on request' : `CHF ${l.rentalgross}/${l.price_unit === 'monthly' ? 'month' : l.price_unit === 'yearly' ? 'year' : 'once'}`
        const free = l.availability === 'from_date' ? `free from ${l.move_in_date}` : l.availability === 'on_request' ? 'availability on request' : 'free immediately'
        detail = `${l.title}, ${l.rooms ?? '–'} rooms, ${price}, ${free}`
        if (item.action === 'updated' && item.changedFields?.length) detail += c.dim(` (changed: ${item.changedFields.join(', ')})`)
      }
      this.ui.out(`${colour[item.action]!(item.action.padEnd(9))} ${c.bold(item.reference)}  ${detail}`)
    }
    if (items.length > 1 || items.some((i) => i.action === 'skipped')) {
      const s = report.summary
      const mandants = report.mandants.length > 1 ? ` (mandants ${report.mandants.join(', ')})` : ''
      this.ui.out(
        report.dryRun
          ? `Summary${mandants}, dry run, nothing sent: ${s.dryRun} would be sent, ${s.failed} failed, ${s.skipped} skipped${s.wouldWithdraw ? `, ${s.wouldWithdraw} would be withdrawn` : ''}.`
          : `Summary${mandants}: ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ${s.failed} failed, ${s.skipped} skipped${s.withdrawn ? `, ${s.withdrawn} withdrawn` : ''}.`,
      )
    }
    const d = report.details
    if (d) {
      this.ui.out(c.yellow(`${d.units.length} unit(s) published without ${d.fields.join(', ')}: Immotop 2's REST views carry none of these.`) + ` ${c.dim(d.fix)}`)
      for (const reason of d.ambiguous) this.ui.out(c.dim(`  not applied: ${reason}`))
    }
  }
}


function bar(done: number, total: number): string {
  const width = 20
  const filled = Math.round((done / total) * width)
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`
}
