/**
 * What a crash left behind in the staging folders. Answers in staging folder
 * 1: the handover they belong to is done in the ledger, but the run that
 * finished it died before deleting them. They are recorded (Immotop 2's
 * DocumentId, if the ledger lacks it) and removed. So are answers to
 * doctor's probes. Answers of handovers still in progress, and files that are
 * not ours, stay. Partial files in the private temporary folder of folder 2.
 */
import type {StagingDirectory} from '../../adapters/staging-dir.js'
import {controlFileName} from '../../core/handover.js'
import type {Ledger} from '../../state/ledger.js'

/**
 * Removes what a killed run left in the private temporary folder (older than
 * 15 minutes), except the control files whose move the ledger records as
 * intended: the resumed handover moves those in, and never writes them anew
 * (Immotop 2 may have begun to take that document), so removing one would
 * leave its document in folder 2 without a control file, never picked up.
 */
export function sweepTemporary(staging: StagingDirectory, ledger: Ledger): Promise<number> {
  const intended = new Set(ledger.controlMovesPending().map((fileName) => controlFileName(fileName)))
  return staging.sweepTemporary(undefined, (name) => intended.has(name))
}

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
