/** The calendar day in Switzerland. Pure: the moment is passed in. */

/** Today in Switzerland (Europe/Zurich), as YYYY-MM-DD: just after midnight it is already tomorrow there, while UTC says yesterday. */
export function swissToday(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', {timeZone: 'Europe/Zurich', year: 'numeric', month: '2-digit', day: '2-digit'}).format(now)
}

/**
 * The wall-clock time in Switzerland as YYYY-MM-DDTHH:MM:SS, without a zone:
 * the form of Immotop 2's `insts`/`updts` (W&W's .NET timestamps are local).
 */
export function swissLocalTimestamp(moment: Date): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {timeZone: 'Europe/Zurich', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'})
      .formatToParts(moment)
      .map((p) => [p.type, p.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`
}
