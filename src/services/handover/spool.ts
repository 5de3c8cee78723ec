/**
 * The spool: `<stateDir>/spool/<handover>/`, mode 0700, where a handover's
 * files wait between download and delivery. A crash after the download keeps
 * what is complete and verified; partial `.part` files are dropped.
 */
import {mkdirSync, rmSync} from 'node:fs'
import {readdir, rm, stat, writeFile} from 'node:fs/promises'
import {fsyncDir, fsyncFile, hashFile, removeFile, renameDurably} from '../../adapters/durable.js'
import {join} from 'node:path'

export class Spool {
  readonly dir: string
  /** The files the folder holds, as this run knows them: read once when it is opened, then kept. */
  private names: Set<string> | null = null

  constructor(stateDir: string, handoverId: string) {
    this.dir = join(stateDir, 'spool', handoverId)
  }

  path(fileName: string): string {
    return join(this.dir, fileName)
  }

  /** Creates the folder and drops partial downloads of a killed run; once per run (the folder is this run's alone). */
  async open(): Promise<void> {
    if (this.names) return
    mkdirSync(this.dir, {recursive: true, mode: 0o700})
    const names = new Set<string>()
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.part')) await removeFile(join(this.dir, name))
      else names.add(name)
    }
    this.names = names
  }

  /** A file was moved in (a download): `holds` then looks at it. */
  added(fileName: string): void {
    this.names?.add(fileName)
  }

  /** The file is there with this size and SHA-256 (read once, streamed). A name the folder did not hold is not looked up. */
  async holds(fileName: string, size: number, sha256: string): Promise<boolean> {
    if (this.names && !this.names.has(fileName)) return false
    const path = this.path(fileName)
    try {
      if ((await stat(path)).size !== size) return false
    } catch {
      return false
    }
    return (await hashFile(path)) === sha256
  }

  /** The file is there with this size (its hash was checked when it was fetched). */
  async present(fileName: string, size: number): Promise<boolean> {
    try {
      return (await stat(this.path(fileName))).size === size
    } catch {
      return false
    }
  }

  /** Written aside, exclusively (never through a link), flushed, and moved in. */
  async write(fileName: string, bytes: Buffer): Promise<void> {
    const partial = `${this.path(fileName)}.part`
    await removeFile(partial)
    await writeFile(partial, bytes, {mode: 0o600, flag: 'wx'})
    await fsyncFile(partial)
    await renameDurably(partial, this.path(fileName))
    await fsyncDir(this.dir)
    this.added(fileName)
  }

  async remove(): Promise<void> {
    this.names = null
    await rm(this.dir, {recursive: true, force: true})
  }

  /** For signal handlers, which must finish before the process exits. */
  removeNow(): void {
    this.names = null
    rmSync(this.dir, {recursive: true, force: true})
  }
}
