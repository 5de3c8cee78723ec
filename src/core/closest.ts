/**
 * "Did you mean": the closest of a few known words (config keys, command
 * names), or none when nothing is close. Pure.
 */

/** A candidate that the word extends or shortens, else the nearest by edit distance within a third of its length (at least 2). */
export function closest(word: string, candidates: string[]): string | undefined {
  const lower = word.toLowerCase()
  // A key that extends or shortens a known one (ackDirectory, incoming) is a strong hint.
  const prefix = candidates.find((c) => c.length >= 3 && (lower.startsWith(c.toLowerCase()) || c.toLowerCase().startsWith(lower)) && lower.length >= 3)
  if (prefix) return prefix
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = levenshtein(word.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      bestDistance = d
      best = candidate
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}
