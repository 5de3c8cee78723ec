/**
 * fetched → delivered: each file into staging folder 2, documents first and
 * the tenant record last. What is already there, picked up, or recorded as
 * moved in is not written again; a file that Immotop 2 refused is delivered
 * anew (fetched first if the spool lacks it). Then the spool goes.
 */
import {isRefusal} from '../../adapters/staging-dir.js'
import {checkpoint, type StepContext} from './context.js'
import {fetchFile} from './fetch.js'
import type {PlannedFile} from './plan.js'

export async function deliverStep(ctx: StepContext): Promise<void> {
  const {plan, spool, ledger, staging} = ctx
  ctx.progress('delivering into the Immotop 2 staging folder')
  checkpoint(ctx, 'fetched')
  const rows = new Map(ledger.files(plan.opKey).map((f) => [f.file_name, f]))
  const answers = await staging.answers()
  const placed: PlannedFile[] = []
  for (const file of plan.files) {
    const refused = isRefusal(answers.get(file.dmsDocumentId))
    const moved = Boolean(rows.get(file.fileName)?.control_moved_at) && !refused
    // Fetch verified the hash; delivery hashes again on the way, so size is enough here.
    if (!moved && !(await spool.present(file.fileName, file.size))) await fetchFile(ctx, file)
    const outcome = await staging.deliver(spool.path(file.fileName), file, {signal: ctx.signal, answers, controlMoved: moved, defer: true})
    if (outcome === 'placed') placed.push(file)
  }
  // Every document is in folder 2, its control file ready beside it. The intents of all moves in one commit,
  // then the moves: a resumed run never writes these control files again, it only moves in what still waits.
  if (placed.length > 0) {
    ledger.transaction(() => {
      for (const file of placed) ledger.markControlMoving(plan.opKey, file.fileName)
    })
    await staging.moveControls(placed)
  }
  // One commit for the step. A crash before it loses nothing: the next run finds the files in place (their
  // control moves are recorded above, as intents) and writes none of them again.
  ledger.transaction(() => {
    for (const file of plan.files) ledger.markDelivered(plan.opKey, file.fileName)
    ledger.advance(plan.opKey, 'delivered')
  })
  await spool.remove()
}
