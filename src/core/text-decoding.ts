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
