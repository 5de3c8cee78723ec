/**
 * Test certificates: a private CA and server certificates signed by it (right
 * name, wrong name, expired), made with Node's key generation and node-forge.
 */
import {generateKeyPairSync} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import forge from 'node-forge'

function keyPair() {
  const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
  const pem = privateKey.export({type: 'pkcs1', format: 'pem'}).toString()
  const forgeKey = forge.pki.privateKeyFromPem(pem)
  return {pem, privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e)}
}

let serial = 1
function certificate(subjectCN: string, keys: ReturnType<typeof keyPair>, issuer: {cert: forge.pki.Certificate | null; key: forge.pki.PrivateKey}, options: {ca?: boolean; names?: string[]; notBefore?: Date; notAfter?: Date}) {
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = String(++serial).padStart(4, '0')
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - 3600_000)
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 365 * 86400_000)
  const subject = [{name: 'commonName', value: subjectCN}, {name: 'organizationName', value: 'melon-immotop tests'}]
  cert.setSubject(subject)
  cert.setIssuer(issuer.cert ? issuer.cert.subject.attributes : subject)
  const extensions: any[] = [{name: 'basicConstraints', cA: Boolean(options.ca)}]
  if (options.ca) extensions.push({name: 'keyUsage', keyCertSign: true, cRLSign: true})
  else extensions.push({name: 'subjectAltName', altNames: (options.names ?? []).map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? {type: 7, ip: n} : {type: 2, value: n}))})
  cert.setExtensions(extensions)
  cert.sign(issuer.key as forge.pki.rsa.PrivateKey, forge.md.sha256.create())
  return cert
}

export interface TestPki {
  caFile: string
  server(names: string[], options?: {expired?: boolean; expiresInDays?: number}): {cert: string; key: string}
}

export function makePki(dir: string): TestPki {
  const caKeys = keyPair()
  const ca = certificate('melon-immotop test CA', caKeys, {cert: null, key: caKeys.privateKey}, {ca: true})
  let serverKeys: ReturnType<typeof keyPair> | undefined
  const caFile = join(dir, 'test-ca.pem')
  writeFileSync(caFile, forge.pki.certificateToPem(ca))
  return {
    caFile,
    server(names, options = {}) {
      // One key for every server certificate: the tests vary names and dates, not keys (RSA key generation is the slow part).
      const keys = (serverKeys ??= keyPair())
      const cert = certificate(names[0]!, keys, {cert: ca, key: caKeys.privateKey}, {
        names,
        ...(options.expired ? {notBefore: new Date(Date.now() - 10 * 86400_000), notAfter: new Date(Date.now() - 86400_000)} : {}),
        ...(options.expiresInDays ? {notAfter: new Date(Date.now() + options.expiresInDays * 86400_000)} : {}),
      })
      return {cert: forge.pki.certificateToPem(cert), key: keys.pem}
    },
  }
}
