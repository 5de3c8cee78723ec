/**
 * Durability for files that another system or a later run relies on: a file
 * is flushed before it is renamed into place, and its folder after the rename,
 * so that a power loss after a step is recorded loses nothing the step did.
 * Folders cannot be opened for flushing on Windows; there NTFS journals the
 * rename itself, and the folder flush is skipped. And the check that a file
 * holds the bytes it should: its SHA-256.
 */
import {createHash} from 'node:crypto'
import {constants} from 'node:fs'
import {open, rename, unlink} from 'node:fs/promises'

/**
 * Removes a file of this tool's own (a partial download, a temporary copy);
 * one already gone is no error. One call: `rm(path, {force: true})` looks the
 * path up twice first, and in a staging folder on a share each look is a
 * round trip to the server.
 */
export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
}

export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Codes a virus scanner or indexer causes on Windows while it holds a file that was just written. */
const TRANSIENT_ON_WINDOWS = new Set(['EPERM', 'EBUSY', 'EACCES'])

export interface RenameOptions {
  platform?: NodeJS.Platform
  rename?: (from: string, to: string) => Promise<void>
  /** Pauses between attempts; their count bounds the retries (about 1.5 s in all by default). */
  delaysMs?: number[]
}

/**
 * fs.rename, retried on Windows while EPERM/EBUSY/EACCES say another process
 * (a virus scanner, the search indexer, a backup agent) briefly holds the file.
 * Bounded; elsewhere, and for any other error, the first error is final.
 */
export async function renameDurably(from: string, to: string, options: RenameOptions = {}): Promise<void> {
  const platform = options.platform ?? process.platform
  const doRename = options.rename ?? rename
  const delays = options.delaysMs ?? [50, 100, 200, 400, 800]
  for (let attempt = 0; ; attempt++) {
    try {
      await doRename(from, to)
      return
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (platform !== 'win32' || !TRANSIENT_ON_WINDOWS.has(code) || attempt >= delays.length) throw error
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]))
    }
  }
}

/**
 * SHA-256 of a file, read through one reused buffer: a stream would allocate a fresh buffer per chunk, and
 * a 200 MB dossier left tens of MB of them for the garbage collector (peak memory of export-tenant).
 * Never read through a link.
 */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(1 << 18)
  const handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  try {
    for (;;) {
      const {bytesRead} = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) return hash.digest('hex')
      hash.update(buffer.subarray(0, bytesRead))
    }
  } finally {
    await handle.close()
  }
}
