/**
 * The mail to contract staff ("Zuweisung freigeben"): a new tenant without
 * contract is ready in Immotop 2. It carries the names, the unit, the move-in
 * date and the unit reference; never dossier content, never attachments. Pure.
 */
export interface NotificationInput {
  handoverId: string
  tenantId: string
  names: string[]
  unitReference: string
  unitTitle: string | null
  unitAddress: string | null
  requestedMoveInDate: string | null
  /** Files handed over (documents and tenant record). */
  documents: number
  /** Immotop 2's DocumentIds, where it answered with them. */
  immotopDocumentIds: string[]
}

export interface Notification {
  messageId: string
  subject: string
  text: string
}

const chDate = (iso: string) => `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`

export function notificationFor(input: NotificationInput, domain = 'melon-immotop.invalid'): Notification {
  const names = input.names.join(', ')
  const unit = input.unitTitle ? `${input.unitTitle} (${input.unitReference})` : input.unitReference
  const lines = [
    'Guten Tag',
    '',
    'Ein neuer Mieter ohne Vertrag ist in Immotop 2 für die Vertragserstellung bereit.',
    '',
    `Mieter:              ${names}`,
    `Objekt:              ${unit}`,
    ...(input.unitAddress ? [`Adresse:             ${input.unitAddress}`] : []),
    `Gewünschter Beginn:  ${input.requestedMoveInDate ? chDate(input.requestedMoveInDate) : 'nicht angegeben'}`,
    `Objektreferenz:      ${input.unitReference}`,
    '',
    `Das Dossier liegt in Immotop 2: Immotop 2 hat alle ${input.documents} Dateien übernommen (Übergabe ${input.handoverId}${input.immotopDocumentIds.length ? `, Dokument-IDs ${input.immotopDocumentIds.join(', ')}` : ''}).`,
    'Die Dokumente sind in Immotop 2 noch zu indexieren (Dokumentart, Objekt, Mieter); die Datei "Mieterdaten.json" beschreibt jedes.',
    '',
    '-- ',
    `melon-immotop, melon-Mieter ${input.tenantId}`,
  ]
  return {
    // The same handover always has the same Message-ID, so a mail resent after a crash is recognisable as the same.
    messageId: `<${input.handoverId}.notify@${domain}>`,
    subject: `Neuer Mieter ohne Vertrag: ${names}, ${input.unitReference}`,
    text: lines.join('\n') + '\n',
  }
}
