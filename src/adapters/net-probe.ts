/**
 * Low-level probes for doctor: DNS, TCP and the TLS handshake, each on its
 * own, so that a failure is named at the layer where it happens.
 */
import {lookup} from 'node:dns/promises'
import {isIP, Socket} from 'node:net'
import {connect as tlsConnect, rootCertificates} from 'node:tls'
import {readFileSync} from 'node:fs'
import {TLS_CODES} from './transport-rules.js'

export async function resolve(host: string): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '')
  if (isIP(bare)) return [bare]
  const answers = await lookup(bare, {all: true})
  return answers.map((a) => a.address)
}

export function tcpConnect(host: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now()
    const socket = new Socket()
    const timer = setTimeout(() => {
      socket.destroy()
      reject(Object.assign(new Error('connect timed out'), {code: 'ETIMEDOUT'}))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.destroy()
      resolvePromise(Date.now() - started)
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.connect(port, host.replace(/^\[|\]$/g, ''))
  })
}

export interface TlsReport {
  authorized: boolean
  /** A Node/OpenSSL code such as DEPTH_ZERO_SELF_SIGNED_CERT, when not authorized. */
  error: string | null
  reason: string | null
  subject: string
  issuer: string
  validTo: string
  daysLeft: number
  protocol: string | null
}

export function tlsHandshake(host: string, port: number, options: {caFile?: string; timeoutMs: number}): Promise<TlsReport> {
  return new Promise((resolvePromise, reject) => {
    const ca = options.caFile ? [...rootCertificates, readFileSync(options.caFile, 'utf8')] : undefined
    const servername = isIP(host.replace(/^\[|\]$/g, '')) ? undefined : host
    // rejectUnauthorized: false only to read the certificate and say what is wrong with it;
    // no data is sent over this connection.
    const socket = tlsConnect({host: host.replace(/^\[|\]$/g, ''), port, servername, ca, rejectUnauthorized: false})
    const timer = setTimeout(() => {
      socket.destroy()
      reject(Object.assign(new Error('TLS handshake timed out'), {code: 'ETIMEDOUT'}))
    }, options.timeoutMs)
    socket.once('secureConnect', () => {
      clearTimeout(timer)
      const cert = socket.getPeerCertificate()
      const validTo = cert?.valid_to ? new Date(cert.valid_to) : new Date(0)
      const error = socket.authorized ? null : String((socket.authorizationError as unknown as {code?: string})?.code ?? socket.authorizationError ?? 'UNKNOWN')
      const report: TlsReport = {
        authorized: socket.authorized,
        error,
        reason: error ? (TLS_CODES[error] ?? error) : null,
        subject: cert?.subject?.CN ? String(cert.subject.CN) : '',
        issuer: cert?.issuer?.CN ? String(cert.issuer.CN) : cert?.issuer?.O ? String(cert.issuer.O) : '',
        validTo: validTo.toISOString(),
        daysLeft: Math.floor((validTo.getTime() - Date.now()) / 86_400_000),
        protocol: socket.getProtocol(),
      }
      socket.destroy()
      resolvePromise(report)
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}
