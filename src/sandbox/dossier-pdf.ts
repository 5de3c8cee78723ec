/**
 * Generated dossier documents for the sandbox: real PDFs made with pdf-lib,
 * written to disk with mode 0600 and hashed while written. A requested size is
 * reached by appending PDF comment lines after the document, streamed, so that
 * a multi-gigabyte test dossier never sits in memory.
 */
import {createHash} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {Readable, Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {PDFDocument, StandardFonts} from 'pdf-lib'

export async function makePdf(title: string, lines: string[]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create()
  pdf.setTitle(title)
  pdf.setProducer('melon-immotop sandbox')
  pdf.setCreationDate(new Date('2026-01-01T00:00:00Z'))
  pdf.setModificationDate(new Date('2026-01-01T00:00:00Z'))
  const font = await pdf.embedFont(StandardFonts.Helvetica)
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold)
  let page = pdf.addPage([595, 842])
  page.drawText(title, {x: 50, y: 790, size: 18, font: bold})
  let y = 760
  for (const line of lines) {
    if (y < 60) {
      page = pdf.addPage([595, 842])
      y = 790
    }
    page.drawText(line, {x: 50, y, size: 11, font})
    y -= 16
  }
  return pdf.save({useObjectStreams: false})
}

/** Writes `pdf` to `path`, padded to `targetSize` bytes when larger; returns size and SHA-256. */
export async function writeDocument(path: string, pdf: Uint8Array, targetSize?: number): Promise<{size: number; sha256: string}> {
  const hash = createHash('sha256')
  let size = 0
  function* chunks(): Generator<Uint8Array> {
    yield pdf
    let written = pdf.length
    if (!targetSize || targetSize <= written) return
    const line = Buffer.from(`%${'0123456789abcdef'.repeat(4)}\n`)
    const block = Buffer.concat(Array.from({length: 1024}, () => line))
    while (written + block.length <= targetSize) {
      yield block
      written += block.length
    }
    while (written + line.length <= targetSize) {
      yield line
      written += line.length
    }
    if (written < targetSize) yield Buffer.alloc(targetSize - written, 0x25)
  }
  await pipeline(
    Readable.from(chunks()),
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk)
        size += chunk.length
        done(null, chunk)
      },
    }),
    createWriteStream(path, {mode: 0o600}),
  )
  return {size, sha256: hash.digest('hex')}
}
