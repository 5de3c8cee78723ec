/** DNS, TCP and TLS checks for one HTTP system, each on its own layer. */
import {getProxyForUrl} from 'proxy-from-env'
import {isLoopbackHost} from '../../../adapters/transport-rules.js'
import {melonBaseUrl} from '../../../config/schema.js'
import {resolve as resolveHost, tcpConnect, tlsHandshake} from '../../../adapters/net-probe.js'
import type {Check, DoctorContext, Owner} from '../context.js'

/** DNS, TCP and TLS checks for one HTTP system; through a proxy, the proxy is what is reached. */
export function networkChecks(system: 'melon' | 'immotop', title: string, owner: Owner): Check[] {
  const target = (ctx: DoctorContext) => {
    const config = ctx.loaded!.config
    const url = new URL(system === 'melon' ? melonBaseUrl(config.melon) : config.immotop.baseUrl)
    const proxy = isLoopbackHost(url.hostname) ? '' : getProxyForUrl(url.href)
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
    return {url, proxy: proxy ? new URL(proxy) : null, port, caFile: system === 'melon' ? config.melon.caFile : config.immotop.caFile}
  }
  return [
    {
      id: `${system}.dns`,
      title: `${title}: name resolves (DNS)`,
      needs: ['config'],
      owner: "customer's IT",
      async run(ctx) {
        const {url, proxy} = target(ctx)
        const host = proxy ? proxy.hostname : url.hostname
        try {
          const addresses = await resolveHost(host)
          return {status: 'pass', detail: `${host}${proxy ? ' (the proxy)' : ''} resolves to ${addresses.slice(0, 3).join(', ')}.`}
        } catch {
          return {status: 'fail', detail: `${host}${proxy ? ' (the proxy)' : ''} does not resolve (DNS).`, fix: `Check the host name in ${system}.baseUrl${proxy ? ' and HTTPS_PROXY' : ''}, and this machine's DNS.`, owner: "customer's IT"}
        }
      },
    },
    {
      id: `${system}.tcp`,
      title: `${title}: port reachable (TCP)`,
      needs: [`${system}.dns`],
      owner: "customer's IT",
      async run(ctx) {
        const {url, proxy, port} = target(ctx)
        const host = proxy ? proxy.hostname : url.hostname
        const p = proxy ? Number(proxy.port || 80) : port
        try {
          const ms = await tcpConnect(host, p, 5_000)
          return {status: 'pass', detail: `${host}:${p}${proxy ? ' (the proxy)' : ''} accepts connections (${ms} ms).`}
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          return {
            status: 'fail',
            detail: code === 'ECONNREFUSED' ? `${host}:${p}${proxy ? ' (the proxy)' : ''} refuses the connection.` : `${host}:${p} does not answer (${code ?? 'no connection'}).`,
            fix: code === 'ECONNREFUSED' ? `Check that the server runs and listens on port ${p}.` : 'Check firewalls and VPN between this machine and the server.',
            owner: system === 'immotop' && code === 'ECONNREFUSED' ? 'W&W' : "customer's IT",
          }
        }
      },
    },
    {
      id: `${system}.tls`,
      title: `${title}: TLS certificate valid`,
      needs: [`${system}.tcp`],
      owner,
      async run(ctx) {
        const {url, proxy, port, caFile} = target(ctx)
        if (url.protocol === 'http:') {
          if (isLoopbackHost(url.hostname)) return {status: 'pass', detail: `Plain http to loopback (${url.host}): no TLS needed.`}
          return {status: 'warn', detail: `Plain http to ${url.host}: nothing is encrypted.`, fix: `Use https:// in ${system}.baseUrl.`, owner}
        }
        if (proxy) return {status: 'pass', detail: `Through the proxy ${proxy.host}; the certificate is verified by the API check.`}
        const report = await tlsHandshake(url.hostname, port, {caFile, timeoutMs: 5_000})
        if (!report.authorized) {
          return {
            status: 'fail',
            detail: `${url.host}: ${report.reason} (subject ${report.subject || '?'}, issued by ${report.issuer || '?'}).`,
            fix: report.error === 'CERT_HAS_EXPIRED' ? 'Renew the server certificate.' : `If the server uses your own CA, set ${system}.caFile to its PEM file; otherwise fix the server certificate.`,
            owner: system === 'immotop' ? "customer's IT" : 'emonitor',
          }
        }
        if (report.daysLeft < 30) {
          return {status: 'warn', detail: `${url.host}: the certificate expires in ${report.daysLeft} day(s) (${report.validTo.slice(0, 10)}).`, fix: 'Renew the server certificate before it expires.', owner: system === 'immotop' ? "customer's IT" : 'emonitor'}
        }
        return {status: 'pass', detail: `${url.host}: ${report.protocol}, certificate for ${report.subject} by ${report.issuer}, valid until ${report.validTo.slice(0, 10)} (${report.daysLeft} days).`}
      },
    },
  ]
}
