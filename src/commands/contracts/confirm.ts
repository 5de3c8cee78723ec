import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../cli/base-command.js'
import {assertSafeId} from '../../core/unit-ref.js'
import {UsageError} from '../../errors.js'
import {confirmAndFinish, contractOptions} from '../../services/contracts.js'

export default class ContractsConfirm extends BaseCommand {
  static override summary = 'Settle an ambiguous or unmatched contract by hand: this tenancy in Immotop 2 is the tenant\'s contract.'
  static override description =
    'Checks that the tenancy is a Mieter tenancy of the unit the tenant was handed over for, records the choice, then tells melon and handles the listing at once (or, while a sync runs, lets that sync do it on its next pass). A contract already reported to melon cannot be swapped here.'
  static override examples = ['<%= config.bin %> contracts confirm T-1002 --tenancy 5012', '<%= config.bin %> contracts confirm T-1002 --tenancy 5012 --json']
  static override args = {
    tenant: Args.string({description: 'melon tenant id, as `contracts` shows it.', required: true}),
  }
  static override flags = {
    tenancy: Flags.string({description: "Immotop 2's tenancy reference (v_DmsVerhaeltnis s_seqnr), from the candidates `contracts` lists.", required: true}),
  }

  async run() {
    const {args, flags} = await this.parse(ContractsConfirm)
    const tenantId = assertSafeId('tenant', args.tenant)
    if (!/^\d{1,19}$/.test(flags.tenancy)) throw new UsageError('USAGE', `--tenancy "${flags.tenancy}" is not a tenancy reference.`, 'Use the number `melon-immotop contracts` lists as a candidate (s_seqnr of v_DmsVerhaeltnis).')
    const {ctx, loaded} = await this.context(flags.config, ['melon.token', 'immotop.password'])
    const {config} = loaded
    const closing = contractOptions(config.sync)
    if (!closing) throw new UsageError('CONTRACTS_OFF', 'sync.onContract is off: contracts are not watched.', 'Set sync.onContract to rented or withdraw in the config.')
    this.activity = 'confirming the contract'
    const result = await confirmAndFinish(
      {melon: await ctx.melon(), immotop: await ctx.immotop()},
      config.stateDir,
      tenantId,
      flags.tenancy,
      closing,
    )
    const c = this.ui.color
    this.ui.out(`${c.green('✔')} Tenant ${tenantId}: tenancy ${flags.tenancy} is the contract.`)
    if (result.finishedNow) this.ui.out(`  melon shows the tenant with contract; listing ${result.contract.listing}.`)
    else this.ui.out(`  The running sync (pid ${result.heldBy}) tells melon on its next pass.`)
    return result
  }
}
