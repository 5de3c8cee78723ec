/**
 * The run context: what one command works with, built once from its loaded
 * config (in the role of gh's cmdutil.Factory). It makes the clients of
 * melon and Immotop 2, the staging folders and the mailer when first asked
 * for, and owns the ledger's life (opened once, the project checked once,
 * backed up when a handover changed it, closed) and the state folder's sync
 * lock. Commands reach the outside systems and the state only through it;
 * `openLedger` and `stateLock` are the one place the ledger and the lock are
 * made (doctor's read-only probes aside).
 */
import type {ImmotopRestClient} from '../adapters/immotop-rest.js'
import type {Mailer} from '../adapters/mailer.js'
import type {MelonClient} from '../adapters/melon-client.js'
import type {StagingDirectory} from '../adapters/staging-dir.js'
import type {AppConfig} from '../config/schema.js'
import {Ledger} from '../state/ledger.js'
import {StateLock} from '../state/lock.js'
import type {HandoverDeps} from './handover/context.js'

/** The ledger of a state folder (`fresh`: for `state rebuild` only). The one `new Ledger` outside doctor's probes. */
export function openLedger(stateDir: string, options: {fresh?: boolean} = {}): Ledger {
  return new Ledger(stateDir, options)
}

/** The sync lock of a state folder. The one `new StateLock`. */
export function stateLock(stateDir: string): StateLock {
  return new StateLock(stateDir)
}

export class RunContext {
  private made: {melon?: MelonClient; immotop?: ImmotopRestClient; staging?: StagingDirectory; mailer?: Mailer | null; ledger?: Ledger; lock?: StateLock} = {}
  /** The ledger serves handovers of this run: it is backed up at close when they changed it. */
  private backupAtClose = false

  constructor(readonly config: AppConfig) {}

  async melon(): Promise<MelonClient> {
    if (!this.made.melon) {
      const {MelonClient} = await import('../adapters/melon-client.js')
      this.made.melon ??= new MelonClient(this.config.melon)
    }
    return this.made.melon
  }

  async immotop(): Promise<ImmotopRestClient> {
    if (!this.made.immotop) {
      const {ImmotopRestClient} = await import('../adapters/immotop-rest.js')
      this.made.immotop ??= new ImmotopRestClient(this.config.immotop)
    }
    return this.made.immotop
  }

  async staging(): Promise<StagingDirectory> {
    if (!this.made.staging) {
      const {StagingDirectory} = await import('../adapters/staging-dir.js')
      this.made.staging ??= new StagingDirectory(this.config.staging)
    }
    return this.made.staging
  }

  /** The mailer of the contract staff, when notify is configured and `wanted`; null otherwise. */
  async mailer(wanted = true): Promise<Mailer | null> {
    if (this.made.mailer === undefined) {
      const notify = wanted ? this.config.notify : undefined
      const made = notify ? new (await import('../adapters/mailer.js')).Mailer(notify) : null
      this.made.mailer ??= made
    }
    return this.made.mailer
  }

  /** The state folder's ledger, opened once. `forProject`: checked once to serve this melon project (what hands over or watches). */
  ledger(options: {forProject?: boolean} = {}): Ledger {
    const ledger = (this.made.ledger ??= openLedger(this.config.stateDir))
    if (options.forProject) ledger.belongsTo(this.config.melon.project)
    return ledger
  }

  /** Takes the state folder's sync lock (BusyError with `fix` when a sync holds it); released at close. */
  lock(fix: string): StateLock {
    const lock = (this.made.lock ??= stateLock(this.config.stateDir))
    lock.acquireOrBusy(fix)
    return lock
  }

  /**
   * Set-up for handovers outside `sync` (which does the same under its lock):
   * the ledger of this project, both staging folders usable (a share that is
   * not there is a configuration matter, named with its key), and what a
   * killed run left in them swept. The ledger is backed up at close if the
   * handovers changed it.
   */
  async handoverDeps(options: {notify: boolean}): Promise<HandoverDeps> {
    const ledger = this.ledger({forProject: true})
    this.backupAtClose = true
    const staging = await this.staging()
    await staging.assertUsable()
    const {sweepAnswers, sweepTemporary} = await import('./handover/leftovers.js')
    await sweepTemporary(staging, ledger)
    await sweepAnswers(staging, ledger)
    return {melon: await this.melon(), staging, ledger, mailer: await this.mailer(options.notify)}
  }

  /** Backs the ledger up if handovers changed it, closes it and the mailer, releases the lock. Never throws: a failed backup is `warn`ed. */
  async close(warn: (message: string) => void): Promise<void> {
    const {ledger, mailer, lock} = this.made
    this.made = {}
    try {
      if (ledger && this.backupAtClose && ledger.changes() > 0) await ledger.backup().catch((error: Error) => warn(`the ledger backup failed: ${error.message}`))
    } finally {
      ledger?.close()
      mailer?.close()
      lock?.release()
    }
  }
}
