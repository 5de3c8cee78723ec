/**
 * The SMTP adapter (nodemailer). TLS rules as for HTTP: a host that is not
 * loopback gets TLS (implicit with `secure`, else STARTTLS is required) unless
 * `allowInsecure`; certificates are verified, with an optional CA file.
 */
import {readFileSync} from 'node:fs'
import {rootCertificates} from 'node:tls'
import type {Transporter} from 'nodemailer'
import type {AppConfig} from '../config/schema.js'
import type {Notification} from '../core/notification.js'
import {AuthError, ConfigError, UnavailableError, type AppError} from '../errors.js'
import {isLoopbackHost} from './transport-rules.js'

type NotifyConfig = NonNullable<AppConfig['notify']>

export class Mailer {
  private readonly options: Parameters<typeof import('nodemailer').createTransport>[0]
  /** Opened with the first mail or check: a run that sends none (export-tenant --no-wait) never loads nodemailer. */
  private transport?: Promise<Transporter>

  constructor(private readonly config: NotifyConfig) {
    const smtp = config.smtp
    const loopback = isLoopbackHost(smtp.host)
    this.options = {
      // One connection for all mails of a run (a sync pass sends many), opened on the first and closed by close().
      pool: true,
      maxConnections: 1,
      maxMessages: 500,
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: !smtp.secure && !loopback && !smtp.allowInsecure,
      ignoreTLS: loopback && !smtp.secure,
      auth: smtp.user ? {user: smtp.user, pass: smtp.password ?? ''} : undefined,
      // Read now: a missing CA file is a config error before anything is handed over.
      tls: {rejectUnauthorized: true, ...(smtp.caFile ? {ca: [...rootCertificates, readFileSync(smtp.caFile, 'utf8')]} : {})},
      connectionTimeout: smtp.timeoutMs,
      greetingTimeout: smtp.timeoutMs,
      socketTimeout: smtp.timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    }
  }

  private open(): Promise<Transporter> {
    return (this.transport ??= import('nodemailer').then(({default: nodemailer}) => nodemailer.createTransport(this.options)))
  }

  async send(notification: Notification): Promise<void> {
    const transport = await this.open()
    try {
      await transport.sendMail({
        from: this.config.from,
        to: this.config.recipients,
        subject: notification.subject,
        text: notification.text,
        messageId: notification.messageId,
      })
    } catch (error) {
      throw this.explain(error)
    }
  }

  /** Connect, TLS and auth, without sending (doctor). */
  async verify(): Promise<void> {
    const transport = await this.open()
    try {
      await transport.verify()
    } catch (error) {
      throw this.explain(error)
    }
  }

  close(): void {
    void this.transport?.then((transport) => transport.close())
  }

  private explain(error: unknown): AppError {
    const e = error as {code?: string; responseCode?: number; command?: string}
    const where = `SMTP ${this.config.smtp.host}:${this.config.smtp.port}`
    if (e.code === 'EAUTH' || e.responseCode === 535) return new AuthError('SMTP_AUTH', `${where}: the server refused the login.`, 'Check notify.smtp.user and notify.smtp.password (or MELON_IMMOTOP_SMTP_PASSWORD).')
    if (e.code === 'ETLS' || /certificate|TLS/i.test(String((error as Error)?.message))) {
      return new UnavailableError('SMTP_TLS', `${where}: TLS failed.`, 'Set notify.smtp.caFile for a server with your own CA; check notify.smtp.secure and port (465 implicit TLS, 587 STARTTLS).')
    }
    if (e.code === 'ECONNREFUSED') return new UnavailableError('SMTP_REFUSED', `${where}: connection refused.`, 'Check notify.smtp.host and notify.smtp.port.')
    if (e.code === 'EDNS' || e.code === 'ENOTFOUND') return new UnavailableError('SMTP_DNS', `${where}: cannot resolve the host.`, 'Check notify.smtp.host.')
    if (e.code === 'ETIMEDOUT' || e.code === 'ECONNECTION' || e.code === 'ESOCKET') return new UnavailableError('SMTP_UNAVAILABLE', `${where}: the connection failed (${e.code}).`, 'Check the mail server and the network path to it.')
    if (e.code === 'EENVELOPE') return new ConfigError('SMTP_ENVELOPE', `${where}: the server refused the sender or a recipient.`, 'Check notify.from and notify.recipients.')
    return new UnavailableError('SMTP_FAILED', `${where}: sending failed (${e.code ?? e.responseCode ?? 'unknown'}).`, 'Run doctor; check the mail server.')
  }
}
