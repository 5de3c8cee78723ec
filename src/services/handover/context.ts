/** What every step of a handover works with. */
import type {Mailer} from '../../adapters/mailer.js'
import type {MelonClient} from '../../adapters/melon-client.js'
import type {StagingDirectory} from '../../adapters/staging-dir.js'
import {UnavailableError} from '../../errors.js'
import {HANDOVER_STEPS, type HandoverStep, type Ledger} from '../../state/ledger.js'
import type {Plan} from './plan.js'
import type {Spool} from './spool.js'

export interface HandoverDeps {
  melon: MelonClient
  staging: StagingDirectory
  ledger: Ledger
  mailer?: Mailer | null
}

export interface StepContext extends HandoverDeps {
  plan: Plan
  spool: Spool
  signal?: AbortSignal
  progress: (step: string) => void
}

export const stepIndex = (step: HandoverStep) => HANDOVER_STEPS.indexOf(step)

/** Between steps: once aborted, abandon safely instead of starting the next one. */
export function checkpoint(ctx: StepContext, step: HandoverStep): void {
  if (ctx.signal?.aborted) {
    throw new UnavailableError('ABANDONED', `The handover of tenant ${ctx.plan.tenant.id} was stopped at step ${step}; the next run resumes it.`, 'Run sync or export-tenant again.')
  }
}
