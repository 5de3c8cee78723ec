/**
 * The local ledger: a SQLite database in the state directory that records
 * every handover and publication with a stable operation key, so that re-runs
 * resume from the last completed step and never redo or skip one.
 *
 * Handover steps, in order: started → fetched → delivered → picked_up →
 * (notifying →) notified. Status: in_progress, done, failed. "delivered" and
 * in_progress means: waiting for Immotop 2 to pick the files up.
 * Claims (owner pid + lease) keep two processes off the same operation.
 * Nothing personal is stored: ids, references, file names, sizes, hashes,
 * Immotop 2 document ids, error codes and messages built from ids.
 */
import {closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, statSync} from 'node:fs'
import {chmod, mkdir, readdir, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {AppError, BugError, ConfigError, StateError, diskFullError} from '../errors.js'
import {CONTRACT_TRANSITIONS, HANDOVER_TRANSITIONS, isTransition} from '../core/transitions.js'
import {renameDurably} from '../adapters/durable.js'
import {ownStamp, parseStamp, stampStillRuns, stillClaimant} from './process-alive.js'
import {Sqlite, sqliteCode, sqliteModule, type Statement} from './sqlite.js'

export const LEDGER_FILE = 'ledger.sqlite'
/** Written next to a new ledger: from then on, a missing or empty ledger means it was lost, not that the folder is new. */
export const STATE_MARKER = '.melon-immotop-state'
export const BACKUP_DIR = 'backups'
export const BACKUP_GENERATIONS = 5

const RECOVERY = 'Restore the latest backup with `melon-immotop state restore`, or rebuild the ledger from melon and the staging folders with `melon-immotop state rebuild`; until then nothing is sent, so nothing is sent twice.'

/** Throws ConfigError SQLITE_UNAVAILABLE when this Node.js cannot keep a ledger (no node:sqlite); opens nothing. */
export function assertSqliteAvailable(): void {
  sqliteModule()
}

/** The state folder was used before: its marker or a backup is there. */
export function stateShowsUse(stateDir: string): boolean {
  if (existsSync(join(stateDir, STATE_MARKER))) return true
  try {
    return readdirSync(join(stateDir, BACKUP_DIR)).some((n) => n.endsWith('.sqlite'))
  } catch {
    return false
  }
}

/** Opens a ledger file read-only, runs SQLite's quick_check, and counts its handovers; throws when it is not a sound ledger. */
export function checkLedgerFile(file: string): number {
  const db = new Sqlite(file, {readOnly: true})
  try {
    const problems = (db.pragma('quick_check') as Array<{quick_check: string}>).filter((r) => r.quick_check !== 'ok')
    if (problems.length > 0) throw new Error(problems[0]!.quick_check)
    return (db.prepare('SELECT COUNT(*) AS n FROM operations').get() as {n: number}).n
  } finally {
    db.close()
  }
}

/** What a ledger file (a backup) holds per tenant, read-only: whether some handover of it got as far as delivery. */
export function handoversIn(file: string): Map<string, {delivered: boolean}> {
  const db = new Sqlite(file, {readOnly: true})
  try {
    const rows = db.prepare('SELECT tenant_id, step, status FROM operations').all() as Array<{tenant_id: string; step: string; status: string}>
    const byTenant = new Map<string, {delivered: boolean}>()
    for (const row of rows) {
      const delivered = row.status === 'done' || HANDOVER_STEPS.indexOf(row.step as HandoverStep) >= HANDOVER_STEPS.indexOf('delivered') || row.step === 'acknowledged'
      byTenant.set(row.tenant_id, {delivered: delivered || Boolean(byTenant.get(row.tenant_id)?.delivered)})
    }
    return byTenant
  } finally {
    db.close()
  }
}

/** The backups of a state folder, newest first. */
export function listBackups(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, BACKUP_DIR))
      .filter((n) => /^ledger-\d{8}T\d{6}\d*Z\.sqlite$/.test(n))
      .sort()
      .reverse()
      .map((n) => join(stateDir, BACKUP_DIR, n))
  } catch {
    return []
  }
}

export const HANDOVER_STEPS = ['started', 'fetched', 'delivered', 'picked_up', 'notifying', 'notified'] as const
export type HandoverStep = (typeof HANDOVER_STEPS)[number]
export type OperationStatus = 'in_progress' | 'done' | 'failed'

export interface OperationRow {
  op_key: string
  kind: 'handover'
  tenant_id: string
  unit_ref: string
  handover_id: string
  dossier_hash: string
  step: HandoverStep
  status: OperationStatus
  attempts: number
  last_error_code: string | null
  last_error: string | null
  notify: number
  owner_pid: number | null
  /** The claimant's ProcessStamp (JSON); null for claims of 0.1.0, which the lease and pid judge. */
  owner_stamp: string | null
  lease_until: number | null
  /** When every file was in the staging folder: since then, waiting for pick-up. */
  delivered_at: string | null
  /** The staging folder 2 its files went into (recorded with the first one); null for handovers of earlier versions. */
  staging_dir: string | null
  /** That folder's identity then (inode number and birth time), to recognise it under another path; null where the file system gives none. */
  staging_dir_id: string | null
  created_at: string
  updated_at: string
}

export interface FileRow {
  op_key: string
  file_name: string
  kind: string
  size: number
  sha256: string
  /** Recorded just before the control file is moved in: from then on, the file counts as delivered. */
  control_moved_at: string | null
  delivered_at: string | null
  picked_up_at: string | null
  immotop_document_id: string | null
}

export interface EventRow {
  id: number
  op_key: string | null
  kind: string
  reference: string | null
  tenant_id: string | null
  step: string
  detail: string | null
  at: string
}

/**
 * After the handover: watching for the contract in Immotop 2 (closing the loop).
 * waiting → found (detected, or confirmed by a person) → telling (the update
 * to melon is under way) → told → closed (the listing is rented, withdrawn or
 * left alone). ambiguous and unmatched wait for a person or for a change.
 */
export const CONTRACT_STATES = ['waiting', 'ambiguous', 'unmatched', 'found', 'telling', 'told', 'closed'] as const
export type ContractState = (typeof CONTRACT_STATES)[number]

export interface ContractRow {
  op_key: string
  tenant_id: string
  unit_ref: string
  /** When the files were handed over (ISO, UTC). */
  handed_over_at: string
  /** JSON list of the tenancy refs the unit had when watching began; null until the first check. */
  baseline: string | null
  state: ContractState
  tenancy_ref: string | null
  tenancy_from: string | null
  settled_by: 'detected' | 'operator' | null
  reason: string | null
  /** JSON list of {ref, from} of an ambiguous or unmatched check. */
  candidates: string | null
  melon_told_at: string | null
  listing_result: string | null
  attempts: number
  last_error_code: string | null
  last_error: string | null
  owner_pid: number | null
  owner_stamp: string | null
  lease_until: number | null
  /** Counts the decisions recorded (setContract): a pass writes its result only to the revision it read. */
  revision: number
  created_at: string
  updated_at: string
}

const LEASE_MS = 10 * 60_000

/**
 * Another process holds this claim: the process its stamp names still runs
 * (no wall-clock time takes part, so no clock step frees a live claim, and a
 * claimant needs no lease). A claim of 0.1.0 (pid and lease only) is held
 * while its lease runs and its pid is still the process that took or last
 * renewed it.
 */
function heldByAnother(row: {owner_pid: number | null; owner_stamp: string | null; lease_until: number | null}, now: number): boolean {
  if (row.owner_pid === null || row.owner_pid === process.pid) return false
  const stamp = parseStamp(row.owner_stamp)
  if (stamp) return stampStillRuns(stamp)
  if ((row.lease_until ?? 0) <= now) return false
  return stillClaimant(row.owner_pid, row.lease_until! - LEASE_MS)
}

/** This process's claim stamp, as the ledger keeps it. */
const claimStamp = () => JSON.stringify(ownStamp())


export class Ledger {
  db!: Sqlite
  readonly path: string
  /** Statements prepared once per text and database: preparing costs more than most of these statements' runs. */
  private statements = {db: null as Sqlite | null, byText: new Map<string, Statement>()}

  /**
   * Opens the ledger. A state folder that shows earlier use (its marker, a
   * backup) with a missing or empty ledger, or a ledger that is not an SQLite
   * database, is a StateError naming the file and the recovery: a lost ledger
   * must never make the tool hand everything over again. `fresh` is for
   * `state rebuild` only.
   */
  constructor(readonly stateDir: string, options: {fresh?: boolean} = {}) {
    mkdirSync(stateDir, {recursive: true, mode: 0o700})
    this.path = join(stateDir, LEDGER_FILE)
    const used = !options.fresh && stateShowsUse(stateDir)
    const size = existsSync(this.path) ? statSync(this.path).size : 0
    if (used && size === 0) {
      throw new StateError('LEDGER_LOST', `The ledger ${this.path} is ${existsSync(this.path) ? 'empty' : 'missing'}, but ${stateDir} was used before (it has ${STATE_MARKER} or backups).`, RECOVERY)
    }
    // Processes that open a new ledger together may find it busy while one switches it to WAL: try again, briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        this.db = new Sqlite(this.path)
        this.init(used)
        break
      } catch (error) {
        this.db?.close()
        const busy = sqliteCode(error) === 'SQLITE_BUSY'
        if (!busy || attempt >= 5) throw this.openError(error)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100 * attempt)
      }
    }
    writeMarker(stateDir)
  }

  private sql(text: string): Statement {
    if (this.statements.db !== this.db) this.statements = {db: this.db, byText: new Map()}
    let statement = this.statements.byText.get(text)
    if (!statement) this.statements.byText.set(text, (statement = this.db.prepare(text)))
    return statement
  }

  private openError(error: unknown): AppError {
    if (error instanceof AppError) return error
    const code = sqliteCode(error)
    const full = diskFullError(error, this.stateDir, 'The ledger was not changed.')
    if (full) return full
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      return new StateError('LEDGER_CORRUPT', `The ledger ${this.path} is damaged (${code}).`, RECOVERY, {cause: error})
    }
    return new StateError('LEDGER_UNUSABLE', `The ledger ${this.path} cannot be opened (${code || (error as Error).message}).`, `Check the permissions of ${this.stateDir}; if the file is damaged: ${RECOVERY}`, {cause: error})
  }

  private init(used: boolean): void {
    // Wait for a lock before anything else: switching to WAL needs one, and two
    // processes opening a new ledger at once would otherwise fail at once.
    this.db.pragma('busy_timeout = 10000')
    this.db.pragma('journal_mode = WAL')
    // FULL: a commit is on disk before the ledger says a step is done (ARCHITECTURE.md, durability).
    this.db.pragma('synchronous = FULL')
    if (used && !this.sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'operations'").get()) {
      throw new StateError('LEDGER_LOST', `The ledger ${this.path} holds no handovers table, but ${this.stateDir} was used before.`, RECOVERY)
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS operations (
        op_key TEXT PRIMARY KEY, kind TEXT NOT NULL, tenant_id TEXT NOT NULL, unit_ref TEXT NOT NULL,
        handover_id TEXT NOT NULL, dossier_hash TEXT NOT NULL, step TEXT NOT NULL, status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, last_error_code TEXT, last_error TEXT, notify INTEGER NOT NULL DEFAULT 0,
        owner_pid INTEGER, owner_stamp TEXT, lease_until INTEGER, delivered_at TEXT, staging_dir TEXT, staging_dir_id TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS operations_tenant ON operations (tenant_id);
      CREATE TABLE IF NOT EXISTS operation_files (
        op_key TEXT NOT NULL, file_name TEXT NOT NULL, kind TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
        control_moved_at TEXT, delivered_at TEXT, picked_up_at TEXT, immotop_document_id TEXT, PRIMARY KEY (op_key, file_name));
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, op_key TEXT, kind TEXT NOT NULL, reference TEXT, tenant_id TEXT,
        step TEXT NOT NULL, detail TEXT, at TEXT NOT NULL);
    `)
    this.migrate()
  }

  /**
   * The melon project this state folder serves: recorded by the first run that
   * hands over or watches contracts, and checked by every later one. Another
   * project is refused before anything is read or sent: its tenants would be
   * taken for the ones handed over here (tenant ids may repeat across
   * projects), and its contracts reported to the wrong tenants.
   */
  belongsTo(project: string): void {
    // Another process may record first: the value read after the insert is the one that counts.
    if (this.project() === null) this.sql("INSERT OR IGNORE INTO meta (key, value) VALUES ('melon.project', ?)").run(project)
    const mismatch = this.projectMismatch(project)
    if (mismatch) throw mismatch
  }

  /** The melon project recorded for this state folder, or null before the first handover. */
  project(): string | null {
    return (this.sql("SELECT value FROM meta WHERE key = 'melon.project'").get() as {value: string} | undefined)?.value ?? null
  }

  /** The error for a config of another project than the recorded one (doctor reports it without recording anything). */
  projectMismatch(project: string): ConfigError | null {
    const owner = this.project()
    if (owner === null || owner === project) return null
    return new ConfigError(
      'STATE_OF_ANOTHER_PROJECT',
      `${this.stateDir} holds the handovers of melon project "${owner}", not of "${project}" (melon.project); nothing was read or sent.`,
      `Give each melon project a state folder of its own: set stateDir in the config of "${project}" to a new folder. If "${project}" is the same project under a new name, \`melon-immotop state rebuild\` makes a new ledger for it (the old one is put aside).`,
    )
  }

  /** Writes since this ledger was opened: a pass that changed nothing needs no backup. */
  changes(): number {
    return (this.sql('SELECT total_changes() AS n').get() as {n: number}).n
  }

  /** SQLite's quick integrity check: empty when the ledger is sound. */
  quickCheck(): string[] {
    const rows = this.db.pragma('quick_check') as Array<{quick_check: string}>
    return rows.map((r) => r.quick_check).filter((r) => r !== 'ok')
  }

  /**
   * A consistent copy through SQLite's backup API into `stateDir/backups/`,
   * owner-only, written aside and moved in; the newest `keep` are kept.
   */
  async backup(keep = BACKUP_GENERATIONS): Promise<string> {
    const dir = join(this.stateDir, BACKUP_DIR)
    await mkdir(dir, {recursive: true, mode: 0o700})
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.(\d+)Z$/, '$1Z')
    const target = join(dir, `ledger-${stamp}.sqlite`)
    const partial = join(dir, `.ledger-${stamp}-${process.pid}.part`)
    try {
      await this.db.backup(partial)
      await chmod(partial, 0o600)
      await renameDurably(partial, target)
    } catch (error) {
      await rm(partial, {force: true})
      throw diskFullError(error, dir, 'The ledger itself is intact; only this backup is missing.') ?? error
    }
    for (const old of listBackups(this.stateDir).slice(keep)) await rm(old, {force: true})
    for (const name of await readdir(dir)) if (name.endsWith('.part') && !name.includes(`-${process.pid}.`)) await rm(join(dir, name), {force: true})
    return target
  }

  /**
   * Ledgers written before pick-up was the acknowledgement lack three columns
   * and name the step "acknowledged"; older ones lack the staging folder of a
   * handover (two columns) and the contracts table. A new ledger has them already, so the
   * common open only reads; a migration takes the write lock up front
   * (BEGIN IMMEDIATE), which waits for other processes instead of failing.
   */
  private migrate(): void {
    const columns = (table: string) => new Set((this.sql(`PRAGMA table_info(${table})`).all() as Array<{name: string}>).map((c) => c.name))
    const needed = () => {
      const files = columns('operation_files')
      return {
        controlMoved: !files.has('control_moved_at'),
        pickedUp: !files.has('picked_up_at'),
        deliveredAt: !columns('operations').has('delivered_at'),
        stagingDir: !columns('operations').has('staging_dir'),
        steps: this.sql("SELECT 1 FROM operations WHERE step = 'acknowledged' LIMIT 1").get() !== undefined,
        contracts: this.sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'contracts'").get() === undefined,
        ownerStamp: !columns('operations').has('owner_stamp') || !columns('contracts').has('owner_stamp') || !columns('contracts').has('revision'),
      }
    }
    if (!Object.values(needed()).some(Boolean)) return
    this.db
      .transaction(() => {
        const todo = needed()
        if (todo.controlMoved) this.db.exec('ALTER TABLE operation_files ADD COLUMN control_moved_at TEXT')
        if (todo.pickedUp) this.db.exec('ALTER TABLE operation_files ADD COLUMN picked_up_at TEXT')
        if (todo.deliveredAt) this.db.exec('ALTER TABLE operations ADD COLUMN delivered_at TEXT')
        if (todo.stagingDir) this.db.exec('ALTER TABLE operations ADD COLUMN staging_dir TEXT; ALTER TABLE operations ADD COLUMN staging_dir_id TEXT')
        // "acknowledged" was the step's name while Immotop 2 was assumed to answer every file.
        if (todo.steps) this.db.exec("UPDATE operations SET step = 'picked_up' WHERE step = 'acknowledged'")
        if (todo.contracts) this.createContracts()
        if (!columns('operations').has('owner_stamp')) this.db.exec('ALTER TABLE operations ADD COLUMN owner_stamp TEXT')
        if (!columns('contracts').has('owner_stamp')) this.db.exec('ALTER TABLE contracts ADD COLUMN owner_stamp TEXT')
        if (!columns('contracts').has('revision')) this.db.exec('ALTER TABLE contracts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0')
      })
      .immediate()
  }

  /**
   * The contract watches. Handovers picked up before this table existed are
   * entered as closed, never watched: their unit may be vacant again with a
   * new listing, which an old contract must not set to rented.
   */
  private createContracts(): void {
    this.db.exec(`
      CREATE TABLE contracts (
        op_key TEXT PRIMARY KEY, tenant_id TEXT NOT NULL UNIQUE, unit_ref TEXT NOT NULL, handed_over_at TEXT NOT NULL,
        baseline TEXT, state TEXT NOT NULL, tenancy_ref TEXT, tenancy_from TEXT, settled_by TEXT, reason TEXT,
        candidates TEXT, melon_told_at TEXT, listing_result TEXT, attempts INTEGER NOT NULL DEFAULT 0,
        last_error_code TEXT, last_error TEXT, owner_pid INTEGER, owner_stamp TEXT, lease_until INTEGER, revision INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`)
    this.closeUnwatched('handed over before contracts were watched; not watched')
  }

  /** Enters the picked-up handovers that have no watch as closed ones (older handovers; a rebuilt ledger). */
  closeUnwatched(reason: string): number {
    const now = this.now()
    return this.db
      .prepare(
        `INSERT OR IGNORE INTO contracts (op_key, tenant_id, unit_ref, handed_over_at, state, reason, created_at, updated_at)
         SELECT o.op_key, o.tenant_id, o.unit_ref, COALESCE(o.delivered_at, o.updated_at), 'closed', ?, ?, ? FROM operations o
         WHERE o.step IN ('picked_up', 'notifying', 'notified')
           AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.tenant_id = o.tenant_id)
           AND o.created_at = (SELECT MAX(created_at) FROM operations p WHERE p.tenant_id = o.tenant_id)`,
      )
      .run(reason, now, now).changes
  }

  close(): void {
    this.db.close()
  }

  private now(): string {
    return new Date().toISOString()
  }

  get(opKey: string): OperationRow | undefined {
    return this.sql('SELECT * FROM operations WHERE op_key = ?').get(opKey) as OperationRow | undefined
  }

  byHandoverId(handoverId: string): OperationRow | undefined {
    return this.sql('SELECT * FROM operations WHERE handover_id = ? ORDER BY updated_at DESC LIMIT 1').get(handoverId) as OperationRow | undefined
  }

  /** The finished handover of a tenant, if any (whatever its dossier hash). */
  doneForTenant(tenantId: string): OperationRow | undefined {
    return this.sql("SELECT * FROM operations WHERE tenant_id = ? AND status = 'done' ORDER BY updated_at DESC LIMIT 1").get(tenantId) as OperationRow | undefined
  }

  /** The files of many operations in one query. */
  filesOf(opKeys: string[]): FileRow[] {
    if (opKeys.length === 0) return []
    return this.sql(`SELECT * FROM operation_files WHERE op_key IN (SELECT value FROM json_each(?)) ORDER BY op_key, file_name`).all(JSON.stringify(opKeys)) as FileRow[]
  }

  files(opKey: string): FileRow[] {
    return this.sql('SELECT * FROM operation_files WHERE op_key = ? ORDER BY file_name').all(opKey) as FileRow[]
  }

  /**
   * Creates the operation if new, and claims it for this process. Returns null
   * when another live process holds it.
   */
  claim(op: Pick<OperationRow, 'op_key' | 'tenant_id' | 'unit_ref' | 'handover_id' | 'dossier_hash'>, notify: boolean): OperationRow | null {
    const now = Date.now()
    return this.db.transaction(() => {
      const existing = this.get(op.op_key)
      if (!existing) {
        this.db
          .prepare(
            `INSERT INTO operations (op_key, kind, tenant_id, unit_ref, handover_id, dossier_hash, step, status, attempts, notify, owner_pid, owner_stamp, lease_until, created_at, updated_at)
             VALUES (?, 'handover', ?, ?, ?, ?, 'started', 'in_progress', 0, ?, ?, ?, ?, ?, ?)`,
          )
          .run(op.op_key, op.tenant_id, op.unit_ref, op.handover_id, op.dossier_hash, notify ? 1 : 0, process.pid, claimStamp(), now + LEASE_MS, this.now(), this.now())
        this.event(op.op_key, 'handover', op.unit_ref, op.tenant_id, 'started', null)
        return this.get(op.op_key)!
      }
      if (heldByAnother(existing, now)) return null
      this.sql('UPDATE operations SET owner_pid = ?, owner_stamp = ?, lease_until = ?, notify = MAX(notify, ?), updated_at = ? WHERE op_key = ?').run(process.pid, claimStamp(), now + LEASE_MS, notify ? 1 : 0, this.now(), op.op_key)
      return this.get(op.op_key)!
    })()
  }

  /**
   * For `state rebuild` and `state restore`: an operation with its files,
   * every control file taken as moved in (so none is ever written again), at
   * the step the evidence shows, in place of what the ledger held of it.
   */
  insertRebuilt(
    op: Pick<OperationRow, 'op_key' | 'tenant_id' | 'unit_ref' | 'handover_id' | 'dossier_hash'>,
    files: Array<Pick<FileRow, 'file_name' | 'kind' | 'size' | 'sha256'>>,
    at: {step: HandoverStep; status: OperationStatus; detail: string},
  ): void {
    const now = this.now()
    this.db.transaction(() => {
      // A restored backup may hold it at an earlier step: the evidence replaces that.
      this.sql('DELETE FROM operation_files WHERE op_key = ?').run(op.op_key)
      this.sql('DELETE FROM operations WHERE op_key = ?').run(op.op_key)
      this.db
        .prepare(
          `INSERT INTO operations (op_key, kind, tenant_id, unit_ref, handover_id, dossier_hash, step, status, attempts, notify, delivered_at, created_at, updated_at)
           VALUES (?, 'handover', ?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?)`,
        )
        .run(op.op_key, op.tenant_id, op.unit_ref, op.handover_id, op.dossier_hash, at.step, at.status, now, now, now)
      const insert = this.sql('INSERT INTO operation_files (op_key, file_name, kind, size, sha256, control_moved_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      for (const f of files) insert.run(op.op_key, f.file_name, f.kind, f.size, f.sha256, now, now)
      this.event(op.op_key, 'handover', op.unit_ref, op.tenant_id, at.step, at.detail)
    })()
  }

  release(opKey: string): void {
    this.sql('UPDATE operations SET owner_pid = NULL, owner_stamp = NULL, lease_until = NULL WHERE op_key = ? AND owner_pid = ?').run(opKey, process.pid)
  }

  /** Moves an operation to `step` (forward, or back to started/fetched after a refusal). */
  advance(opKey: string, step: HandoverStep, status: OperationStatus = 'in_progress', detail: string | null = null): void {
    this.db.transaction(() => {
      const op = this.get(opKey)!
      assertHandoverStep(opKey, op.step, step)
      const deliveredAt = step === 'delivered' ? this.now() : stepRank(step) < stepRank('delivered') ? null : op.delivered_at
      this.sql('UPDATE operations SET step = ?, status = ?, delivered_at = ?, updated_at = ?, lease_until = ? WHERE op_key = ?').run(step, status, deliveredAt, this.now(), Date.now() + LEASE_MS, opKey)
      this.event(opKey, 'handover', op.unit_ref, op.tenant_id, step, detail)
    })()
  }

  /**
   * The staging folder 2 a handover's files go into: recorded at its claim
   * until the first control file has gone in, and from then on kept, so that
   * pick-up is judged where the files are, whatever staging.incomingDir names
   * later. `followed`: the handover follows the configured folder (the same
   * folder under another path, or its waiting files were moved there), and
   * an event says so.
   */
  bindStaging(opKey: string, dir: string, identity: string | null, followed = false): void {
    this.sql('UPDATE operations SET staging_dir = ?, staging_dir_id = ? WHERE op_key = ?').run(dir, identity, opKey)
    if (followed) this.note(opKey, 'staging_folder_followed', `its waiting files are in ${dir}, the configured staging folder 2`)
  }

  /** An event without a change of step (e.g. "still waiting for pick-up"). */
  note(opKey: string, what: string, detail: string | null): void {
    const op = this.get(opKey)!
    this.event(opKey, 'handover', op.unit_ref, op.tenant_id, what, detail)
  }

  /** Handovers delivered and not yet picked up by Immotop 2, oldest first. */
  waitingForPickup(): OperationRow[] {
    return this.sql("SELECT * FROM operations WHERE step = 'delivered' AND status = 'in_progress' ORDER BY delivered_at").all() as OperationRow[]
  }

  startAttempt(opKey: string): void {
    this.sql('UPDATE operations SET attempts = attempts + 1, updated_at = ? WHERE op_key = ?').run(this.now(), opKey)
  }

  fail(opKey: string, code: string, message: string, resetTo?: HandoverStep): void {
    this.db.transaction(() => {
      const op = this.get(opKey)!
      if (resetTo) assertHandoverStep(opKey, op.step, resetTo)
      this.db
        .prepare("UPDATE operations SET status = 'failed', step = COALESCE(?, step), last_error_code = ?, last_error = ?, updated_at = ? WHERE op_key = ?")
        .run(resetTo ?? null, code, message, this.now(), opKey)
      this.event(opKey, 'handover', op.unit_ref, op.tenant_id, 'failed', `${code}: ${message}`)
    })()
  }

  recordFiles(opKey: string, files: Array<Pick<FileRow, 'file_name' | 'kind' | 'size' | 'sha256'>>): void {
    const insert = this.sql(
      `INSERT INTO operation_files (op_key, file_name, kind, size, sha256) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(op_key, file_name) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256`,
    )
    this.db.transaction(() => {
      for (const f of files) insert.run(opKey, f.file_name, f.kind, f.size, f.sha256)
    })()
  }

  /** Several records as one commit (one flush to disk): what must be durable together, or need not be durable apart. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)()
  }

  /** The intent, recorded before the control file is moved in: a resumed run never writes that control file again. */
  markControlMoving(opKey: string, fileName: string): void {
    this.sql('UPDATE operation_files SET control_moved_at = COALESCE(control_moved_at, ?) WHERE op_key = ? AND file_name = ?').run(this.now(), opKey, fileName)
  }

  /** Files whose control file's move is recorded as intended but whose delivery is not: a resumed handover moves them in. */
  controlMovesPending(): string[] {
    return (this.sql('SELECT file_name FROM operation_files WHERE control_moved_at IS NOT NULL AND delivered_at IS NULL').all() as Array<{file_name: string}>).map((row) => row.file_name)
  }

  markDelivered(opKey: string, fileName: string): void {
    this.sql('UPDATE operation_files SET delivered_at = COALESCE(delivered_at, ?) WHERE op_key = ? AND file_name = ?').run(this.now(), opKey, fileName)
  }

  /** Picked up by Immotop 2, with the DocumentId of a SavedDocument answer where one came. */
  recordPickup(opKey: string, fileName: string, documentId: string | null): void {
    this.db
      .prepare('UPDATE operation_files SET picked_up_at = COALESCE(picked_up_at, ?), immotop_document_id = COALESCE(?, immotop_document_id) WHERE op_key = ? AND file_name = ?')
      .run(this.now(), documentId, opKey, fileName)
  }

  /** Forgets the delivery of files (after a refusal they are delivered anew). */
  resetDelivery(opKey: string, fileNames: string[]): void {
    const reset = this.sql('UPDATE operation_files SET control_moved_at = NULL, delivered_at = NULL, picked_up_at = NULL WHERE op_key = ? AND file_name = ?')
    this.db.transaction(() => {
      for (const name of fileNames) reset.run(opKey, name)
    })()
  }

  /**
   * Starts watching for the contract of every handover that Immotop 2 picked
   * up (one watch per tenant: the newest handover). Returns how many began.
   */
  startContractWatches(): number {
    const now = this.now()
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `SELECT o.op_key, o.tenant_id, o.unit_ref, COALESCE(o.delivered_at, o.updated_at) AS at FROM operations o
           WHERE o.step IN ('picked_up', 'notifying', 'notified')
             AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.tenant_id = o.tenant_id)
             AND o.created_at = (SELECT MAX(created_at) FROM operations p WHERE p.tenant_id = o.tenant_id)`,
        )
        .all() as Array<{op_key: string; tenant_id: string; unit_ref: string; at: string}>
      const insert = this.sql("INSERT OR IGNORE INTO contracts (op_key, tenant_id, unit_ref, handed_over_at, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'waiting', ?, ?)")
      for (const r of rows) {
        insert.run(r.op_key, r.tenant_id, r.unit_ref, r.at, now, now)
        this.event(r.op_key, 'contract', r.unit_ref, r.tenant_id, 'watching', 'picked up by Immotop 2; watching the unit for the contract')
      }
      return rows.length
    })()
  }

  contract(tenantId: string): ContractRow | undefined {
    return this.sql('SELECT * FROM contracts WHERE tenant_id = ?').get(tenantId) as ContractRow | undefined
  }

  contractRows(filter: {open?: boolean} = {}): ContractRow[] {
    return this.sql(`SELECT * FROM contracts ${filter.open ? "WHERE state <> 'closed'" : ''} ORDER BY created_at, tenant_id`).all() as ContractRow[]
  }

  setContractBaseline(opKey: string, refs: string[]): void {
    this.sql('UPDATE contracts SET baseline = COALESCE(baseline, ?), updated_at = ? WHERE op_key = ?').run(JSON.stringify(refs), this.now(), opKey)
  }

  /**
   * Records what a check or a person found. An event is written only when the
   * state or the reason changes, so that a pass over unchanged watches adds nothing.
   * With `ifRevision`, only a watch still at the revision its caller read is
   * changed (returns false otherwise): a decision made from an older reading
   * never overwrites one recorded meanwhile (a person's confirmation).
   */
  setContract(
    opKey: string,
    change: {state: ContractState; reason?: string | null; candidates?: Array<{ref: string; from: string}> | null; tenancy?: {ref: string; from: string; by: 'detected' | 'operator'}; listingResult?: string; told?: boolean},
    ifRevision?: number,
  ): boolean {
    return this.db.transaction(() => {
      const row = this.sql('SELECT * FROM contracts WHERE op_key = ?').get(opKey) as ContractRow
      if (ifRevision !== undefined && row.revision !== ifRevision) return false
      assertWatchState(row, change.state, Boolean(change.tenancy))
      // A tenancy is one tenant's contract: never recorded for a second watch on its unit.
      if (change.tenancy && this.tenancyTakenBy(row.unit_ref, change.tenancy.ref, opKey)) return false
      const reason = change.reason === undefined ? row.reason : change.reason
      const candidates = change.candidates === undefined ? row.candidates : change.candidates === null ? null : JSON.stringify(change.candidates)
      // A pass over unchanged watches writes nothing (no commit, no flush): only a change is recorded.
      if (unchanged(row, change, reason, candidates)) return true
      this.db
        .prepare(
          `UPDATE contracts SET state = ?, reason = ?, candidates = ?, tenancy_ref = COALESCE(?, tenancy_ref), tenancy_from = COALESCE(?, tenancy_from),
             settled_by = COALESCE(?, settled_by), listing_result = COALESCE(?, listing_result), melon_told_at = COALESCE(melon_told_at, ?),
             last_error_code = NULL, last_error = NULL, revision = revision + 1, updated_at = ? WHERE op_key = ?`,
        )
        .run(
          change.state,
          reason,
          candidates,
          change.tenancy?.ref ?? null,
          change.tenancy?.from ?? null,
          change.tenancy?.by ?? null,
          change.listingResult ?? null,
          change.told ? this.now() : null,
          this.now(),
          opKey,
        )
      if (row.state !== change.state || row.reason !== reason) this.event(opKey, 'contract', row.unit_ref, row.tenant_id, change.state, reason)
      return true
    })()
  }

  /** The tenant whose watch holds this tenancy of the unit as its contract (another watch than `exceptOpKey`), or null. */
  tenancyTakenBy(unitRef: string, tenancyRef: string, exceptOpKey: string): string | null {
    const row = this.sql('SELECT tenant_id FROM contracts WHERE unit_ref = ? AND tenancy_ref = ? AND op_key <> ? LIMIT 1').get(unitRef, tenancyRef, exceptOpKey) as {tenant_id: string} | undefined
    return row?.tenant_id ?? null
  }

  /** Claims a watch for this process (null when another live process holds it), counting the attempt. */
  claimContract(opKey: string): ContractRow | null {
    const now = Date.now()
    return this.db.transaction(() => {
      const row = this.sql('SELECT * FROM contracts WHERE op_key = ?').get(opKey) as ContractRow | undefined
      if (!row) return null
      if (heldByAnother(row, now)) return null
      this.sql('UPDATE contracts SET owner_pid = ?, owner_stamp = ?, lease_until = ?, attempts = attempts + 1 WHERE op_key = ?').run(process.pid, claimStamp(), now + LEASE_MS, opKey)
      return this.sql('SELECT * FROM contracts WHERE op_key = ?').get(opKey) as ContractRow
    })()
  }

  releaseContract(opKey: string): void {
    this.sql('UPDATE contracts SET owner_pid = NULL, owner_stamp = NULL, lease_until = NULL WHERE op_key = ? AND owner_pid = ?').run(opKey, process.pid)
  }

  failContract(opKey: string, code: string, message: string): void {
    this.db.transaction(() => {
      const row = this.sql('SELECT * FROM contracts WHERE op_key = ?').get(opKey) as ContractRow
      this.sql('UPDATE contracts SET last_error_code = ?, last_error = ?, updated_at = ? WHERE op_key = ?').run(code, message, this.now(), opKey)
      this.event(opKey, 'contract', row.unit_ref, row.tenant_id, 'failed', `${code}: ${message}`)
    })()
  }

  recordPublication(reference: string, source: string, action: string, detail: string | null): void {
    this.event(null, 'publish', reference, null, action, detail)
  }

  private event(opKey: string | null, kind: string, reference: string | null, tenantId: string | null, step: string, detail: string | null): void {
    this.sql('INSERT INTO events (op_key, kind, reference, tenant_id, step, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(opKey, kind, reference, tenantId, step, detail, this.now())
  }

  events(filter: {tenant?: string; unit?: string; since?: string; until?: string; kind?: string} = {}): EventRow[] {
    const {sql, params} = where([
      ['tenant_id = ?', filter.tenant],
      ['reference = ?', filter.unit],
      ['at >= ?', filter.since],
      ['at < ?', filter.until],
      ['kind = ?', filter.kind],
    ])
    return this.sql(`SELECT * FROM events ${sql} ORDER BY id`).all(...params) as EventRow[]
  }

  operations(filter: {tenant?: string; unit?: string} = {}): OperationRow[] {
    const {sql, params} = where([
      ['tenant_id = ?', filter.tenant],
      ['unit_ref = ?', filter.unit],
    ])
    return this.sql(`SELECT * FROM operations ${sql} ORDER BY created_at`).all(...params) as OperationRow[]
  }
}

const stepRank = (step: HandoverStep) => HANDOVER_STEPS.indexOf(step)

/** A handover moves only as core/transitions.ts lists: anything else is a bug, refused before it is written. */
function assertHandoverStep(opKey: string, from: HandoverStep, to: HandoverStep): void {
  if (isTransition(HANDOVER_TRANSITIONS, from, to)) return
  throw new BugError('ILLEGAL_TRANSITION', `Handover ${opKey} cannot go from step ${from} to ${to}; nothing was changed. This is a bug in melon-immotop.`, 'Run again with --verbose and report the output to the melon-immotop maintainers.')
}

/** A watch moves only as core/transitions.ts lists; closed → found only for an expired watch (no tenancy, melon never told), by a person. */
function assertWatchState(row: ContractRow, to: ContractState, withTenancy: boolean): void {
  const reopened = row.state === 'closed' && to === 'found'
  const expired = row.tenancy_ref === null && row.melon_told_at === null
  if (isTransition(CONTRACT_TRANSITIONS, row.state, to) && (!reopened || (expired && withTenancy))) return
  throw new BugError('ILLEGAL_TRANSITION', `The contract watch of tenant ${row.tenant_id} cannot go from ${row.state} to ${to}; nothing was changed. This is a bug in melon-immotop.`, 'Run again with --verbose and report the output to the melon-immotop maintainers.')
}

/** A contract change that changes nothing (a pass over a watch that still waits). */
function unchanged(row: ContractRow, change: {state: ContractState; tenancy?: unknown; listingResult?: string; told?: boolean}, reason: string | null, candidates: string | null): boolean {
  if (change.tenancy || change.listingResult || change.told || row.last_error_code !== null) return false
  return row.state === change.state && row.reason === reason && row.candidates === candidates
}

/** Created once, exclusively and never through a link. */
function writeMarker(stateDir: string): void {
  try {
    closeSync(openSync(join(stateDir, STATE_MARKER), constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0), 0o600))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}

/** A WHERE clause of the conditions whose value is given. */
function where(conditions: Array<[string, string | undefined]>): {sql: string; params: string[]} {
  const used = conditions.filter(([, value]) => value !== undefined && value !== '') as Array<[string, string]>
  return {sql: used.length ? `WHERE ${used.map(([c]) => c).join(' AND ')}` : '', params: used.map(([, v]) => v)}
}
