import {Args, Flags} from '@oclif/core'
import {ImmotopRestClient} from '../adapters/immotop-rest.js'
import {MelonClient} from '../adapters/melon-client.js'
import {BaseCommand} from '../cli/base-command.js'
import {publishUnit, type PublishResult} from '../services/publish.js'

export default class Publish extends BaseCommand {
  static override summary = 'Publish a vacant unit from Immotop 2 to melon as a listing.'
  static override description =
    'Reads the unit from Immotop 2\'s REST views, checks that it is vacant (no current or future tenancy, or a tenancy that ends without successor), maps it to a melon listing and creates or updates it. The unit reference is the key: publishing again updates, never duplicates, and an unchanged listing is not written.'
  static override examples = [
    '<%= config.bin %> publish 1.10001.1012',
    '<%= config.bin %> publish 10001.1012 --dry-run',
    '<%= config.bin %> publish 1.10001.1012 --json',
  ]
  static override args = {
    unit: Args.string({description: 'Unit reference <mandant>.<liegenschaft>.<objekt> (the mandant may be left out).', required: true}),
  }
  static override flags = {
    'dry-run': Flags.boolean({description: 'Show the listing that would be sent, without sending it.'}),
  }

  async run(): Promise<PublishResult> {
    const {args, flags} = await this.parse(Publish)
    const {config} = await this.loadConfig(flags.config, flags['dry-run'] ? ['immotop.password'] : ['immotop.password', 'melon.token'])
    const spinner = await this.ui.spinner(`Publishing ${args.unit}`)
    this.activity = `publishing ${args.unit}`
    try {
      const result = await publishUnit(
        {immotop: new ImmotopRestClient(config.immotop), melon: new MelonClient(config.melon)},
        args.unit,
        {defaultMandant: config.immotop.mandant, dryRun: flags['dry-run']},
      )
      spinner.stop()
      const c = this.ui.color
      if (result.action === 'dry-run') {
        this.ui.out(c.bold(`Dry run: listing ${result.reference} would be sent to melon:`))
        this.ui.out(JSON.stringify(result.listing, null, 2))
      } else {
        const verb = {created: c.green('created'), updated: c.green('updated'), unchanged: c.dim('unchanged')}[result.action]
        const l = result.listing
        this.ui.out(`${c.bold(result.reference)} ${verb} in melon: ${l.title}, ${l.rooms ?? '–'} rooms, CHF ${l.rentalgross}/month, free ${l.move_in_date ?? 'immediately'}`)
        if (result.action === 'updated') this.ui.out(c.dim(`changed: ${result.changedFields.join(', ')}`))
      }
      return result
    } catch (error) {
      spinner.fail(`Publishing ${args.unit} failed`)
      throw error
    }
  }
}
