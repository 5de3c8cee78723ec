/** The sandbox's SQLite state (in --data-dir): melon's listings, tenants and documents, and what Immotop 2 received. */
import {Sqlite} from '../state/sqlite.js'

export type Db = Sqlite

export function openStore(path: string): Db {
  const db = new Sqlite(path)
  db.pragma('busy_timeout = 5000')
  db.pragma('journal_mode = WAL')
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS listings (
      reference_number TEXT PRIMARY KEY, body TEXT NOT NULL, num_applications INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS tenants (
      id TEXT PRIMARY KEY, seq INTEGER NOT NULL, contract_status TEXT NOT NULL, body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS documents (
      tenant_id TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL, file_name TEXT NOT NULL,
      content_type TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL,
      PRIMARY KEY (tenant_id, id));
    CREATE TABLE IF NOT EXISTS writes (
      id INTEGER PRIMARY KEY AUTOINCREMENT, method TEXT NOT NULL, path TEXT NOT NULL,
      idempotency_key TEXT, status INTEGER NOT NULL, at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS added_tenancies (id INTEGER PRIMARY KEY AUTOINCREMENT, spec TEXT NOT NULL, insts TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS staged_documents (
      document_id INTEGER PRIMARY KEY AUTOINCREMENT, archiv_id TEXT NOT NULL, dms_document_id TEXT NOT NULL UNIQUE,
      file_name TEXT NOT NULL, datei_name TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
      archive_path TEXT NOT NULL, received_at TEXT NOT NULL);
  `)
  return db
}

export function getMeta(db: Db, key: string): string | undefined {
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as {value: string} | undefined)?.value
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value)
}
