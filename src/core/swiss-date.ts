/** Swiss calendar days: today there, and dates written DD.MM.YYYY. Pure: the moment is passed in. */

// Built once: a formatter for a time zone costs more to build (ICU) than a thousand uses of it.
let zurichDay: Intl.DateTimeFormat | undefined
let zurichMoment: Intl.DateTimeFormat | undefined

/** Today in Switzerland (Europe/Zurich), as YYYY-MM-DD: just after midnight it is already tomorrow there, while UTC says yesterday. */
export function swissToday(now: Date): string {
  zurichDay ??= new Intl.DateTimeFormat('en-CA', {timeZone: 'Europe/Zurich', year: 'numeric', month: '2-digit', day: '2-digit'})
  return zurichDay.format(now)
}

/**
 * The wall-clock time in Switzerland as YYYY-MM-DDTHH:MM:SS, without a zone:
 * the form of Immotop 2's `insts`/`updts` (W&W's .NET timestamps are local).
 */
export function swissLocalTimestamp(moment: Date): string {
  zurichMoment ??= new Intl.DateTimeFormat('en-CA', {timeZone: 'Europe/Zurich', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'})
  const parts = Object.fromEntries(zurichMoment.formatToParts(moment).map((p) => [p.type, p.value]))
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`
}

/** DD.MM.YYYY (optionally with a time) → YYYY-MM-DD; null for empty; throws for anything else. */
export function swissDate(value: string): string | null {
  const v = value.trim()
  if (v === '') return null
  const m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$/.exec(v)
  if (!m) throw new Error(`"${v}" is not a date DD.MM.YYYY`)
  const [day, month, year] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new Error(`"${v}" is not a valid date`)
  return `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}
