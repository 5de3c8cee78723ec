/** The calendar day in Switzerland. Pure: the moment is passed in. */

/** Today in Switzerland (Europe/Zurich), as YYYY-MM-DD: just after midnight it is already tomorrow there, while UTC says yesterday. */
export function swissToday(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', {timeZone: 'Europe/Zurich', year: 'numeric', month: '2-digit', day: '2-digit'}).format(now)
}
