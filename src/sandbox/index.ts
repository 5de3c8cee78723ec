/**
 * The sandbox: local emulators of melon and Immotop 2 that speak the same HTTP
 * contracts as the real systems, plus the staging folders. The real CLI runs
 * against it unchanged; only the base URLs differ. Loopback only.
 */
import {chmod, mkdir, rename, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {stringify as toYaml} from 'yaml'
import type {AppConfigInput} from '../config/schema.js'
import {isIP} from 'node:net'
import {ConfigError} from '../errors.js'
import {createImmotopEmulator, replayTenancies, startStagingProcessor, type PickupMode} from './immotop-emulator.js'
import {createMelonEmulator, randomSecret, type UnitInfo} from './melon-emulator.js'
import {Faults, type FaultSpec} from './faults.js'
import {immotopSeed, SEED_TENANTS, UNIT_DETAILS} from './seed.js'
import {startSmtpSink} from './smtp-sink.js'
import {dtaMpexpExport, idxExport} from './exports.js'
import {getMeta, openStore, setMeta} from './store.js'
import {splitPostalCity, splitStreet} from '../core/swiss-address.js'

export interface SandboxOptions {
  dataDir: string
  host?: string
  melonPort?: number
  immotopPort?: number
  smtpPort?: number
  project?: string
  /** Where to write a ready-to-use config (JSON when it ends in .json, YAML otherwise). */
  writeConfig?: string
  today?: string
  /** Initial faults (see faults.ts); both emulators can change them at run time. */
  faults?: FaultSpec
  /** Serve both emulators over HTTPS with this key and certificate (PEM). */
  tls?: {key: string | Buffer; cert: string | Buffer; caFile?: string}
  /** Host name to put in the base URLs (default: the listen address); must match a TLS certificate. */
  publicHost?: string
  /** What the emulated Immotop 2 does with the staging folder (default saved). */
  immotopPickup?: PickupMode
  /** The Immotop 2 version to emulate; below 2.7.19 the views lack that version's columns. */
  immotopVersion?: string
}

/** The sandbox's own loopback check (it does not share the client's transport code). */
function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  return bare === '::1'
}

export interface SandboxHandle {
  dataDir: string
  melon: {baseUrl: string; project: string; token: string}
  immotop: {baseUrl: string; user: string; password: string; apiVersion: string; version: string; pickup: PickupMode}
  stagingDir: string
  /** Immotop 2's IDX (portal.idx) and dta-mpexp (dta-mpexp.csv) exports of the sandbox's units. */
  exportsDir: string
  incomingDir: string
  ackDir: string
  stateDir: string
  smtp: {host: string; port: number; user: string; password: string; inbox: string}
  configPath: string | null
  /** The config a client needs to talk to this sandbox. */
  config: AppConfigInput
  close(): Promise<void>
}

export async function startSandbox(options: SandboxOptions): Promise<SandboxHandle> {
  const host = options.host ?? '127.0.0.1'
  if (!isLoopback(host)) {
    throw new ConfigError('SANDBOX_NOT_LOOPBACK', `The sandbox listens on loopback only; ${host} is not a loopback address.`, 'Use --host 127.0.0.1 (the default) or ::1.')
  }
  const dataDir = resolve(options.dataDir)
  const stagingDir = join(dataDir, 'staging')
  const incomingDir = join(stagingDir, 'to-immotop')
  const ackDir = join(stagingDir, 'from-immotop')
  const stateDir = join(dataDir, 'client-state')
  for (const dir of [dataDir, incomingDir, ackDir, join(dataDir, 'melon-documents'), join(dataDir, 'immotop-archive')]) {
    await mkdir(dir, {recursive: true, mode: 0o700})
  }
  await chmod(dataDir, 0o700)
  const today = options.today ?? new Date().toISOString().slice(0, 10)
  const db = openStore(join(dataDir, 'sandbox.sqlite'))
  const project = options.project ?? getMeta(db, 'project') ?? 'sandbox'
  const token = getMeta(db, 'melon_token') ?? randomSecret('mlt_')
  const password = getMeta(db, 'immotop_password') ?? randomSecret('ww_')
  setMeta(db, 'project', project)
  setMeta(db, 'melon_token', token)
  setMeta(db, 'immotop_password', password)
  const immotopVersion = options.immotopVersion ?? '2.7.23'
  const data = immotopSeed(today, {version: immotopVersion})
  replayTenancies(db, data)

  const unitInfo = (ref: string): UnitInfo | null => {
    const [m, l, o] = ref.split('.').map(Number)
    const objekt = data.GetDmsObjekt.find((x) => x.mandant_nr === m && x.liegenschaft_nr === l && x.nr === o)
    const liegenschaft = data.GetDmsLiegenschaft.find((x) => x.mandant_nr === m && x.nr === l)
    if (!objekt || !liegenschaft) return null
    const street = splitStreet(liegenschaft.strasse)
    const place = splitPostalCity(liegenschaft.plzort)
    const details = UNIT_DETAILS[ref]
    return {
      title: objekt.bez,
      address: {street: street.street, house_number: street.houseNumber, postal_code: place.postalCode, city: place.city, country_code: 'CH'},
      rent: details ? {rentalgross_net: details.net, incidentals: details.extra, rentalgross: details.net + details.extra, deposit: details.deposit} : null,
    }
  }

  const melonFaults = new Faults(options.faults)
  const immotopFaults = new Faults(options.faults)
  const https = options.tls ? {key: options.tls.key, cert: options.tls.cert} : undefined
  const melon = createMelonEmulator({db, documentsDir: join(dataDir, 'melon-documents'), token, project, unitInfo, today: () => today, faults: melonFaults, https})
  if (!getMeta(db, 'seeded')) {
    for (const seed of SEED_TENANTS) await melon.createTenant(seed)
    setMeta(db, 'seeded', new Date().toISOString())
  }
  const pickup = {mode: options.immotopPickup ?? 'saved', passes: 0}
  const immotopOptions = {db, data, user: 'wwdms', password, apiVersion: '1.0', incomingDir, ackDir, archiveDir: join(dataDir, 'immotop-archive'), faults: immotopFaults, https, pickup, today}
  const immotop = createImmotopEmulator(immotopOptions)
  const publicUrl = (listened: string) => {
    const url = new URL(listened)
    if (options.publicHost) url.hostname = options.publicHost
    return url.origin
  }
  const melonUrl = publicUrl(await melon.app.listen({host, port: options.melonPort ?? 0}))
  let immotopUrl: string
  try {
    immotopUrl = publicUrl(await immotop.listen({host, port: options.immotopPort ?? 0}))
  } catch (error) {
    await melon.app.close()
    db.close()
    throw error
  }
  const stopProcessor = startStagingProcessor(immotopOptions)
  // Immotop 2's own exports of the same units: the details file that gives rooms, area, type and rent.
  const exportsDir = join(dataDir, 'exports')
  await mkdir(exportsDir, {recursive: true, mode: 0o700})
  const detailsFile = join(exportsDir, 'portal.idx')
  await writeFile(detailsFile, idxExport(data, today), {mode: 0o600})
  await writeFile(join(exportsDir, 'dta-mpexp.csv'), dtaMpexpExport(data, today), {mode: 0o600})
  const smtpPassword = getMeta(db, 'smtp_password') ?? randomSecret('smtp_')
  setMeta(db, 'smtp_password', smtpPassword)
  const smtp = await startSmtpSink({db, host, port: options.smtpPort ?? 0, user: 'sandbox', password: smtpPassword})

  const config: AppConfigInput = {
    melon: {baseUrl: melonUrl, project, token, ...(options.tls?.caFile ? {caFile: options.tls.caFile} : {})},
    immotop: {baseUrl: immotopUrl, user: 'wwdms', password, apiVersion: '1.0', mandant: 'all', detailsFile, ...(options.tls?.caFile ? {caFile: options.tls.caFile} : {})},
    staging: {incomingDir, ackDir, pickupTimeoutSeconds: 30, dmsArchivId: 'melon'},
    stateDir,
    notify: {
      recipients: ['vertrag@muster-immo.example'],
      from: 'melon-immotop <noreply@muster-immo.example>',
      smtp: {host, port: smtp.port, user: 'sandbox', password: smtpPassword},
    },
  }
  let configPath: string | null = null
  if (options.writeConfig) {
    configPath = resolve(options.writeConfig)
    await mkdir(dirname(configPath), {recursive: true})
    const text = configPath.endsWith('.json') ? JSON.stringify(config, null, 2) + '\n' : toYaml(config)
    const tmp = `${configPath}.${process.pid}.tmp`
    await writeFile(tmp, text, {mode: 0o600})
    await rename(tmp, configPath)
  }

  let closed = false
  return {
    dataDir,
    melon: {baseUrl: melonUrl, project, token},
    immotop: {baseUrl: immotopUrl, user: 'wwdms', password, apiVersion: '1.0', version: immotopVersion, get pickup() {
      return pickup.mode
    }},
    stagingDir,
    exportsDir,
    incomingDir,
    ackDir,
    stateDir,
    smtp: {host, port: smtp.port, user: 'sandbox', password: smtpPassword, inbox: `${immotopUrl}/_sandbox/mails`},
    configPath,
    config,
    async close() {
      if (closed) return
      closed = true
      await stopProcessor()
      await Promise.all([melon.app.close(), immotop.close(), smtp.close()])
      db.close()
    },
  }
}
