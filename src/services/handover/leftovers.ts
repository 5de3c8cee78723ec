/**
 * Answers in staging folder 1 that a crash left behind: the handover they
 * belong to is done in the ledger, but the run that finished it died before
 * deleting them. They are recorded (Immotop 2's DocumentId, if the ledger
 * lacks it) and removed. So are answers to doctor's probes. Answers of
 * handovers still in progress, and files that are not ours, stay.
 */
import type {StagingDirectory} from '../../adapters/staging-dir.js'
import type {Ledger} from '../../state/ledger.js'

/** `mi-T-1001-65779c4929db-03` → the handover `mi-T-1001-65779c4929db` and position 3. */
const OUR_ID = /^(mi-[A-Za-z0-9_-]+-[0-9a-f]{12})-(\d{2})$/

export async function sweepAnswers(staging: StagingDirectory, ledger: Ledger): Promise<number> {
  const answers = await staging.answers()
  const remove: string[] = []
  for (const [dmsDocumentId, answer] of answers) {
    if (dmsDocumentId.startsWith('melon-immotop-doctor-')) {
      remove.push(answer.name)
      continue
    }
    const match = OUR_ID.exec(dmsDocumentId)
    if (!match) continue
    const op = ledger.byHandoverId(match[1]!)
    if (!op || op.status !== 'done') continue
    const position = match[2]!
    const file = ledger.files(op.op_key).find((f) => f.file_name.startsWith(`${op.handover_id}_${position}_`))
    if (file && !answer.control.fehlerText && answer.control.documentId) ledger.recordPickup(op.op_key, file.file_name, answer.control.documentId)
    remove.push(answer.name)
  }
  await staging.removeAnswers(remove)
  return remove.length
}
