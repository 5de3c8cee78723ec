/**
 * How a table is laid out for where it goes: plain tab-separated lines when
 * stdout is not a terminal (for cut, awk, spreadsheets), and on a terminal
 * columns that fit its width (the widest columns give way first and wrap).
 */

/** One TSV line: tabs and line breaks inside a cell become spaces, so every row stays one line. */
export function tsvLine(cells: string[]): string {
  return cells.map((c) => c.replace(/[\t\r\n]+/g, ' ')).join('\t')
}

/** Visible width of a cell (the longest of its lines; colour codes do not count). */
function visibleWidth(text: string): number {
  return Math.max(0, ...text.replace(/\u001b\[[0-9;]*m/g, '').split('\n').map((l) => [...l].length))
}

/** Narrowest a column may become (content plus one space each side). */
const MIN_COLUMN = 8

/**
 * Column widths (including cli-table3's one-space padding each side) whose
 * total, with the borders, fits `columns`; null when the natural widths fit
 * already. Shrinks the widest column one step at a time, never below
 * MIN_COLUMN (a table that cannot fit then overflows rather than shredding).
 */
export function fitColumns(rows: string[][], columns: number): number[] | null {
  const count = Math.max(0, ...rows.map((r) => r.length))
  const widths = Array.from({length: count}, (_, i) => Math.max(0, ...rows.map((r) => visibleWidth(r[i] ?? ''))) + 2)
  const borders = count + 1
  const total = () => widths.reduce((a, b) => a + b, 0) + borders
  if (total() <= columns) return null
  while (total() > columns) {
    const widest = widths.indexOf(Math.max(...widths))
    if (widths[widest]! <= MIN_COLUMN) break
    widths[widest] = widths[widest]! - 1
  }
  return widths
}
