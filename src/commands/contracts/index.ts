import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../cli/base-command.js'
import {checkContractsNow, contractOptions, listContracts, type ContractEntry, type ContractPassReport} from '../../services/contracts.js'
import {CONTRACT_TRANSITIONS, type WatchState} from '../../core/transitions.js'
import {UsageError} from '../../errors.js'

export default class Contracts extends BaseCommand {
  static override summary = 'Closing the loop: which handed-over tenants have their contract in Immotop 2, which are ambiguous, which still wait.'
  static override description = `After Immotop 2 picked up a dossier, every sync pass watches the unit's tenancies. A new Mieter tenancy, created after the handover and starting within sync.contractWindowDays of the requested move-in date, is the contract: melon learns it (the tenant is "with contract", with Immotop 2's tenancy reference and start), and the listing is set to rented or withdrawn (sync.onContract), only when this tool manages it. Two candidates, a start far from the requested date, or a tenancy for someone else are never guessed: they are listed here, and \`contracts confirm\` settles them.

Without --check this reads the local ledger only (no network call). --check runs one such pass now (not while a sync runs: exit 75).`
  static override examples = [
    '<%= config.bin %> contracts',
    '<%= config.bin %> contracts --state ambiguous --json',
    '<%= config.bin %> contracts --check',
    '<%= config.bin %> contracts --tenant T-1002',
  ]
  static override flags = {
    tenant: Flags.string({description: 'Only this melon tenant id.'}),
    state: Flags.string({description: 'Only watches in this state.', options: Object.keys(CONTRACT_TRANSITIONS)}),
    check: Flags.boolean({description: 'Check Immotop 2 now and tell melon what was found (one pass, as sync does).'}),
  }

  /** A contract step that failed in --check makes the run exit 1. */
  protected override failedItems(result: unknown): number {
    return (result as {pass?: ContractPassReport | null}).pass?.failed.length ?? 0
  }

  async run(): Promise<{contracts: ContractEntry[]; pass: ContractPassReport | null}> {
    const {flags} = await this.parse(Contracts)
    const {ctx, loaded} = await this.context(flags.config, flags.check ? ['melon.token', 'immotop.password'] : [])
    const {config} = loaded
    let pass: ContractPassReport | null = null
    if (flags.check) {
      const closing = contractOptions(config.sync)
      if (!closing) throw new UsageError('CONTRACTS_OFF', 'sync.onContract is off: contracts are not watched.', 'Set sync.onContract to rented or withdraw in the config.')
      this.activity = 'checking contracts'
      const spinner = await this.ui.spinner('Checking Immotop 2 for contracts')
      try {
        pass = await checkContractsNow({melon: await ctx.melon(), immotop: await ctx.immotop()}, config.stateDir, closing)
      } finally {
        spinner.stop()
      }
    }
    const contracts: ContractEntry[] = listContracts(ctx.ledger(), {tenant: flags.tenant, state: flags.state as WatchState | undefined})
    await this.show(contracts, pass)
    return {contracts, pass}
  }

  private async show(contracts: ContractEntry[], pass: ContractPassReport | null): Promise<void> {
    if (pass) for (const f of pass.failed) this.ui.warn(`${f.tenantId}: ${f.message}`)
    if (contracts.length === 0) return this.ui.note('No handover waits for a contract yet (watching begins once Immotop 2 picked the dossier up).')
    await this.ui.table(
      ['tenant', 'unit', 'state', 'tenancy', 'detail'],
      contracts.map((c) => [
        c.tenantId,
        c.unit,
        c.state,
        c.tenancy ? `${c.tenancy.ref} from ${c.tenancy.from}${c.tenancy.settledBy === 'operator' ? ' (confirmed)' : ''}` : c.candidates.length ? `candidates ${c.candidates.map((x) => `${x.ref} (${x.from})`).join(', ')}` : '–',
        c.lastError ? `last error: ${c.lastError.message}` : c.state === 'closed' ? `listing ${c.listing}` : (c.reason ?? `handed over ${c.handedOverAt.slice(0, 10)}`),
      ]),
    )
    const open = contracts.filter((c) => c.state === 'ambiguous' || c.state === 'unmatched')
    if (open.length > 0) this.ui.note(`Settle ${open.length === 1 ? 'it' : 'them'} with: melon-immotop contracts confirm <tenant> --tenancy <ref>`)
  }
}
