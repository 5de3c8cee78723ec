/**
 * The transport rules, without the HTTP client: which hosts are loopback, and
 * that http:// is refused to any other host unless opted in. Kept apart from
 * http.ts so that commands that only check a config (config validate, every
 * command's insecure-http warning, doctor before its config is sound) do not
 * load axios and the proxy agents.
 */
import {ConfigError} from '../errors.js'

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1'
}

/** Refuses http:// to anything but loopback unless opted in. Returns the parsed URL. */
export function checkTransport(target: {baseURL: string; configKey: string; allowInsecureHttp?: boolean; system: string}): URL {
  let url: URL
  try {
    url = new URL(target.baseURL)
  } catch {
    throw new ConfigError('CONFIG_INVALID', `${target.configKey}.baseUrl "${target.baseURL}" is not a URL.`, `Set ${target.configKey}.baseUrl to an https:// URL.`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('CONFIG_INVALID', `${target.configKey}.baseUrl must use https:// (got ${url.protocol}).`, `Set ${target.configKey}.baseUrl to an https:// URL.`)
  }
  if (url.username || url.password) {
    throw new ConfigError('CONFIG_INVALID', `${target.configKey}.baseUrl must not contain credentials.`, `Remove user:password@ from ${target.configKey}.baseUrl and use the config's secret keys.`)
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !target.allowInsecureHttp) {
    throw new ConfigError(
      'INSECURE_TRANSPORT',
      `${target.system}: plain http:// to ${url.host} is refused; credentials and tenant data would cross the network unencrypted.`,
      `Use https:// in ${target.configKey}.baseUrl, or set ${target.configKey}.allowInsecureHttp: true if you accept the risk.`,
    )
  }
  return url
}

/** What a TLS error code means, in words an operator can act on (the HTTP client's errors and doctor's TLS probe). */
export const TLS_CODES: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not yet valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in an untrusted (self-signed) CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is signed by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate is signed by an unknown CA',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not name this host',
  EPROTO: 'the TLS handshake failed (is this port really HTTPS?)',
}
