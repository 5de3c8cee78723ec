/**
 * Transport security against real TLS servers and a real proxy on loopback:
 * certificates verified, a CA file per system, certificate errors that say
 * which host, why and how to fix; HTTPS_PROXY / NO_PROXY honoured; plain http
 * refused for non-loopback hosts unless opted in.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {makePki, type TestPki} from '../helpers/certs.js'
import {configVariant, testSandboxWith, type TestSandbox} from '../helpers/sandbox.js'

let dir: string
let pki: TestPki
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mi-tls-'))
  pki = makePki(dir)
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const check = (report: any, id: string) => report.checks.find((c: any) => c.id === id)

describe('TLS with a certificate from the customer\'s own CA', () => {
  let sb: TestSandbox
  beforeAll(async () => {
    sb = await testSandboxWith({tls: pki.server(['localhost', 'melon.sandbox.test', 'immotop.sandbox.test']), publicHost: 'localhost'})
  })
  afterAll(() => sb.dispose())

  it('is refused by default, naming the host, the reason and the caFile fix', async () => {
    const config = configVariant(sb, 'no-ca', () => {})
    const result = await runCli(['doctor', '--json', '--config', config])
    expect(result.code).toBe(1)
    const report = json(result)
    for (const id of ['melon.tls', 'immotop.tls']) {
      const c = check(report, id)
      expect(c.status).toBe('fail')
      expect(c.detail).toMatch(/^localhost:\d+: the certificate (chain ends in an untrusted|is signed by an unknown CA).* \(subject localhost, issued by melon-immotop test CA\)\.$/)
      expect(c.fix).toMatch(/caFile/)
    }
    expect(check(report, 'melon.auth').status).toBe('skip')
    const tenants = await runCli(['tenants', '--config', config])
    expect(tenants.code).toBe(7)
    expect(tenants.stderr).toMatch(/melon GET \/tenants: TLS failed for localhost/)
  })

  it('is accepted with the CA file, per system', async () => {
    const config = configVariant(sb, 'with-ca', (c) => {
      c.melon.caFile = pki.caFile
      c.immotop.caFile = pki.caFile
    })
    const result = await runCli(['doctor', '--json', '--config', config])
    expect(result.code, result.stdout).toBe(0)
    expect(check(json(result), 'melon.tls').detail).toMatch(/^localhost:\d+: TLSv1\.3, certificate for localhost by melon-immotop test CA, valid until \d{4}-\d\d-\d\d \(\d+ days\)\.$/)
    const onlyMelon = configVariant(sb, 'melon-ca', (c) => (c.melon.caFile = pki.caFile))
    const report = json(await runCli(['doctor', '--json', '--config', onlyMelon]))
    expect(check(report, 'melon.auth').status).toBe('pass')
    expect(check(report, 'immotop.tls').status).toBe('fail')
    // The real commands work over TLS too.
    const exported = await runCli(['export-tenant', 'T-1001', '--json', '--config', config])
    expect(exported.code).toBe(0)
  })

  it('honours HTTPS_PROXY (through a CONNECT proxy) and NO_PROXY', async () => {
    const tunnels: string[] = []
    const melonPort = new URL(sb.melon.baseUrl).port
    const proxy = http.createServer((_req, res) => res.writeHead(405).end())
    proxy.on('connect', (req, client: net.Socket, head) => {
      tunnels.push(req.url ?? '')
      // The proxy resolves the names; upstream is the sandbox on loopback.
      const [, port] = (req.url ?? '').split(':')
      const upstream = net.connect(Number(port), '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`
    try {
      const config = configVariant(sb, 'proxied', (c) => {
        c.melon.baseUrl = `https://melon.sandbox.test:${melonPort}`
        c.melon.caFile = pki.caFile
      })
      const viaProxy = await runCli(['tenants', '--json', '--config', config], {env: {HTTPS_PROXY: proxyUrl}})
      expect(viaProxy.code, viaProxy.stdout + viaProxy.stderr).toBe(0)
      expect(json(viaProxy).count).toBe(3)
      expect(tunnels.length).toBeGreaterThan(0)
      expect(tunnels.every((t) => t === `melon.sandbox.test:${melonPort}`)).toBe(true)

      // NO_PROXY sends it direct, where the made-up name does not resolve: a DNS error, said so.
      tunnels.length = 0
      const direct = await runCli(['tenants', '--config', config], {env: {HTTPS_PROXY: proxyUrl, NO_PROXY: 'localhost,.sandbox.test'}})
      expect(direct.code).toBe(7)
      expect(direct.stderr).toContain('cannot resolve host melon.sandbox.test (DNS)')
      expect(tunnels).toEqual([])
    } finally {
      proxy.close()
    }
  })
})

describe('certificate errors say why', () => {
  it.each([
    ['a certificate for another name', {names: ['other.example']}, /does not name this host/],
    ['an expired certificate', {names: ['localhost'], expired: true}, /has expired/],
  ])('%s', async (_name, spec, message) => {
    const sb = await testSandboxWith({tls: pki.server(spec.names, {expired: 'expired' in spec}), publicHost: 'localhost'})
    try {
      const config = configVariant(sb, 'bad-cert', (c) => (c.melon.caFile = pki.caFile))
      const result = await runCli(['tenants', '--json', '--config', config])
      expect(result.code).toBe(7)
      expect(json(result).error.code).toBe('TLS')
      expect(json(result).error.message).toMatch(message)
      expect(json(result).error.message).toContain('localhost:')
      const tls = check(json(await runCli(['doctor', '--json', '--config', config])), 'melon.tls')
      expect(tls.status).toBe('fail')
      expect(tls.detail).toMatch(message)
    } finally {
      await sb.dispose()
    }
  })
})

describe('certificate expiry', () => {
  it('doctor warns under 30 days before the certificate expires, and the commands still work', async () => {
    const sb = await testSandboxWith({tls: pki.server(['localhost'], {expiresInDays: 12}), publicHost: 'localhost'})
    try {
      const config = configVariant(sb, 'expiring', (c) => {
        c.melon.caFile = pki.caFile
        c.immotop.caFile = pki.caFile
      })
      const result = await runCli(['doctor', '--json', '--config', config])
      expect(result.code).toBe(0)
      const tls = check(json(result), 'melon.tls')
      expect(tls.status).toBe('warn')
      expect(tls.detail).toMatch(/^localhost:\d+: the certificate expires in 1[12] day\(s\)/)
      expect(tls.fix).toBe('Renew the server certificate before it expires.')
      expect((await runCli(['doctor', '--strict', '--json', '--config', config])).code).toBe(1)
    } finally {
      await sb.dispose()
    }
  })
})

describe('plain http', () => {
  it('is refused for a non-loopback host, with the config exit code and the fix', async () => {
    const sb = await testSandboxWith({})
    try {
      const config = configVariant(sb, 'remote-http', (c) => (c.immotop.baseUrl = 'http://immotop.example.invalid:5100'))
      const result = await runCli(['publish', '1.10001.1012', '--config', config])
      expect(result.code).toBe(78)
      expect(result.stderr).toContain('plain http:// to immotop.example.invalid:5100 is refused')
      expect(result.stderr).toContain('immotop.allowInsecureHttp')
      expect((await runCli(['config', 'validate', '--config', config])).code).toBe(78)

      // Opting in by flag or by config goes on, with a warning on every run.
      const byFlag = await runCli(['publish', '1.10001.1012', '--allow-insecure-http', '--config', config])
      expect(byFlag.stderr).toMatch(/Warning: plain http:\/\/ to immotop\.example\.invalid:5100 is allowed by --allow-insecure-http/)
      expect(byFlag.code).toBe(7) // then: DNS, since the host does not exist
      expect(byFlag.stderr).toContain('cannot resolve host immotop.example.invalid')
      const optIn = configVariant(sb, 'remote-http-opt-in', (c) => {
        c.immotop.baseUrl = 'http://immotop.example.invalid:5100'
        c.immotop.allowInsecureHttp = true
      })
      const byConfig = await runCli(['publish', '1.10001.1012', '--config', optIn])
      expect(byConfig.stderr).toMatch(/Warning: plain http:\/\/ to immotop\.example\.invalid:5100 is allowed by immotop\.allowInsecureHttp/)
    } finally {
      await sb.dispose()
    }
  })
})
