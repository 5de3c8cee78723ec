/**
 * Durability for files that another system or a later run relies on: a file
 * is flushed before it is renamed into place, and its folder after the rename,
 * so that a power loss after a step is recorded loses nothing the step did.
 * Folders cannot be opened for flushing on Windows; there NTFS journals the
 * rename itself, and the folder flush is skipped.
 */
import {open} from 'node:fs/promises'

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
