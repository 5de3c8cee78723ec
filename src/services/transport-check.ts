/** `config validate`: both base URLs against the transport rules, without any network call (no client is made). */
import {checkTransport} from '../adapters/transport-rules.js'
import {melonBaseUrl, type AppConfig} from '../config/schema.js'

/** Throws the first rule a base URL breaks (plain http:// off loopback without the opt-in, credentials in the URL …). */
export function checkTransports(config: AppConfig): void {
  const {melon, immotop} = config
  checkTransport({system: 'melon', configKey: 'melon', baseURL: melonBaseUrl(melon), allowInsecureHttp: melon.allowInsecureHttp})
  checkTransport({system: 'Immotop 2', configKey: 'immotop', baseURL: immotop.baseUrl, allowInsecureHttp: immotop.allowInsecureHttp})
}
