/**
 * Immotop 2's export files (IDX 3.01 feeds, dta-mpexp exports, details files)
 * read as streams, never whole: memory stays flat in the file size. Only
 * regular files are read (each is read twice, which a pipe cannot give), and
 * a failure names the file and exits 2.
 */
import {constants} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {CsvError, parse as csvStream} from 'csv-parse'
import {csvProblem, DTA_CSV, DtaRowReader, type CsvRecord, type DtaRow} from '../../core/dta-mpexp.js'
import type {ParseProblem} from '../../core/parse-problem.js'
import {decodeLine} from '../../core/text-decoding.js'
import {InvalidInputError, UsageError} from '../../errors.js'

function unreadable(file: string, what: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code
  return new UsageError('INPUT_UNREADABLE', `Cannot read ${file} (${code === 'ENOENT' ? 'no such file' : code ?? 'error'}).`, `Check the path of the ${what}.`)
}

/**
 * Opens an export for reading, a regular file only: a folder would fail at
 * the first read, and a pipe or a device (which the open does not wait for)
 * might never end.
 */
async function openRegular(file: string, what: string): Promise<FileHandle> {
  let handle: FileHandle
  try {
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (error) {
    throw unreadable(file, what, error)
  }
  const info = await handle.stat().catch(async (error: unknown) => {
    await handle.close()
    throw unreadable(file, what, error)
  })
  if (!info.isFile()) {
    await handle.close()
    const kind = info.isDirectory() ? 'a folder' : 'not a regular file: an export is read twice, which a pipe cannot give'
    throw new UsageError('INPUT_UNREADABLE', `Cannot read ${file} (${kind}).`, `Check the path of the ${what}: it must name the file itself (write a piped export to a file first).`)
  }
  return handle
}

/** The longest line an export may have (an IDX record with long descriptions is well under it). */
export const MAX_LINE_BYTES = 4 * 1024 * 1024

/** One read of an export: lines are cut from it, and a line may be as long as MAX_LINE_BYTES. */
const READ_BYTES = 1 << 20

/** The complete lines of one read: their bytes (valid until the next batch is asked for) and where each lies. */
export interface LineBatch {
  buffer: Buffer
  /** The number of the first line (1-based). */
  first: number
  /** Start and end of each line in `buffer`, end exclusive and before a CR: [start, end, start, end, …]. */
  bounds: number[]
}

/**
 * The lines of a batch one by one, each as a view of the batch's buffer.
 * Made as they are asked for: a view lives only while its line is worked on,
 * so the garbage collector never has to carry a whole batch of them.
 */
export function* linesOf(batch: LineBatch): Generator<{line: number; bytes: Buffer}> {
  for (let i = 0; i < batch.bounds.length; i += 2) yield {line: batch.first + i / 2, bytes: batch.buffer.subarray(batch.bounds[i], batch.bounds[i + 1])}
}

/**
 * The lines of an export, read as a stream: memory stays flat in the file
 * size. LF ends a line, a CR before it is dropped; a line longer than
 * MAX_LINE_BYTES is refused with its number. The lines come in batches (those
 * of one read of up to 1 MiB): a feed of 100,000 records would otherwise cost
 * 100,000 turns of the event loop. Every read goes into the same buffer, so
 * a batch's bytes are valid only until the next batch is asked for: decode
 * them, do not keep them.
 */
export async function* readLineBatches(file: string, what = 'export file'): AsyncGenerator<LineBatch> {
  const handle = await openRegular(file, what)
  let line = 0
  let buffer = Buffer.allocUnsafe(READ_BYTES)
  /** Bytes of an unfinished line at the start of the buffer. */
  let kept = 0
  const endOf = (start: number, end: number) => (end > start && buffer[end - 1] === 0x0d ? end - 1 : end)
  const tooLong = (number: number) =>
    new InvalidInputError('LINE_TOO_LONG', `${file}: line ${number} is longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB; nothing was changed.`, `Check that ${file} is the ${what} and not another file.`)
  try {
    for (;;) {
      if (kept === buffer.length) {
        // An unfinished line fills the buffer: it grows by one read, up to the limit.
        if (kept > MAX_LINE_BYTES) throw tooLong(line + 1)
        buffer = Buffer.concat([buffer, Buffer.allocUnsafe(READ_BYTES)])
      }
      const {bytesRead} = await handle.read(buffer, kept, buffer.length - kept, null).catch((error: unknown) => {
        // A share may fail midway (EIO).
        throw unreadable(file, what, error)
      })
      const filled = kept + bytesRead
      if (bytesRead === 0) {
        const end = endOf(0, kept)
        if (end > MAX_LINE_BYTES) throw tooLong(line + 1)
        if (kept > 0) yield {buffer, first: ++line, bounds: [0, end]}
        return
      }
      const batch: LineBatch = {buffer, first: line + 1, bounds: []}
      let start = 0
      for (let end = buffer.indexOf(0x0a, start); end !== -1 && end < filled; end = buffer.indexOf(0x0a, start)) {
        const stop = endOf(start, end)
        if (stop - start > MAX_LINE_BYTES) throw tooLong(line + 1)
        batch.bounds.push(start, stop)
        line++
        start = end + 1
      }
      if (batch.bounds.length > 0) yield batch
      buffer.copy(buffer, 0, start, filled)
      kept = filled - start
    }
  } finally {
    await handle.close()
  }
}

/** Characters handed to csv-parse at a time. */
const CSV_PIECE = 32 * 1024

/** One item of a dta-mpexp export read as a stream: a row, a row's problem, or a CSV error that refuses the whole file. */
export type DtaItem = {row: DtaRow} | {problem: ParseProblem} | {broken: ParseProblem}

/**
 * The rows of a dta-mpexp export, read as a stream (memory flat in the file
 * size): each physical line is decoded on its own, as parseDtaMpexp does, and
 * csv-parse joins the lines of a quoted field that spans them. Each row keeps
 * only the columns used. After a `broken` item (invalid CSV) or a header
 * without a required column nothing more comes.
 */
export async function* readDtaRows(file: string, what?: string): AsyncGenerator<DtaItem> {
  async function* text(): AsyncGenerator<string> {
    let chunk = ''
    for await (const batch of readLineBatches(file, what)) {
      for (const {line, bytes} of linesOf(batch)) {
        const text = decodeLine(bytes).text
        chunk += `${line === 1 ? text.replace(/^\uFEFF/, '') : text}\n`
        // Small pieces die young: a whole read as one string would wait for a full collection.
        if (chunk.length >= CSV_PIECE) {
          yield chunk
          chunk = ''
        }
      }
    }
    if (chunk !== '') yield chunk
  }
  const reader = new DtaRowReader()
  const parser = csvStream(DTA_CSV)
  const reading = pipeline(Readable.from(text(), {objectMode: false}), parser)
  // A failure of the reading also ends the loop below, with that error.
  reading.catch(() => {})
  try {
    for await (const record of parser as AsyncIterable<CsvRecord>) {
      const read = reader.read(record)
      if (read !== null) yield 'values' in read ? {row: read} : {problem: read}
      if (reader.refused) return
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error
    yield {broken: csvProblem(error)}
    return
  } finally {
    parser.destroy()
  }
  const empty = reader.end()
  if (empty) yield {problem: empty}
}

/** The first bytes of a file, enough to tell its format. */
export async function readHead(file: string, what: string): Promise<Buffer> {
  const handle = await openRegular(file, what)
  try {
    const head = Buffer.alloc(4096)
    const {bytesRead} = await handle.read(head, 0, head.length, 0)
    return head.subarray(0, bytesRead)
  } catch (error) {
    throw unreadable(file, what, error)
  } finally {
    await handle.close()
  }
}
