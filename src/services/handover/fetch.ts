/**
 * started → fetched: every file that still has to go to Immotop 2 is in the
 * spool, size and SHA-256 checked: documents streamed from melon, the tenant
 * record written. Files whose control file was already moved in (an earlier
 * attempt) are not fetched again; the deliver step fetches on demand what a
 * refusal sends back.
 */
import type {PlannedFile} from './plan.js'
import {checkpoint, type StepContext} from './context.js'

export async function fetchStep(ctx: StepContext): Promise<void> {
  const {plan, spool, ledger} = ctx
  const moved = new Set(ledger.files(plan.opKey).filter((f) => f.control_moved_at).map((f) => f.file_name))
  await spool.open()
  for (const file of plan.files) {
    checkpoint(ctx, 'started')
    if (moved.has(file.fileName) || (await spool.holds(file.fileName, file.size, file.sha256))) continue
    await fetchFile(ctx, file)
  }
  ledger.advance(plan.opKey, 'fetched')
}

/** One file into the spool: a document streamed from melon (size and SHA-256 checked on the way), or the tenant record. */
export async function fetchFile(ctx: StepContext, file: PlannedFile): Promise<void> {
  const {plan, spool} = ctx
  await spool.open()
  if (file.documentIndex === null) return spool.write(file.fileName, plan.recordBytes)
  ctx.progress(`downloading document ${file.documentIndex + 1} of ${plan.tenant.documents.length} (${file.kind})`)
  await ctx.melon.downloadDocument(plan.tenant.id, plan.tenant.documents[file.documentIndex]!, spool.path(file.fileName))
  spool.added(file.fileName)
}
