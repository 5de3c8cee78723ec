/**
 * The text of a secrets file (--secrets-file) as Windows editors and shells
 * write it. Pure. UTF-8 with or without a byte-order mark (Notepad, PowerShell
 * 7, `Set-Content -Encoding UTF8`) and UTF-16 with one (what PowerShell 5.1's
 * `>` and `Out-File` write) are read; anything else is refused with its name,
 * never read in part: a BOM left in front of the first name, or UTF-16 read
 * as UTF-8, would silently lose the secrets it holds.
 */
import {isUtf8} from 'node:buffer'

export type SecretsEncoding = 'UTF-8' | 'UTF-8 with BOM' | 'UTF-16 LE' | 'UTF-16 BE'
export type SecretsText = {text: string; encoding: SecretsEncoding} | {problem: string}

export function decodeSecretsFile(bytes: Buffer): SecretsText {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    const rest = bytes.subarray(3)
    return isUtf8(rest) ? {text: rest.toString('utf8'), encoding: 'UTF-8 with BOM'} : {problem: 'marked UTF-8 (BOM) but holds bytes that are not UTF-8'}
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    const little = bytes[0] === 0xff
    const rest = Buffer.from(bytes.subarray(2))
    if (rest.length % 2 !== 0) return {problem: `marked UTF-16 ${little ? 'LE' : 'BE'} (BOM) but cut off in the middle of a character`}
    if (!little) rest.swap16()
    return {text: rest.toString('utf16le'), encoding: little ? 'UTF-16 LE' : 'UTF-16 BE'}
  }
  if (bytes.includes(0)) return {problem: 'UTF-16 or another encoding without a byte-order mark (it holds NUL bytes)'}
  if (!isUtf8(bytes)) return {problem: 'not UTF-8 (Windows-1252 or another code page?)'}
  return {text: bytes.toString('utf8'), encoding: 'UTF-8'}
}
