/**
 * The staging-directory adapter: W&W's use case 5 (DMS → Immotop 2),
 * docs/contracts/immotop2.md "Staging exchange".
 *
 * Delivery per file: the document is streamed into a private temporary folder
 * inside staging folder 2 (same file system, so the move is atomic), hashed on
 * the way, and moved in; then its control file (same base name, `.xml_it2`) is
 * written completely in that folder and moved in. Immotop 2 therefore never
 * sees a half-written file. Files are created exclusively and never through a
 * symbolic link: the share is writable by other accounts.
 *
 * Completion is *pick-up*: Immotop 2 deletes both files once it has them. W&W
 * does not document an answer for use case 5; a `SavedDocument` answer in
 * folder 1, where one comes, adds Immotop 2's DocumentId, and one with a
 * `FehlerText` is a refusal.
 */
import {createHash} from 'node:crypto'
import {constants, createReadStream, rmSync, watch, type FSWatcher} from 'node:fs'
import {access, chmod, link, lstat, mkdir, open, readdir, readFile, rm, stat, statfs} from 'node:fs/promises'
import {join} from 'node:path'
import {Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {buildControlFile, parseControlFile, type ControlFile} from '../core/control-file.js'
import {controlFileName} from '../core/handover.js'
import {fsyncDir, fsyncFile, hashFile, removeFile, renameDurably} from './durable.js'
import {releasingCounter} from './memory.js'
import {ConfigError, IntegrityError, RemoteRejectedError, UnavailableError, diskFullError} from '../errors.js'

export const STAGING_TMP = '.melon-immotop-tmp'
/** Answers are small XML files; anything larger is not read (staging.maxAnswerBytes). */
const MAX_ANSWER_BYTES = 64 * 1024
/** Create only, never through a link (O_NOFOLLOW does not exist on Windows, where links need rights). */
const EXCLUSIVE = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0)

export interface StagingDirs {
  incomingDir: string
  ackDir: string
  /** W&W's DmsArchivId: the archive configured in Immotop 2; empty when unset. */
  dmsArchivId?: string
  /** Answers larger than this are not read. */
  maxAnswerBytes?: number
  /** false: the folder's identity is not recorded or compared (a file system without stable inode numbers). */
  checkFolderIdentity?: boolean
}

/** The answers in folder 1 by DmsDocumentId, and the files too large to be answers (not read). */
export class Answers extends Map<string, Answer> {
  readonly oversized: Array<{name: string; size: number}> = []
}

/** What a waiting handover sees: the names in folder 2, and the answers in folder 1. */
type FolderLook = {present: Set<string>; answers: Answers}

/** One file of a handover as it goes into the staging folder. */
export interface StagedFile {
  /** The name in the staging folder (no personal data). */
  fileName: string
  dmsDocumentId: string
  /** W&W's DateiName: the speaking name. */
  dateiName: string
  size: number
  sha256: string
}

export type DeliveryOutcome = 'delivered' | 'pending' | 'picked_up' | 'placed'

export interface Answer {
  /** The answer file's name in folder 1. */
  name: string
  control: ControlFile
}

export interface PickupState {
  /** Picked up, with Immotop 2's DocumentId where an answer gave one. */
  pickedUp: Array<{fileName: string; documentId: string | null; answer: string | null}>
  waiting: string[]
  refused: Array<{fileName: string; fehlerText: string; answer: string}>
}

/** An answer that refuses the document: a FehlerText, or anything but SavedDocument. */
export function isRefusal(answer: Answer | undefined): boolean {
  return Boolean(answer && (answer.control.fehlerText !== '' || answer.control.action !== 'SavedDocument'))
}

/** Why a hard link cannot be made here (another file system, a share, no link support): then the file is copied. */
const LINK_REFUSED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EACCES', 'EMLINK'])

/** How often the folders are looked at while waiting: often without change events, rarely with them. */
export const POLL_MS = {withoutEvents: 150, withEvents: 1_000}

export class StagingDirectory {
  /** Answers read before, by file name, with the size and time they had. */
  private parsedAnswers = new Map<string, {mtimeMs: number; size: number; control: ControlFile}>()
  private answersReading: Promise<Answers> | null = null
  /** Counts the changes seen in both folders (events, or a poll's time passing). */
  private generation = 0
  private look: {generation: number; taken: Promise<FolderLook>} | null = null
  private folderWatch: {users: number; watching: boolean; wakes: Set<() => void>; close(): void} | null = null
  /** How often the folders were read for waiting handovers (shared reads count once). */
  looks = 0

  private readonly poll: {withoutEvents: number; withEvents: number}
  private readonly linkFile: (existing: string, created: string) => Promise<void>
  /** Set on the view of a former folder (`boundTo`): the folder staging.incomingDir names now. */
  private configuredDir: string | null = null

  /** `poll` and `link` are for tests (a slower poll, a file system that refuses hard links). */
  constructor(
    private readonly dirs: StagingDirs,
    options: {poll?: {withoutEvents: number; withEvents: number}; link?: (existing: string, created: string) => Promise<void>} = {},
  ) {
    this.poll = options.poll ?? POLL_MS
    this.linkFile = options.link ?? link
  }

  get incomingDir(): string {
    return this.dirs.incomingDir
  }

  /** Where a handover's files wait, for messages: the folder, and the configured one if that is another. */
  get whereWaiting(): string {
    return this.configuredDir ? `${this.dirs.incomingDir} (where they were delivered; staging.incomingDir now names ${this.configuredDir})` : this.dirs.incomingDir
  }

  /**
   * The identity of staging folder 2 (inode number and birth time, as text),
   * which recognises it under another path: a mapped drive and its UNC path,
   * a link, a renamed mount point, the same share mounted again. Null where it
   * cannot be read, the file system gives no inode number or birth time, or
   * staging.checkFolderIdentity is false.
   */
  async identity(dir = this.dirs.incomingDir): Promise<string | null> {
    if (this.dirs.checkFolderIdentity === false) return null
    try {
      const info = await stat(dir, {bigint: true})
      // Not the device: a share gets another device number on each mount. The birth time: a folder made
      // after another was removed may get its inode number. Without both, nothing is known.
      return info.ino === 0n || info.birthtimeNs === 0n ? null : `${info.ino}:${info.birthtimeNs}`
    } catch {
      return null
    }
  }

  /**
   * The view a handover is delivered and judged in, from the folder its files
   * went into (`bound`, null for handovers of earlier versions) and that
   * folder's identity then. The same folder under the configured path is the
   * configured one (`follow`: the ledger records the new path), and so is a
   * configured folder that holds every file still `waiting` with its control
   * file (moved there by hand; whether the old folder can still be read or not). A folder
   * that is readable but is not that one (a share not mounted shows the empty
   * folder beneath it) is an error: seeing none of the files there says
   * nothing about the pick-up.
   */
  async forHandover(bound: string | null, boundId: string | null, configuredId: string | null, waiting: string[] = []): Promise<{view: StagingDirectory; follow: boolean}> {
    if (bound === null) return {view: this, follow: false}
    const here = bound === this.dirs.incomingDir
    if (!here && boundId !== null && boundId === configuredId) return {view: this, follow: true}
    // Every file still waiting, with its control file, is in the configured folder (moved there, e.g. to a new server): it waits there now.
    if (!here && waiting.length > 0) {
      const present = new Set(await readdir(this.dirs.incomingDir).catch(() => [] as string[]))
      if (waiting.every((name) => present.has(name) && present.has(controlFileName(name)))) return {view: this, follow: true}
    }
    const now = here ? configuredId : await this.identity(bound)
    if (boundId !== null && now !== null && now !== boundId) {
      throw new UnavailableError(
        'STAGING_FOLDER_REPLACED',
        `${here ? 'staging.incomingDir' : 'the former staging.incomingDir'} ${bound} is not the folder the waiting files were delivered into: another folder is there now (a share that is not mounted shows the empty folder beneath it), so whether Immotop 2 picked them up cannot be told; nothing counts as picked up.`,
        'Mount or map the share again; the next run looks again and sends nothing twice. If the files are lost with the old folder, `melon-immotop export-tenant <tenant> --redeliver` delivers them again. If it is the same folder and its file system gives new inode numbers on each mount, set staging.checkFolderIdentity to false.',
      )
    }
    return {view: this.boundTo(bound), follow: false}
  }

  /**
   * The view of a handover delivered into `former`, another folder than the
   * configured one: it is delivered, waited for and judged there, since that
   * is where its files went. Names in the configured folder count as waiting
   * too (files moved over by hand). Answers come from the configured folder 1.
   */
  boundTo(former: string): StagingDirectory {
    if (former === this.dirs.incomingDir) return this
    const view = new StagingDirectory({...this.dirs, incomingDir: former}, {poll: this.poll, link: this.linkFile})
    view.configuredDir = this.dirs.incomingDir
    return view
  }

  /** Both folders exist and are writable, or a ConfigError says which and how to fix it. */
  async assertUsable(): Promise<void> {
    for (const [key, dir] of [
      [this.incomingKey, this.dirs.incomingDir],
      ['staging.ackDir', this.dirs.ackDir],
    ] as const) {
      try {
        const info = await stat(dir)
        if (!info.isDirectory()) throw new Error('not a directory')
        await access(dir, constants.W_OK | constants.R_OK)
      } catch {
        throw new ConfigError('STAGING_UNUSABLE', `${key} ${dir} does not exist or is not readable and writable.`, `Check that it exists and that this account can read and write it: a network share must be reachable, and mounted or mapped for the account melon-immotop runs under (a Windows service does not see the drive letters of a logged-on user; use the UNC path). It must be the folder Immotop 2 uses (W&W configures it on the Immotop 2 server).`)
      }
    }
  }

  /** The control file of one document: W&W's elements only. */
  controlFor(file: Pick<StagedFile, 'dmsDocumentId' | 'dateiName'>): string {
    return buildControlFile({dmsArchivId: this.dirs.dmsArchivId ?? '', dmsDocumentId: file.dmsDocumentId, dateiName: file.dateiName})
  }

  /**
   * Delivers one document and its control file, unless it is already there or
   * picked up. `controlMoved` says the ledger recorded the control file's move
   * in an earlier run: the control file is then never written again (it may
   * have been picked up meanwhile). `beforeControlMove` records that intent.
   * With `defer`, the document goes into folder 2 and its control file waits
   * in the private folder ('placed'): the caller records the intents of
   * several documents in one commit, then `moveControls` moves them in.
   * `localPath` must already be on disk durably (the spool syncs what it
   * writes): on the same file system the document is a hard link to it.
   */
  async deliver(
    localPath: string,
    file: StagedFile,
    options: {signal?: AbortSignal; controlMoved: boolean; beforeControlMove?: () => void; answers?: Answers; defer?: boolean},
  ): Promise<DeliveryOutcome> {
    const controlName = controlFileName(file.fileName)
    const answer = (options.answers ?? (await this.answers())).get(file.dmsDocumentId)
    if (answer && !isRefusal(answer)) return 'picked_up'
    // A refusal is consumed here: the file is delivered anew.
    if (answer) await rm(join(this.dirs.ackDir, answer.name), {force: true})
    if (await exists(join(this.dirs.incomingDir, controlName))) return 'pending'
    const tmp = await this.privateTemp()
    const tmpDoc = join(tmp, file.fileName)
    const tmpControl = join(tmp, controlName)
    if (options.controlMoved && !answer) {
      // The move was recorded: either it happened (delivered, maybe picked up), or the control file still waits here.
      if (await exists(tmpControl)) {
        await renameDurably(tmpControl, join(this.dirs.incomingDir, controlName))
        await fsyncDir(this.dirs.incomingDir)
      }
      return 'delivered'
    }
    const abort = () => {
      rmSync(tmpDoc, {force: true})
      rmSync(tmpControl, {force: true})
    }
    options.signal?.addEventListener('abort', abort, {once: true})
    try {
      await removeFile(tmpDoc)
      const {sha256, linked} = await this.placeCopy(localPath, tmpDoc)
      if (sha256 !== file.sha256) {
        throw new IntegrityError('CHECKSUM_MISMATCH', `Copy of ${file.fileName} into the staging folder has SHA-256 …${sha256.slice(-8)}, expected …${file.sha256.slice(-8)}.`, 'Check the disk and run again.')
      }
      // A hard link shares the local copy's blocks, already synced; a copy is synced here.
      if (!linked) await fsyncFile(tmpDoc)
      await renameDurably(tmpDoc, join(this.dirs.incomingDir, file.fileName))
      await removeFile(tmpControl)
      await writeExclusive(tmpControl, this.controlFor(file))
      if (options.defer) return 'placed'
      options.beforeControlMove?.()
      await renameDurably(tmpControl, join(this.dirs.incomingDir, controlName))
      await fsyncDir(this.dirs.incomingDir)
    } catch (error) {
      throw diskFullError(error, tmp, 'The partial copy was removed; what was delivered before stays, and the next run continues.') ?? error
    } finally {
      options.signal?.removeEventListener('abort', abort)
      // Also after the rename: a rename onto a link of the same file (placed again after a crash) does nothing and leaves the copy.
      await removeFile(tmpDoc)
    }
    return 'delivered'
  }

  /**
   * Where each file stands: picked up (both files gone from folder 2, or a
   * SavedDocument answer), refused (an answer with FehlerText), or waiting.
   */
  async pickupState(files: StagedFile[], answers?: Answers): Promise<PickupState> {
    // The folder first, then the answers: an answer written just before the files went is then seen.
    const present = await this.incomingNames()
    return this.judge(files, present, answers ?? (await this.answers()))
  }

  /**
   * The names in folder 2. A folder that cannot be read is an error, never an
   * empty folder: an empty look would count every waiting file as picked up.
   */
  private async incomingNames(): Promise<Set<string>> {
    const names = new Set(await this.readFolder(this.incomingKey, this.dirs.incomingDir))
    if (this.configuredDir) for (const name of await this.readFolder('staging.incomingDir', this.configuredDir)) names.add(name)
    return names
  }

  private get incomingKey(): string {
    return this.configuredDir ? 'the former staging.incomingDir' : 'staging.incomingDir'
  }

  private async readFolder(key: string, dir: string): Promise<string[]> {
    try {
      return await readdir(dir)
    } catch (error) {
      throw this.unreadable(key, dir, error)
    }
  }

  private unreadable(key: string, dir: string, error: unknown): UnavailableError {
    const moved = this.configuredDir && dir !== this.configuredDir ? ` The handover's files were delivered into it; staging.incomingDir now names ${this.configuredDir}.` : ''
    return new UnavailableError(
      'STAGING_UNREADABLE',
      `${key} ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}), so whether Immotop 2 picked the files up cannot be told; nothing counts as picked up meanwhile.${moved}`,
      'Make the folder readable from this machine again (a network share must be reachable, mounted or mapped for the account melon-immotop runs under); the next run looks again and sends nothing twice. If the files are lost with the folder, `melon-immotop export-tenant <tenant> --redeliver` delivers them again.',
    )
  }


  /**
   * Both folders as they were after change `generation`, read once for every
   * handover waiting at the same time. A look not yet begun takes every wait
   * that asks for it; once begun, it serves the changes counted before it.
   */
  private lookAfter(generation: number): Promise<FolderLook> {
    if (this.look && this.look.generation >= generation) return this.look.taken
    const look: {generation: number; taken: Promise<FolderLook>} = {generation: Number.POSITIVE_INFINITY, taken: null!}
    look.taken = new Promise<void>((begin) => setImmediate(begin)).then(async () => {
      look.generation = this.generation
      this.looks++
      const present = await this.incomingNames()
      return {present, answers: await this.answers()}
    })
    this.look = look
    return look.taken
  }

  private judge(files: StagedFile[], present: Set<string>, known: Answers): PickupState {
    const ours = new Set(files.map((f) => controlFileName(f.fileName)))
    const huge = known.oversized.find((o) => ours.has(o.name))
    if (huge) {
      throw new IntegrityError(
        'ANSWER_TOO_LARGE',
        `${join(this.dirs.ackDir, huge.name)} is ${huge.size} bytes; an answer from Immotop 2 is a small control file (at most ${this.dirs.maxAnswerBytes ?? MAX_ANSWER_BYTES} bytes), so it was not read.`,
        'Remove that file from the answer folder (it is not an answer of Immotop 2) and run again; staging.maxAnswerBytes sets the limit.',
      )
    }
    const state: PickupState = {pickedUp: [], waiting: [], refused: []}
    for (const file of files) {
      const answer = known.get(file.dmsDocumentId)
      if (answer && isRefusal(answer)) {
        state.refused.push({fileName: file.fileName, fehlerText: answer.control.fehlerText || `unexpected action ${answer.control.action}`, answer: answer.name})
      } else if (answer || (!present.has(file.fileName) && !present.has(controlFileName(file.fileName)))) {
        state.pickedUp.push({fileName: file.fileName, documentId: answer?.control.documentId || null, answer: answer?.name ?? null})
      } else {
        state.waiting.push(file.fileName)
      }
    }
    return state
  }

  /**
   * Waits until Immotop 2 has picked up every file, a file is refused (an
   * error naming it and Immotop 2's FehlerText), or the timeout passes (the
   * state says what is still waiting; nothing is resent).
   */
  async waitForPickup(files: StagedFile[], timeoutMs: number, signal?: AbortSignal): Promise<PickupState> {
    const deadline = Date.now() + timeoutMs
    // Change events wake the wait at once where the file system sends them; network shares may not, so polling stays.
    const changes = this.watchFolders()
    try {
      // A look begun before this wait (so perhaps before its files were delivered) must not answer it.
      this.generation++
      for (;;) {
        const seen = this.generation
        let look: FolderLook
        try {
          look = await this.lookAfter(seen)
        } catch (error) {
          // A share that drops out briefly comes back: look again until the deadline, then say it could not be read.
          if ((error as {code?: string}).code !== 'STAGING_UNREADABLE' || Date.now() >= deadline || signal?.aborted) throw error
          await pauseFor(Math.min(this.poll.withoutEvents, Math.max(0, deadline - Date.now())), signal)
          this.generation++
          continue
        }
        const state = this.judge(files, look.present, look.answers)
        const refused = state.refused[0]
        if (refused) {
          throw new RemoteRejectedError(
            'IMMOTOP_REFUSED',
            `Immotop 2 did not take ${refused.fileName}: ${refused.fehlerText.slice(0, 200)}.`,
            'Fix the cause named by Immotop 2, then run the same command again; the refused file is delivered anew.',
          )
        }
        if (state.waiting.length === 0 || Date.now() >= deadline || signal?.aborted) return state
        const woke = await changes.next(seen, Math.min(changes.watching ? this.poll.withEvents : this.poll.withoutEvents, Math.max(0, deadline - Date.now())), signal)
        // Polling: the time passed counts as a change, so the next look is a new one (shared with whoever polls now too).
        if (woke === 'time' && this.generation === seen) this.generation++
      }
    } finally {
      changes.close()
    }
  }

  /**
   * One watch of both folders for every handover waiting at once (the last
   * one to stop waiting closes it). Each change event starts a new generation
   * and wakes all waits.
   */
  private watchFolders(): {watching: boolean; next(seen: number, ms: number, signal?: AbortSignal): Promise<'change' | 'time'>; close(): void} {
    if (!this.folderWatch) {
      const wakes = new Set<() => void>()
      const watchers: FSWatcher[] = []
      for (const dir of [this.dirs.incomingDir, this.dirs.ackDir]) {
        try {
          const watcher = watch(dir, {persistent: false}, () => {
            this.generation++
            for (const wake of [...wakes]) wake()
          })
          watcher.on('error', () => watcher.close())
          watchers.push(watcher)
        } catch {
          // No events here (e.g. some network shares): polling alone.
        }
      }
      this.folderWatch = {users: 0, watching: watchers.length === 2, wakes, close: () => watchers.forEach((w) => w.close())}
    }
    const shared = this.folderWatch
    shared.users++
    return {
      watching: shared.watching,
      next: (seen, ms, signal) => {
        if (this.generation > seen) return Promise.resolve('change')
        return new Promise((resolve) => {
          const done = (why: 'change' | 'time') => {
            clearTimeout(timer)
            signal?.removeEventListener('abort', aborted)
            shared.wakes.delete(changed)
            resolve(why)
          }
          const changed = () => done('change')
          const aborted = () => done('time')
          const timer = setTimeout(() => done('time'), ms)
          signal?.addEventListener('abort', aborted, {once: true})
          shared.wakes.add(changed)
        })
      },
      close: () => {
        if (--shared.users > 0) return
        shared.close()
        this.folderWatch = null
      },
    }
  }

  /**
   * Moves the control files that `deliver(…, {defer: true})` left in the
   * private folder into folder 2, in the order given (documents first, the
   * tenant record last), then makes the moves durable with one flush of the
   * folder. A control file no longer there was moved by an earlier attempt.
   */
  async moveControls(files: Array<Pick<StagedFile, 'fileName'>>): Promise<void> {
    const tmp = await this.privateTemp()
    for (const file of files) {
      const name = controlFileName(file.fileName)
      await renameDurably(join(tmp, name), join(this.dirs.incomingDir, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error
      })
    }
    if (files.length > 0) await fsyncDir(this.dirs.incomingDir)
  }

  /**
   * The file into the staging temporary folder, returning the SHA-256 of what
   * is there and whether it is a hard link. On the same file system a hard
   * link (created exclusively, like the copy) spares writing the bytes again;
   * they are read once to hash them. Elsewhere (a share, another drive) one
   * streamed copy, hashed on the way.
   */
  private async placeCopy(localPath: string, tmpDoc: string): Promise<{sha256: string; linked: boolean}> {
    try {
      await this.linkFile(localPath, tmpDoc)
      // One inode, one mode: owner-only, as every file this tool writes (the local copy is already).
      await chmod(tmpDoc, 0o600)
      return {sha256: await hashFile(tmpDoc), linked: true}
    } catch (error) {
      if (!LINK_REFUSED.has((error as NodeJS.ErrnoException).code ?? '')) throw error
    }
    const hash = createHash('sha256')
    const release = releasingCounter()
    const target = await open(tmpDoc, EXCLUSIVE, 0o600)
    await pipeline(
      createReadStream(localPath),
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk)
          release(chunk.length)
          done(null, chunk)
        },
      }),
      target.createWriteStream(),
    )
    return {sha256: hash.digest('hex'), linked: false}
  }

  /**
   * Answers in folder 1, by DmsDocumentId. Only regular files (no links, no
   * sub-folders: W&W keeps one per client and user there) of at most 64 KiB
   * that parse as control files; anything else is not ours to read.
   * Handovers waiting at the same time share one reading while it is under way.
   */
  answers(): Promise<Answers> {
    this.answersReading ??= this.readAnswers().finally(() => (this.answersReading = null))
    return this.answersReading
  }

  private async readAnswers(): Promise<Answers> {
    const found = new Answers()
    const seen = new Map<string, {mtimeMs: number; size: number; control: ControlFile}>()
    let entries
    try {
      entries = await readdir(this.dirs.ackDir, {withFileTypes: true})
    } catch (error) {
      // An error, not "no answer": with a refusal unseen, files that left folder 2 would count as picked up.
      throw this.unreadable('staging.ackDir', this.dirs.ackDir, error)
    }
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.xml_it2') || entry.name.startsWith('.')) continue
      const path = join(this.dirs.ackDir, entry.name)
      try {
        const info = await lstat(path)
        if (info.size > (this.dirs.maxAnswerBytes ?? MAX_ANSWER_BYTES)) {
          found.oversized.push({name: entry.name, size: info.size})
          continue
        }
        // A waiting handover looks again on every change: an answer already read (same size and time) is not parsed again.
        const cached = this.parsedAnswers.get(entry.name)
        const control = cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size ? cached.control : parseControlFile(await readFile(path, 'utf8'), path)
        seen.set(entry.name, {mtimeMs: info.mtimeMs, size: info.size, control})
        if (control.dmsDocumentId) found.set(control.dmsDocumentId, {name: entry.name, control})
      } catch {
        // gone meanwhile, or not a control file
      }
    }
    this.parsedAnswers = seen
    return found
  }

  /**
   * What doctor needs to know of staging folder 2: free space, and control
   * files that have waited longer than `olderThanMinutes` (Immotop 2 is not
   * picking up). The suffix and the folder layout stay in this adapter.
   */
  async inspect(olderThanMinutes: number): Promise<{freeBytes: number; oldControlFiles: string[]}> {
    const fs = await statfs(this.dirs.incomingDir)
    const old: string[] = []
    for (const entry of await readdir(this.dirs.incomingDir, {withFileTypes: true})) {
      if (!entry.isFile() || !entry.name.endsWith('.xml_it2') || entry.name.startsWith('.')) continue
      const age = (Date.now() - (await lstat(join(this.dirs.incomingDir, entry.name))).mtimeMs) / 60_000
      if (age > olderThanMinutes) old.push(entry.name)
    }
    return {freeBytes: fs.bavail * fs.bsize, oldControlFiles: old}
  }

  /** Removes processed answers (the receiver deletes what it has processed). */
  async removeAnswers(names: string[]): Promise<void> {
    await Promise.all(names.map((name) => rm(join(this.dirs.ackDir, name), {force: true})))
  }

  /** Takes back a file that Immotop 2 has not picked up (doctor's probe). */
  async retract(file: Pick<StagedFile, 'fileName'>): Promise<void> {
    await rm(join(this.dirs.incomingDir, controlFileName(file.fileName)), {force: true})
    await rm(join(this.dirs.incomingDir, file.fileName), {force: true})
  }

  /**
   * The private temporary folder: a real directory (not a link), owned by
   * this user, mode 0700. A folder with wider rights is tightened; a link, a
   * file, or a folder of another user is refused.
   */
  private async privateTemp(): Promise<string> {
    const tmp = join(this.dirs.incomingDir, STAGING_TMP)
    await mkdir(tmp, {mode: 0o700}).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error
    })
    const info = await lstat(tmp)
    const uid = process.getuid?.()
    if (!info.isDirectory() || (uid !== undefined && info.uid !== uid)) {
      throw new IntegrityError(
        'STAGING_TMP_UNSAFE',
        `${tmp} is ${info.isSymbolicLink() ? 'a symbolic link' : !info.isDirectory() ? 'not a directory' : `owned by another user (uid ${info.uid})`}; melon-immotop writes documents only through its own private folder.`,
        `Remove ${tmp} (someone else created it); melon-immotop creates it anew, mode 0700.`,
      )
    }
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) await chmod(tmp, 0o700)
    return tmp
  }

  /**
   * Removes what killed runs left in the private temporary folder: files older
   * than `olderThanMs` (younger ones may belong to a delivery in progress).
   */
  async sweepTemporary(olderThanMs = 15 * 60_000, keep: (name: string) => boolean = () => false): Promise<number> {
    const tmp = join(this.dirs.incomingDir, STAGING_TMP)
    let removed = 0
    let names: string[]
    try {
      if (!(await lstat(tmp)).isDirectory()) return 0
      names = await readdir(tmp)
    } catch {
      return 0
    }
    for (const name of names) {
      if (keep(name)) continue
      const path = join(tmp, name)
      try {
        if (Date.now() - (await lstat(path)).mtimeMs > olderThanMs) {
          await rm(path, {force: true})
          removed++
        }
      } catch {
        // gone meanwhile
      }
    }
    return removed
  }
}

/** Waits `ms`, or less when the signal aborts. */
function pauseFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, {once: true})
  })
}

/** Writes a new file; fails rather than follow a link or reuse a file someone planted. */
async function writeExclusive(path: string, text: string): Promise<void> {
  const handle = await open(path, EXCLUSIVE, 0o600)
  try {
    await handle.writeFile(text, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch {
    return false
  }
}
