/**
 * The sandbox's SMTP sink (smtp-server): accepts mail on loopback after AUTH
 * and keeps every message in the sandbox database, readable as JSON at
 * GET <immotop>/_sandbox/mails.
 */
import {SMTPServer} from 'smtp-server'
import type {Db} from './store.js'

export interface SinkMail {
  id: number
  messageId: string | null
  /** SMTP deliveries of this Message-ID: 1 normally; more when a sender resent it. */
  deliveries: number
  from: string
  to: string[]
  subject: string
  text: string
  attachments: number
  receivedAt: string
}

export function ensureMailTable(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS mails (
    id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT, mail_from TEXT NOT NULL, rcpt_to TEXT NOT NULL,
    subject TEXT NOT NULL, text TEXT NOT NULL, attachments INTEGER NOT NULL, received_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS smtp_connections (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL)`)
}

/** How many SMTP connections senders opened (a pooled sender opens one per run, not one per mail). */
export function countConnections(db: Db): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM smtp_connections').get() as {n: number}).n
}

/**
 * The mailbox as its reader sees it: mail clients show messages with the same
 * Message-ID once, so they are listed once, with the number of SMTP deliveries.
 */
export function listMails(db: Db): SinkMail[] {
  const rows = db.prepare('SELECT * FROM mails ORDER BY id').all() as Array<{id: number; message_id: string | null; mail_from: string; rcpt_to: string; subject: string; text: string; attachments: number; received_at: string}>
  const byId = new Map<string, SinkMail>()
  const out: SinkMail[] = []
  for (const r of rows) {
    const key = r.message_id ?? `#${r.id}`
    const seen = byId.get(key)
    if (seen) {
      seen.deliveries++
      continue
    }
    const mail = {id: r.id, messageId: r.message_id, deliveries: 1, from: r.mail_from, to: JSON.parse(r.rcpt_to), subject: r.subject, text: r.text, attachments: r.attachments, receivedAt: r.received_at}
    byId.set(key, mail)
    out.push(mail)
  }
  return out
}

export async function startSmtpSink(options: {db: Db; host: string; port: number; user: string; password: string}): Promise<{port: number; close(): Promise<void>}> {
  ensureMailTable(options.db)
  const server = new SMTPServer({
    secure: false,
    // Loopback only: plain AUTH is acceptable here, and there is no certificate to offer.
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    authMethods: ['PLAIN', 'LOGIN'],
    size: 1024 * 1024,
    logger: false,
    onConnect(_session, callback) {
      options.db.prepare('INSERT INTO smtp_connections (at) VALUES (?)').run(new Date().toISOString())
      callback()
    },
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.password) return callback(null, {user: auth.username})
      return callback(new Error('Invalid username or password'))
    },
    onData(stream, session, callback) {
      // mailparser is loaded with the first mail: a sandbox that sends none never pays for it (~0.2 s of CPU).
      import('mailparser')
        .then(({simpleParser}) => simpleParser(stream))
        .then((parsed) => {
          options.db
            .prepare('INSERT INTO mails (message_id, mail_from, rcpt_to, subject, text, attachments, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
            .run(
              parsed.messageId ?? null,
              session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              JSON.stringify(session.envelope.rcptTo.map((r) => r.address)),
              parsed.subject ?? '',
              parsed.text ?? '',
              parsed.attachments.length,
              new Date().toISOString(),
            )
          callback()
        })
        .catch((error: Error) => callback(error))
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  // A client that drops its connection inside a transaction (a killed sync, a reset) ends as an 'error' on the
  // server; without a listener of its own the second one would end the sandbox. That client's mail was not taken,
  // which is what it learns from its own side of the connection.
  server.removeAllListeners('error')
  server.on('error', () => {})
  const address = server.server.address() as {port: number}
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
