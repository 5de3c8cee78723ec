/**
 * This installation of melon-immotop, as melon's handover markers name it:
 * an id kept in the state folder (`installation.json`, created once,
 * exclusively and never through a link), which a lost or rebuilt ledger
 * keeps, and a name for people (host and state folder).
 */
import {randomUUID} from 'node:crypto'
import {closeSync, constants, mkdirSync, openSync, readFileSync, writeSync} from 'node:fs'
import {hostname} from 'node:os'
import {join, resolve} from 'node:path'
import {StateError} from '../errors.js'

export const INSTALLATION_FILE = 'installation.json'

export interface Installation {
  id: string
  name: string
}

/** The installation of this state folder; made at its first use. */
export function installationOf(stateDir: string): Installation {
  const file = join(stateDir, INSTALLATION_FILE)
  const name = `${hostname()}:${resolve(stateDir)}`
  const existing = readId(file)
  if (existing) return {id: existing, name}
  mkdirSync(stateDir, {recursive: true, mode: 0o700})
  const id = randomUUID()
  try {
    const fd = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0), 0o600)
    try {
      writeSync(fd, `${JSON.stringify({id, createdAt: new Date().toISOString()})}\n`)
    } finally {
      closeSync(fd)
    }
    return {id, name}
  } catch (error) {
    // Made by another process at the same moment: its id is the one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      for (let attempt = 0; attempt < 10; attempt++) {
        const other = readId(file)
        if (other) return {id: other, name}
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
      }
    }
    throw new StateError('STATE_DIR_UNUSABLE', `The installation id ${file} cannot be written or read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}).`, `Give the account running melon-immotop read and write access to ${stateDir}; if the file is damaged, move it away (melon's markers then name this installation anew).`, {cause: error})
  }
}

function readId(file: string): string | null {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new StateError('STATE_DIR_UNUSABLE', `The installation id ${file} cannot be read (${(error as NodeJS.ErrnoException).code}).`, 'Give the account running melon-immotop read access to the state folder.', {cause: error})
  }
  try {
    const id = (JSON.parse(text) as {id?: unknown}).id
    if (typeof id === 'string' && /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(id)) return id
  } catch {
    // below
  }
  // A file being written by another process this very moment is empty: wait for it once.
  if (text === '') return null
  throw new StateError('STATE_DIR_UNUSABLE', `The installation id ${file} is damaged.`, `Move it away; melon's handover markers of this installation then no longer count as its own, so check \`melon-immotop history\` first.`)
}
