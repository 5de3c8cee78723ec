/**
 * The staging-directory adapter (W&W's low-tech document channel,
 * docs/contracts/immotop2.md "Staging exchange").
 *
 * Delivery order per file: the document is streamed into a private temporary
 * folder inside the incoming directory (same file system, so the move is
 * atomic), hashed on the way, and moved in; then its control file is written
 * completely in that temporary folder and moved in. The receiver therefore never
 * sees a half-written document or control file.
 */
import {createHash} from 'node:crypto'
import {constants, createReadStream, createWriteStream, rmSync} from 'node:fs'
import {access, mkdir, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {buildControlFile, parseControlFile, type ControlFile} from '../core/control-file.js'
import {controlFileName} from '../core/handover.js'
import {ConfigError, IntegrityError, RemoteRejectedError, UnavailableError} from '../errors.js'

export const STAGING_TMP = '.melon-immotop-tmp'

export interface StagingDirs {
  incomingDir: string
  ackDir: string
}

export type DeliveryOutcome = 'delivered' | 'pending' | 'acknowledged'

export interface Acknowledgement {
  controlName: string
  control: ControlFile
}

export class StagingDirectory {
  constructor(private readonly dirs: StagingDirs) {}

  /** Both folders exist and are writable, or a ConfigError says which and how to fix it. */
  async assertUsable(): Promise<void> {
    for (const [key, dir] of [
      ['staging.incomingDir', this.dirs.incomingDir],
      ['staging.ackDir', this.dirs.ackDir],
    ] as const) {
      try {
        const info = await stat(dir)
        if (!info.isDirectory()) throw new Error('not a directory')
        await access(dir, constants.W_OK | constants.R_OK)
      } catch {
        throw new ConfigError('STAGING_UNUSABLE', `${key} ${dir} does not exist or is not readable and writable.`, `Create it or fix its permissions; it must be the folder Immotop 2 uses (W&W configures it on the Immotop 2 server).`)
      }
    }
  }

  private ackPath(controlName: string): string {
    return join(this.dirs.ackDir, controlName)
  }

  /**
   * Delivers one document and its control file. A document whose control file
   * is still waiting in the incoming folder, or whose acknowledgement is already
   * there, is not sent again.
   */
  async deliver(localPath: string, signal: AbortSignal | undefined, control: ControlFile & {sha256: string}): Promise<DeliveryOutcome> {
    const controlName = controlFileName(control.dateiName)
    const ack = await this.readAck(controlName)
    if (ack && ack.fehlerText === '' && ack.action === 'SavedDocument') return 'acknowledged'
    // A refusal is consumed here: the file is delivered anew.
    if (ack) await rm(this.ackPath(controlName), {force: true})
    if (await exists(join(this.dirs.incomingDir, controlName))) return 'pending'
    const tmp = join(this.dirs.incomingDir, STAGING_TMP)
    await mkdir(tmp, {recursive: true, mode: 0o700})
    const tmpDoc = join(tmp, control.dateiName)
    const tmpControl = join(tmp, controlName)
    const abort = () => {
      rmSync(tmpDoc, {force: true})
      rmSync(tmpControl, {force: true})
    }
    signal?.addEventListener('abort', abort, {once: true})
    try {
      const hash = createHash('sha256')
      await pipeline(
        createReadStream(localPath),
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk)
            done(null, chunk)
          },
        }),
        createWriteStream(tmpDoc, {mode: 0o600}),
      )
      const sha256 = hash.digest('hex')
      if (sha256 !== control.sha256) {
        throw new IntegrityError('CHECKSUM_MISMATCH', `Copy of ${control.dateiName} into the staging folder has SHA-256 …${sha256.slice(-8)}, expected …${control.sha256.slice(-8)}.`, 'Check the disk and run again.')
      }
      await rename(tmpDoc, join(this.dirs.incomingDir, control.dateiName))
      await writeFile(tmpControl, buildControlFile(control), {mode: 0o600})
      await rename(tmpControl, join(this.dirs.incomingDir, controlName))
    } finally {
      signal?.removeEventListener('abort', abort)
      await rm(tmpDoc, {force: true})
      await rm(tmpControl, {force: true})
    }
    return 'delivered'
  }

  /**
   * Waits until every named control file has its acknowledgement, or the
   * timeout passes. An acknowledgement with a FehlerText is an error naming the
   * file; a timeout is an error that says the files are delivered and pending.
   */
  async waitForAcks(controlNames: string[], timeoutMs: number, signal?: AbortSignal): Promise<Acknowledgement[]> {
    const deadline = Date.now() + timeoutMs
    const found = new Map<string, ControlFile>()
    for (;;) {
      for (const name of controlNames) {
        if (found.has(name)) continue
        const ack = await this.readAck(name)
        if (ack) found.set(name, ack)
      }
      if (found.size === controlNames.length) break
      if (Date.now() >= deadline || signal?.aborted) {
        throw new UnavailableError(
          'ACK_TIMEOUT',
          `Immotop 2 acknowledged ${found.size} of ${controlNames.length} files within ${Math.round(timeoutMs / 1000)} s; the rest are delivered and waiting in ${this.dirs.incomingDir}.`,
          'Check that Immotop 2 processes its staging folder (W&W), then run the same command again: nothing is sent twice, and it collects the acknowledgements.',
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
    const acks = controlNames.map((name) => ({controlName: name, control: found.get(name)!}))
    const failed = acks.find((a) => a.control.fehlerText !== '' || a.control.action !== 'SavedDocument')
    if (failed) {
      throw new RemoteRejectedError(
        'IMMOTOP_ACK_ERROR',
        `Immotop 2 did not save ${failed.control.dateiName}: ${failed.control.fehlerText.slice(0, 200) || `unexpected action ${failed.control.action}`}.`,
        'Fix the cause named by Immotop 2, then run the same command again; the failed file is delivered anew.',
      )
    }
    return acks
  }

  private async readAck(controlName: string): Promise<ControlFile | null> {
    const path = this.ackPath(controlName)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch {
      return null
    }
    return parseControlFile(text, path)
  }

  /**
   * Removes what killed runs left in the private temporary folder: files older
   * than `olderThanMs` (younger ones may belong to a delivery in progress).
   */
  async sweepTemporary(olderThanMs = 15 * 60_000): Promise<number> {
    const tmp = join(this.dirs.incomingDir, STAGING_TMP)
    let removed = 0
    let names: string[]
    try {
      names = await readdir(tmp)
    } catch {
      return 0
    }
    for (const name of names) {
      const path = join(tmp, name)
      try {
        if (Date.now() - (await stat(path)).mtimeMs > olderThanMs) {
          await rm(path, {force: true})
          removed++
        }
      } catch {
        // gone meanwhile
      }
    }
    return removed
  }

  /** Removes processed acknowledgements (the receiver deletes what it has processed). */
  async removeAcks(controlNames: string[]): Promise<void> {
    await Promise.all(controlNames.map((name) => rm(this.ackPath(name), {force: true})))
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
