/**
 * SQLite through Node's own `node:sqlite` (no native addon: nothing to
 * compile or download on a Windows server). A thin layer with the few
 * conveniences the ledger and the sandbox's store used from better-sqlite3,
 * with the same semantics: `pragma`, `transaction(fn)()` (BEGIN, or a
 * SAVEPOINT inside another transaction) and `.immediate()` (BEGIN IMMEDIATE),
 * and `backup` through SQLite's online backup API. The file format is
 * SQLite's own: a ledger written through better-sqlite3 opens unchanged.
 *
 * The module is loaded on first use (process.getBuiltinModule), so commands
 * that never open a database do not pay for it. Node 22 marks node:sqlite
 * experimental and prints a warning when it loads; that one warning is
 * dropped (the API used here is the same on 22, 24 and 26), every other
 * warning is left alone.
 */
import type {DatabaseSync, SQLInputValue} from 'node:sqlite'
import {SUPPORTED_NODE} from '../core/node-lines.js'
import {ConfigError} from '../errors.js'

type SqliteModule = typeof import('node:sqlite')

let loaded: SqliteModule | undefined

/** node:sqlite, or ConfigError SQLITE_UNAVAILABLE: a Node.js without it is the cause, never the ledger. */
export function sqliteModule(): SqliteModule {
  if (loaded) return loaded
  const original = process.emitWarning
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning?.message
    if (typeof text === 'string' && text.startsWith('SQLite is an experimental feature')) return
    return (original as (...args: unknown[]) => void).call(process, warning, ...rest)
  } as typeof process.emitWarning
  let module: SqliteModule | undefined
  try {
    module = typeof process.getBuiltinModule === 'function' ? (process.getBuiltinModule('node:sqlite') as SqliteModule | undefined) : undefined
  } catch {
    module = undefined
  } finally {
    process.emitWarning = original
  }
  if (!module || typeof module.DatabaseSync !== 'function' || typeof module.backup !== 'function') throw sqliteUnavailable()
  return (loaded = module)
}

function sqliteUnavailable(): ConfigError {
  return new ConfigError(
    'SQLITE_UNAVAILABLE',
    `This Node.js (${process.version}) has no usable built-in SQLite (node:sqlite with backup), which the ledger needs; no ledger or state file was opened or changed.`,
    `Install ${SUPPORTED_NODE} and run the same command with it (\`node --version\` shows which one runs); the offline release zip brings its own.`,
  )
}

/** SQLite's primary result code as better-sqlite3 named it (SQLITE_BUSY, SQLITE_NOTADB, …), or '' for any other error. */
export function sqliteCode(error: unknown): string {
  const errcode = (error as {errcode?: unknown} | null)?.errcode
  if (typeof errcode !== 'number') return ''
  return PRIMARY_CODES[errcode & 0xff] ?? `SQLITE_${errcode}`
}

const PRIMARY_CODES: Record<number, string> = {
  1: 'SQLITE_ERROR',
  3: 'SQLITE_PERM',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  19: 'SQLITE_CONSTRAINT',
  23: 'SQLITE_AUTH',
  26: 'SQLITE_NOTADB',
}

export interface OpenOptions {
  /** Read-only; a missing file is SQLITE_CANTOPEN, never created. */
  readOnly?: boolean
}

/**
 * A prepared statement. Rows come back as `unknown` for the caller to type
 * (as better-sqlite3 gave them); integers are plain numbers (the ledger holds
 * none past 2^53), so `changes` is one too.
 */
export interface Statement {
  get(...params: SQLInputValue[]): unknown
  all(...params: SQLInputValue[]): unknown[]
  run(...params: SQLInputValue[]): {changes: number; lastInsertRowid: number | bigint}
}

/** A transaction as better-sqlite3 made it: call it, or `.immediate()` to take the write lock up front. */
export interface Transaction<T> {
  (): T
  immediate(): T
}

export class Sqlite {
  private readonly db: DatabaseSync
  private depth = 0

  constructor(
    readonly path: string,
    options: OpenOptions = {},
  ) {
    const {DatabaseSync} = sqliteModule()
    this.db = new DatabaseSync(path, {readOnly: options.readOnly ?? false})
  }

  prepare(sql: string): Statement {
    return this.db.prepare(sql) as unknown as Statement
  }

  exec(sql: string): void {
    this.db.exec(sql)
  }

  /** `PRAGMA <text>`, its rows. */
  pragma(text: string): unknown[] {
    return this.db.prepare(`PRAGMA ${text}`).all()
  }

  transaction<T>(work: () => T): Transaction<T> {
    const run = (begin: string) => {
      if (this.depth > 0) return this.nested(work)
      this.db.exec(begin)
      this.depth++
      try {
        const result = work()
        this.db.exec('COMMIT')
        return result
      } catch (error) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK')
        throw error
      } finally {
        this.depth--
      }
    }
    return Object.assign(() => run('BEGIN'), {immediate: () => run('BEGIN IMMEDIATE')})
  }

  private nested<T>(work: () => T): T {
    const name = `melon_immotop_${this.depth}`
    this.db.exec(`SAVEPOINT ${name}`)
    this.depth++
    try {
      const result = work()
      this.db.exec(`RELEASE ${name}`)
      return result
    } catch (error) {
      this.db.exec(`ROLLBACK TO ${name}`)
      this.db.exec(`RELEASE ${name}`)
      throw error
    } finally {
      this.depth--
    }
  }

  /** A consistent copy into `target` through SQLite's online backup API. */
  async backup(target: string): Promise<void> {
    await sqliteModule().backup(this.db, target)
  }

  close(): void {
    if (this.db.isOpen) this.db.close()
  }
}
