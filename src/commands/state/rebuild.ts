import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../cli/base-command.js'
import {rebuildLedger, type RebuildResult} from '../../services/state.js'

export default class StateRebuild extends BaseCommand {
  static override summary = 'Rebuild a lost ledger from what melon and the staging folders show, so that nothing is sent twice.'
  static override description = `For a ledger that is lost or damaged and has no usable backup (see \`state restore\`). Every tenant without contract in melon gets an entry: one whose files still wait in staging folder 2 is "delivered, waiting for pick-up"; one whose answers are in folder 1 is picked up; every other one is taken as handed over, and nothing is resent, except the tenants you name with --not-sent (the next sync hands those over). The damaged ledger is put aside, not deleted.`
  static override examples = ['<%= config.bin %> state rebuild', '<%= config.bin %> state rebuild --not-sent T-1042,T-1043 --json']
  static override flags = {
    'not-sent': Flags.string({description: 'Tenants you know were not handed over (comma-separated): the next sync hands them over.'}),
  }

  async run(): Promise<RebuildResult> {
    const {flags} = await this.parse(StateRebuild)
    const {ctx, loaded} = await this.context(flags.config, ['melon.token'])
    const {config} = loaded
    ctx.lock('Stop it first; a ledger is rebuilt only while nothing uses it.')
    const spinner = await this.ui.spinner('Rebuilding the ledger from melon and the staging folders')
    try {
      const notSent = (flags['not-sent'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)
      const result = await rebuildLedger(config.stateDir, {melon: await ctx.melon(), staging: await ctx.staging()}, {project: config.melon.project, notSent})
      spinner.stop()
      const c = this.ui.color
      this.ui.out(`${c.green('✔')} Ledger rebuilt: ${result.waiting.length} waiting for pick-up, ${result.pickedUp.length} picked up, ${result.assumedDone.length} taken as handed over, ${result.notSent.length} to hand over.`)
      if (result.assumedDone.length > 0) this.ui.out(`  Taken as handed over (nothing resent): ${result.assumedDone.join(', ')}. Check them in Immotop 2; for one that is not there, run \`state rebuild --not-sent <id>\` again and the next sync hands it over.`)
      for (const file of result.setAside) this.ui.out(c.dim(`  kept the damaged ledger as ${file}`))
      return result
    } catch (error) {
      spinner.fail('Rebuild failed')
      throw error
    }
  }
}
