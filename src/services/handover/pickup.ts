/**
 * delivered → picked_up: Immotop 2 removed every file from staging folder 2
 * (W&W's use case 5). A SavedDocument answer, where one comes, adds Immotop
 * 2's DocumentId; a FehlerText sends the refused files back to be delivered
 * anew. After the timeout the handover stays "delivered, waiting for pick-up":
 * later runs check again and never resend.
 */
import {UnavailableError, toAppError} from '../../errors.js'
import type {StepContext} from './context.js'

/** Returns the step reached: picked_up, or notifying when the mail follows (its intent is in the same commit). */
export async function pickupStep(ctx: StepContext, timeoutMs: number, notify: boolean): Promise<'picked_up' | 'notifying'> {
  const {plan, ledger, staging} = ctx
  ctx.progress('waiting for Immotop 2 to pick the files up')
  let state
  try {
    state = await staging.waitForPickup(plan.files, timeoutMs, ctx.signal)
  } catch (error) {
    const app = toAppError(error)
    if (app.code === 'IMMOTOP_REFUSED') {
      const refused = (await staging.pickupState(plan.files)).refused.map((r) => r.fileName)
      ledger.resetDelivery(plan.opKey, refused)
      ledger.fail(plan.opKey, app.code, app.message, 'started')
    }
    throw app
  }
  const recordPickups = () => {
    for (const file of state.pickedUp) ledger.recordPickup(plan.opKey, file.fileName, file.documentId)
  }
  if (state.waiting.length > 0) {
    const since = ledger.get(plan.opKey)?.delivered_at ?? null
    ledger.transaction(() => {
      recordPickups()
      ledger.note(plan.opKey, 'waiting_for_pickup', `${state.waiting.length} of ${plan.files.length} files not picked up`)
    })
    throw new UnavailableError(
      'PICKUP_PENDING',
      `Immotop 2 has not picked up ${state.waiting.length} of ${plan.files.length} files of tenant ${plan.tenant.id} (handover ${plan.id}) within ${Math.round(timeoutMs / 1000)} s; they wait in ${staging.whereWaiting}${since ? ` since ${since}` : ''}.`,
      'Ask W&W to check that Immotop 2 imports its staging folder 2 (the DMS import of the Immotop 2 server). Nothing is sent twice: sync and export-tenant check again, and `history` shows the handover as waiting.',
      {details: {handoverId: plan.id, waitingSince: since, waiting: state.waiting.length}},
    )
  }
  // The pick-ups, the step and, where a mail follows, its intent (notifying) in one commit.
  ledger.transaction(() => {
    recordPickups()
    ledger.advance(plan.opKey, 'picked_up', notify ? 'in_progress' : 'done')
    if (notify) ledger.advance(plan.opKey, 'notifying')
  })
  await staging.removeAnswers(state.pickedUp.flatMap((f) => (f.answer ? [f.answer] : [])))
  return notify ? 'notifying' : 'picked_up'
}
