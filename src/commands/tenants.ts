import * as Flags from '@oclif/core/flags'
import {formatAddress} from '../core/swiss-address.js'
import {BaseCommand} from '../cli/base-command.js'
import {ContractStatusSchema, type Tenant} from '../wire/melon-wire.js'

export default class Tenants extends BaseCommand {
  static override summary = 'List melon tenants without contract ("Mieter ohne Vertrag").'
  static override description =
    'Lists the tenants in melon\'s tab "Mieter ohne Vertrag" by default. --status selects another tab. --json prints the full records (persons, unit, rent, document list) but never document contents.'
  static override examples = ['<%= config.bin %> tenants', '<%= config.bin %> tenants --status with_contract', '<%= config.bin %> tenants --json']
  static override flags = {
    status: Flags.string({description: 'Contract status to list.', options: ContractStatusSchema.options, default: 'without_contract'}),
  }

  async run(): Promise<{status: string; count: number; tenants: Tenant[]}> {
    const {flags} = await this.parse(Tenants)
    const {ctx} = await this.context(flags.config, ['melon.token'])
    const status = ContractStatusSchema.parse(flags.status)
    const spinner = await this.ui.spinner('Reading tenants from melon')
    this.activity = 'reading tenants'
    let tenants: Tenant[]
    try {
      tenants = await (await ctx.melon()).listTenants(status)
    } finally {
      spinner.stop()
    }
    if (tenants.length === 0) {
      this.ui.note(`No tenants with status ${status}.`)
    } else {
      await this.ui.table(
        ['id', 'names', 'unit', 'address', 'move-in', 'assigned'],
        tenants.map((t) => [
          t.id,
          t.persons.map((p) => `${p.first_name} ${p.surname}`).join(', '),
          t.object_reference_number,
          t.object_address ? formatAddress({street: t.object_address.street, houseNumber: t.object_address.house_number, postalCode: t.object_address.postal_code, city: t.object_address.city}) : '–',
          t.requested_move_in_date ?? '–',
          t.assigned_at.slice(0, 10),
        ]),
      )
      this.ui.note(this.ui.color.dim(`${tenants.length} tenant(s) with status ${status}.`))
    }
    return {status, count: tenants.length, tenants}
  }
}
