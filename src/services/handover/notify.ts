/**
 * picked_up → notifying → notified: one mail to the contract staff, sent once
 * the dossier is in Immotop 2. The intent is recorded first: a crash between
 * the server's acceptance and the record resends with the same Message-ID.
 */
import {formatAddress} from '../../core/swiss-address.js'
import {notificationFor} from '../../core/notification.js'
import {toAppError} from '../../errors.js'
import type {HandoverStep} from '../../state/ledger.js'
import {checkpoint, type StepContext} from './context.js'

export async function notifyStep(ctx: StepContext, step: HandoverStep): Promise<void> {
  const {plan, ledger, tenant} = {...ctx, tenant: ctx.plan.tenant}
  checkpoint(ctx, step)
  ctx.progress('notifying contract staff')
  if (step !== 'notifying') ledger.advance(plan.opKey, 'notifying')
  const ids = ledger.files(plan.opKey).flatMap((f) => (f.immotop_document_id ? [f.immotop_document_id] : []))
  try {
    await ctx.mailer!.send(
      notificationFor({
        handoverId: plan.id,
        tenantId: tenant.id,
        names: plan.record.persons.map((person) => `${person.firstName} ${person.surname}`),
        unitReference: plan.record.unit.reference,
        unitTitle: plan.record.unit.title,
        unitAddress: tenant.object_address
          ? formatAddress({street: tenant.object_address.street, houseNumber: tenant.object_address.house_number, postalCode: tenant.object_address.postal_code, city: tenant.object_address.city})
          : null,
        requestedMoveInDate: plan.record.requestedMoveInDate,
        documents: plan.files.length,
        immotopDocumentIds: ids,
      }),
    )
  } catch (error) {
    const app = toAppError(error)
    ledger.fail(plan.opKey, app.code, app.message, 'picked_up')
    throw app
  }
  ledger.advance(plan.opKey, 'notified', 'done')
}
