import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../cli/base-command.js'
import {restoreLedger, type RestoreResult} from '../../services/state.js'
import {StateLock} from '../../state/lock.js'

export default class StateRestore extends BaseCommand {
  static override summary = 'Restore the ledger from a backup, after it was lost or damaged.'
  static override description = `The ledger (stateDir/ledger.sqlite) records every handover, so that nothing is sent twice. It is backed up after every sync pass and export that changed it (stateDir/backups/, the newest 5). This command checks a backup (the newest, or --from), puts the damaged ledger aside (ledger.sqlite.damaged-…, kept), and moves the copy into place. Handovers after the backup are not in it: sync reconciles them with the staging folders, and a tenant handed over after the backup may be handed over again; \`state rebuild\` avoids that.`
  static override examples = ['<%= config.bin %> state restore', '<%= config.bin %> state restore --from /srv/melon-immotop/state/backups/ledger-20261127T011500123Z.sqlite']
  static override flags = {
    from: Flags.string({description: 'The backup file to restore (default: the newest in stateDir/backups).'}),
  }

  async run(): Promise<RestoreResult> {
    const {flags} = await this.parse(StateRestore)
    const {config} = await this.loadConfig(flags.config, [])
    const lock = new StateLock(config.stateDir)
    lock.acquireOrBusy('Stop it first; a ledger is restored only while nothing uses it.')
    try {
      const result = await restoreLedger(config.stateDir, flags.from)
      this.ui.out(`${this.ui.color.green('✔')} Restored ${result.operations} handover(s) from ${result.restoredFrom}.`)
      for (const file of result.setAside) this.ui.out(this.ui.color.dim(`  kept the damaged ledger as ${file}`))
      return result
    } finally {
      lock.release()
    }
  }
}
