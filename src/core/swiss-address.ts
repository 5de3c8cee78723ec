/** Pure helpers for Swiss address and floor notation. */

/** "Bahnhofstrasse 12a" → {street: "Bahnhofstrasse", houseNumber: "12a"}. */
export function splitStreet(text: string): {street: string; houseNumber: string | null} {
  const trimmed = text.trim().replace(/\s+/g, ' ')
  const match = /^(.*\S)\s+(\d+[a-zA-Z]?(?:[-/]\d+[a-zA-Z]?)?)$/.exec(trimmed)
  if (!match) return {street: trimmed, houseNumber: null}
  return {street: match[1]!, houseNumber: match[2]!}
}

/** "8001 Zürich" → {postalCode: "8001", city: "Zürich"}; "CH-3011 Bern" works too. */
export function splitPostalCity(text: string): {postalCode: string; city: string} {
  const trimmed = text.trim().replace(/\s+/g, ' ')
  const match = /^(?:[A-Z]{2}-)?(\d{4,5})\s+(.+)$/.exec(trimmed)
  if (!match) return {postalCode: '', city: trimmed}
  return {postalCode: match[1]!, city: match[2]!}
}

/**
 * W&W's level numbering (dta-mpexp unit_level): 0 ground floor, 99 roof,
 * -1 first basement, n > 0 the n-th upper floor.
 */
export function floorFromLevel(level: number | null | undefined): {label: string | null; num: number | null} {
  if (level === null || level === undefined) return {label: null, num: null}
  if (level === 0) return {label: 'Erdgeschoss', num: 0}
  if (level === 99) return {label: 'Dachgeschoss', num: null}
  if (level < 0) return {label: `${-level}. Untergeschoss`, num: level}
  return {label: `${level}. Obergeschoss`, num: level}
}

/** .NET date "2024-04-01T00:00:00" → "2024-04-01". */
export function isoDay(value: string | null | undefined): string | null {
  if (!value) return null
  return value.slice(0, 10)
}

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}

/** "Seestrasse 112, 8800 Thalwil"; without a house number "Bahnhofplatz, 3011 Bern". */
export function formatAddress(address: {street: string; houseNumber: string | null; postalCode: string; city: string}): string {
  const street = [address.street, address.houseNumber].filter(Boolean).join(' ')
  const place = [address.postalCode, address.city].filter(Boolean).join(' ')
  return [street, place].filter(Boolean).join(', ')
}
