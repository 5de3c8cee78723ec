import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../cli/base-command.js'
import {isManagedBy} from '../core/listing.js'
import {ConflictError, NotFoundError} from '../errors.js'

export default class Unpublish extends BaseCommand {
  static override summary = 'Withdraw a listing from melon.'
  static override description = 'Withdraws the listing with this reference. Listings that melon-immotop did not create are left alone unless --force.'
  static override examples = ['<%= config.bin %> unpublish 1.10001.1012', '<%= config.bin %> unpublish 134.13401.134011402 --json']
  static override args = {
    reference: Args.string({description: 'The listing\'s reference number (the unit reference).', required: true}),
  }
  static override flags = {
    force: Flags.boolean({description: 'Also withdraw a listing that melon-immotop did not create.'}),
    'dry-run': Flags.boolean({description: 'Say what would be withdrawn, without withdrawing.'}),
  }

  async run(): Promise<{reference: string; action: 'withdrawn' | 'dry-run'}> {
    const {args, flags} = await this.parse(Unpublish)
    const {ctx} = await this.context(flags.config, ['melon.token'])
    const melon = await ctx.melon()
    this.activity = `withdrawing ${args.reference}`
    const listing = await melon.getListing(args.reference)
    if (!listing) throw new NotFoundError('LISTING_NOT_FOUND', `melon has no listing ${args.reference}.`, 'Check the reference; `melon-immotop publish --all --dry-run` lists the references of the source.')
    if (!isManagedBy(listing) && !flags.force) {
      throw new ConflictError('NOT_MANAGED', `Listing ${args.reference} was not created by melon-immotop (managed_by: ${listing.managed_by ?? 'none'}).`, 'Withdraw it in melon, or pass --force if you really mean it.')
    }
    if (flags['dry-run']) {
      this.ui.out(`Dry run: ${args.reference} (${listing.title}) would be withdrawn.`)
      return {reference: args.reference, action: 'dry-run'}
    }
    await melon.deleteListing(args.reference)
    this.ui.out(`${this.ui.color.yellow('withdrawn')} ${this.ui.color.bold(args.reference)}  ${listing.title}`)
    return {reference: args.reference, action: 'withdrawn'}
  }
}
