/** Decoding of lines from files whose encoding varies line by line (IDX 3.01, dta-mpexp). Pure. */
import {isUtf8} from 'node:buffer'
import iconv from 'iconv-lite'

/**
 * UTF-8 when the bytes are valid UTF-8, otherwise Windows-1252: files that
 * say ISO-8859-1 are written on Windows, where € (0x80) and – (0x96) are
 * Windows-1252 characters, not ISO-8859-1's invisible control codes.
 */
export function decodeLine(bytes: Buffer): {text: string; encoding: 'utf-8' | 'windows-1252'} {
  // Checked first rather than caught: a feed of Windows-1252 lines would otherwise throw once per line.
  if (isUtf8(bytes)) return {text: bytes.toString('utf8'), encoding: 'utf-8'}
  // Windows-1252 is ISO-8859-1 but for 0x80–0x9F: without those bytes, Node's own latin1 decoding is the same text.
  const latin1 = bytes.toString('latin1')
  return {text: /[\x80-\x9f]/.test(latin1) ? iconv.decode(bytes, 'win1252') : latin1, encoding: 'windows-1252'}
}

/** Splits a buffer into lines on LF, dropping a CR before it; a missing final newline is fine. */
export function splitLines(buffer: Buffer): Buffer[] {
  const lines: Buffer[] = []
  let start = 0
  for (let i = 0; i < buffer.length; i++) {
    if (buffer[i] === 0x0a) {
      const end = i > start && buffer[i - 1] === 0x0d ? i - 1 : i
      lines.push(buffer.subarray(start, end))
      start = i + 1
    }
  }
  if (start < buffer.length) {
    const end = buffer[buffer.length - 1] === 0x0d ? buffer.length - 1 : buffer.length
    lines.push(buffer.subarray(start, end))
  }
  return lines
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

/** Portal descriptions: <BR> becomes a line break, <LI> a bullet line, other tags go, their text stays. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/\n?<li[^>]*>/gi, '\n- ')
    .replace(/<\/li>/gi, '')
    .replace(/<\/(p|div|ul|ol)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;|&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
