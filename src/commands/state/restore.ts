import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../cli/base-command.js'
import {restoreLedger, type RestoreResult} from '../../services/state.js'

export default class StateRestore extends BaseCommand {
  static override summary = 'Restore the ledger from a backup, after it was lost or damaged.'
  static override description = `The ledger (stateDir/ledger.sqlite) records every handover, so that nothing is sent twice. It is backed up after every sync pass and export that changed it (stateDir/backups/, the newest 5). This command checks a backup (the newest, or --from), and, before anything changes, reads melon's tenants without contract: those this installation marked as handed over by it after the backup are judged from the staging folders, as \`state rebuild\` judges them (waiting, picked up, or taken as handed over; never resent unless named with --not-sent). Then the damaged ledger is put aside (ledger.sqlite.damaged-…, kept) and the copy moved into place with those handovers added. A sound ledger is not replaced without --force.`
  static override examples = [
    '<%= config.bin %> state restore',
    '<%= config.bin %> state restore --from /srv/melon-immotop/state/backups/ledger-20261127T011500123Z.sqlite',
    '<%= config.bin %> state restore --not-sent T-1042',
  ]
  static override flags = {
    from: Flags.string({description: 'The backup file to restore (default: the newest in stateDir/backups).'}),
    force: Flags.boolean({description: 'Replace a sound ledger too (it is kept as ledger.sqlite.replaced-…).'}),
    'not-sent': Flags.string({description: 'Tenants marked after the backup that you know were not handed over (comma-separated): the next sync hands them over.'}),
  }

  async run(): Promise<RestoreResult> {
    const {flags} = await this.parse(StateRestore)
    const {ctx, loaded} = await this.context(flags.config, ['melon.token'])
    const {config} = loaded
    ctx.lock('Stop it first; a ledger is restored only while nothing uses it.')
    const spinner = await this.ui.spinner('Restoring the ledger; checking melon and the staging folders for what came after the backup')
    try {
      const notSent = (flags['not-sent'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)
      const result = await restoreLedger(
        config.stateDir,
        {melon: await ctx.melon(), staging: await ctx.staging()},
        {project: config.melon.project, from: flags.from, force: flags.force, notSent},
      )
      spinner.stop()
      const c = this.ui.color
      const after = result.afterBackup
      this.ui.out(`${c.green('✔')} Restored ${result.operations} handover(s) from ${result.restoredFrom}.`)
      const later = after.waiting.length + after.pickedUp.length + after.assumedDone.length
      if (later > 0) this.ui.out(`  Handed over after the backup (melon's markers), added: ${after.waiting.length} waiting for pick-up, ${after.pickedUp.length} picked up, ${after.assumedDone.length} taken as handed over.`)
      if (after.assumedDone.length > 0) this.ui.out(`  Taken as handed over (nothing resent): ${after.assumedDone.join(', ')}. Check them in Immotop 2; for one that is not there, run \`state restore --force --not-sent <id>\` and the next sync hands it over.`)
      for (const file of result.setAside) this.ui.out(c.dim(`  kept the former ledger as ${file}`))
      return result
    } catch (error) {
      spinner.fail('Restore failed')
      throw error
    }
  }
}
