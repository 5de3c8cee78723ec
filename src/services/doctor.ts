/**
 * doctor: every connection and setting, checked in parallel, reported in a
 * fixed order. A check whose dependency did not pass is skipped, not failed a
 * second time. Each check has its own timeout and the run a total budget, so a
 * hung host cannot hang the onboarding meeting. Every fail and warn says what
 * to change, where, and who usually owns it.
 */
import {constants} from 'node:fs'
import {access, mkdir, readdir, rm, stat, statfs, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {getProxyForUrl} from 'proxy-from-env'
import {isLoopbackHost} from '../adapters/http.js'
import {ImmotopRestClient} from '../adapters/immotop-rest.js'
import {MelonClient, melonBaseUrl} from '../adapters/melon-client.js'
import {resolve as resolveHost, tcpConnect, tlsHandshake} from '../adapters/net-probe.js'
import {StagingDirectory} from '../adapters/staging-dir.js'
import {configWarnings, loadConfig, type LoadedConfig} from '../config/load.js'
import {SECRET_ENV} from '../config/schema.js'
import {isPublishable} from '../core/vacancy.js'
import {today as swissToday} from './publish.js'
import {mask} from '../core/redact.js'
import {AppError, toAppError} from '../errors.js'

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip'
export type Owner = 'operator' | "customer's IT" | 'W&W' | 'emonitor'

export interface CheckResult {
  id: string
  title: string
  status: CheckStatus
  durationMs: number
  detail: string
  fix: string | null
  owner: Owner | null
}

interface CheckOutcome {
  status: Exclude<CheckStatus, 'skip'> | 'skip'
  detail: string
  fix?: string
  owner?: Owner
}

export interface Check {
  id: string
  title: string
  needs: string[]
  owner: Owner
  run: (ctx: DoctorContext) => Promise<CheckOutcome>
}

export interface DoctorOptions {
  configPath?: string
  deep: boolean
  sendTestMail?: string
}

interface DoctorContext {
  loaded?: LoadedConfig
  melon?: MelonClient
  immotop?: ImmotopRestClient
  melonMe?: Promise<Awaited<ReturnType<MelonClient['me']>>>
  immotopTest?: Promise<Awaited<ReturnType<ImmotopRestClient['test']>>>
  serverDates: Array<{system: string; date: string}>
}

const SKEW_WARN_S = 60
const SKEW_FAIL_S = 300
const OLD_FILE_MINUTES = 15
const MIN_FREE_BYTES = 1024 ** 3

function failFrom(error: unknown, owner?: Owner): CheckOutcome {
  const app = toAppError(error)
  return {status: 'fail', detail: app.message, fix: app.fix, owner: ownerOf(app) ?? owner}
}

/** Who usually fixes an error of this kind. */
function ownerOf(error: AppError): Owner | undefined {
  if (['DNS', 'CONNECTION_REFUSED', 'TIMEOUT', 'PROXY', 'NETWORK', 'CONNECTION_RESET'].includes(error.code)) return "customer's IT"
  return undefined
}


async function writableDir(key: string, dir: string, create: boolean): Promise<CheckOutcome> {
  try {
    if (create) await mkdir(dir, {recursive: true, mode: 0o700})
    const info = await stat(dir)
    if (!info.isDirectory()) return {status: 'fail', detail: `${key} ${dir} is not a directory.`, fix: `Point ${key} at a directory.`}
    await access(dir, constants.R_OK | constants.W_OK)
    const probe = join(dir, `.melon-immotop-doctor-${process.pid}`)
    // Exclusively: the staging share is writable by others, who could plant a link under this name.
    await rm(probe, {force: true})
    await writeFile(probe, '', {mode: 0o600, flag: 'wx'})
    await rm(probe, {force: true})
    return {status: 'pass', detail: `${dir} exists and is writable.`}
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return {
      status: 'fail',
      detail: `${key} ${dir} ${code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not writable for this user' : `is unusable (${code ?? 'error'})`}.`,
      fix: code === 'ENOENT' ? `Create it (mkdir -p ${dir}) or correct ${key}.` : `Give this user read and write access to ${dir}, or correct ${key}.`,
    }
  }
}

/** DNS, TCP and TLS checks for one HTTP system; through a proxy, the proxy is what is reached. */
function networkChecks(system: 'melon' | 'immotop', title: string, owner: Owner): Check[] {
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

export function doctorChecks(options: DoctorOptions): Check[] {
  const melonMe = (ctx: DoctorContext) => {
    ctx.melonMe ??= ctx.melon!.me().then((me) => {
      if (me.serverDate) ctx.serverDates.push({system: 'melon', date: me.serverDate})
      return me
    })
    return ctx.melonMe
  }
  const immotopTest = (ctx: DoctorContext) => {
    ctx.immotopTest ??= ctx.immotop!.test().then((answer) => {
      if (answer.serverDate) ctx.serverDates.push({system: 'Immotop 2', date: answer.serverDate})
      return answer
    })
    return ctx.immotopTest
  }
  const checks: Check[] = [
    {
      id: 'config',
      title: 'Config found and valid',
      needs: [],
      owner: 'operator',
      async run(ctx) {
        try {
          ctx.loaded = await loadConfig({configPath: options.configPath})
          return {status: 'pass', detail: `Loaded ${ctx.loaded.filepath}.`}
        } catch (error) {
          return failFrom(error)
        }
      },
    },
    {
      id: 'config.permissions',
      title: 'Config file permissions',
      needs: ['config'],
      owner: 'operator',
      async run(ctx) {
        const warnings = configWarnings(ctx.loaded!)
        if (warnings.length > 0) return {status: 'warn', detail: warnings[0]!.message, fix: warnings[0]!.fix}
        return {status: 'pass', detail: `${ctx.loaded!.filepath} is not readable by others, or holds no secret.`}
      },
    },
    {
      id: 'secrets',
      title: 'Secrets present',
      needs: ['config'],
      owner: 'operator',
      async run(ctx) {
        const loaded = ctx.loaded!
        if (loaded.missingSecrets.length > 0) {
          const missing = loaded.missingSecrets
          return {status: 'fail', detail: `Missing: ${missing.join(', ')}.`, fix: `Set ${missing.map((key) => SECRET_ENV[key]).join(' and ')}, or add the keys to ${loaded.filepath}.`}
        }
        const {config, sources} = loaded
        ctx.melon = new MelonClient(config.melon, {retry: {maxAttempts: 1}})
        ctx.immotop = new ImmotopRestClient(config.immotop, {retry: {maxAttempts: 1}})
        const smtp = config.notify?.smtp.password ? `, notify.smtp.password ${mask(config.notify.smtp.password)} (${sources['notify.smtp.password']})` : ''
        return {status: 'pass', detail: `melon.token ${mask(config.melon.token)} (${sources['melon.token']}), immotop.password ${mask(config.immotop.password)} (${sources['immotop.password']})${smtp}.`}
      },
    },
    {
      id: 'node',
      title: 'Node.js version supported',
      needs: [],
      owner: 'operator',
      async run() {
        const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
        if (major > 20 || (major === 20 && minor >= 17)) return {status: 'pass', detail: `Node.js ${process.versions.node}.`}
        return {status: 'fail', detail: `Node.js ${process.versions.node} is too old; melon-immotop needs 20.17 or newer.`, fix: 'Install Node.js 20 LTS (20.17 or newer) or 22.'}
      },
    },
    {
      id: 'network.proxy',
      title: 'Proxy settings',
      needs: ['config'],
      owner: "customer's IT",
      async run(ctx) {
        const config = ctx.loaded!.config
        const used = (['melon', 'immotop'] as const).flatMap((system) => {
          const url = new URL(system === 'melon' ? melonBaseUrl(config.melon) : config.immotop.baseUrl)
          const proxy = isLoopbackHost(url.hostname) ? '' : getProxyForUrl(url.href)
          if (!proxy) return []
          const p = new URL(proxy)
          return [`${system} through ${p.protocol}//${p.username ? '…@' : ''}${p.host}`]
        })
        return {status: 'pass', detail: used.length ? `${used.join('; ')} (HTTPS_PROXY/HTTP_PROXY, NO_PROXY).` : 'No proxy in use (none set, or NO_PROXY covers both systems).'}
      },
    },
    ...networkChecks('melon', 'melon', 'emonitor'),
    {
      id: 'melon.auth',
      title: 'melon: token accepted',
      needs: ['secrets', 'melon.tls'],
      owner: 'emonitor',
      async run(ctx) {
        try {
          const me = await melonMe(ctx)
          return {status: 'pass', detail: `${melonBaseUrl(ctx.loaded!.config.melon)} accepted the token (${mask(ctx.loaded!.config.melon.token)}) of user ${me.user}.`}
        } catch (error) {
          const app = toAppError(error)
          if (app.code === 'PROJECT_NOT_FOUND') return {status: 'pass', detail: 'The token was not refused; the project is checked next.'}
          return failFrom(error, 'emonitor')
        }
      },
    },
    {
      id: 'melon.project',
      title: 'melon: project exists',
      needs: ['melon.auth'],
      owner: 'emonitor',
      async run(ctx) {
        try {
          const me = await melonMe(ctx)
          return {status: 'pass', detail: `Project ${me.project}.`}
        } catch (error) {
          return failFrom(error, 'emonitor')
        }
      },
    },
    {
      id: 'melon.rights',
      title: 'melon: rights for every command',
      needs: ['melon.project'],
      owner: 'emonitor',
      async run(ctx) {
        const me = await melonMe(ctx)
        const needed: Record<string, string[]> = {
          'objects:read': ['publish', 'unpublish'],
          'objects:write': ['publish', 'unpublish'],
          'tenants:read': ['tenants', 'export-tenant', 'sync'],
          'documents:read': ['export-tenant', 'sync'],
        }
        const missing = Object.keys(needed).filter((right) => !me.scopes.includes(right))
        // Harmless reads prove what the scopes claim.
        for (const what of ['objects', 'tenants'] as const) {
          try {
            await ctx.melon!.probeRead(what)
          } catch (error) {
            const app = toAppError(error)
            if (app.code !== 'FORBIDDEN') return failFrom(error, 'emonitor')
            const right = `${what}:read`
            if (!missing.includes(right)) missing.push(right)
          }
        }
        if (missing.length > 0) {
          const commands = [...new Set(missing.flatMap((r) => needed[r] ?? []))]
          return {status: 'fail', detail: `The token lacks ${missing.join(', ')}: ${commands.join(', ')} will be refused.`, fix: `Ask emonitor to grant the API token of project ${me.project} the rights ${missing.join(', ')}.`, owner: 'emonitor'}
        }
        return {status: 'pass', detail: `Rights ${me.scopes.join(', ')}: every command is allowed (read calls proved).`}
      },
    },
    ...networkChecks('immotop', 'Immotop 2', "customer's IT"),
    {
      id: 'immotop.test',
      title: 'Immotop 2: REST services answer (Test)',
      needs: ['secrets', 'immotop.tls'],
      owner: 'W&W',
      async run(ctx) {
        try {
          await immotopTest(ctx)
          return {status: 'pass', detail: `${ctx.loaded!.config.immotop.baseUrl}/api/DmsRestServices/Test answered.`}
        } catch (error) {
          const app = toAppError(error)
          // Refusals are answers: auth and Version header are judged by the next checks.
          if (app.code === 'UNAUTHORIZED' || app.code === 'IMMOTOP_REJECTED') return {status: 'pass', detail: 'Test answered (with a refusal that the next checks explain).'}
          if (app.code === 'NOT_FOUND') return {status: 'fail', detail: `${app.message} The REST services are not at this address.`, fix: 'Set immotop.baseUrl to the RestServiceUrl of the Immotop 2 application server (config.ini), e.g. https://server:5100.', owner: 'W&W'}
          return failFrom(error, 'W&W')
        }
      },
    },
    {
      id: 'immotop.auth',
      title: 'Immotop 2: Basic auth accepted',
      needs: ['immotop.test'],
      owner: 'W&W',
      async run(ctx) {
        try {
          await immotopTest(ctx)
        } catch (error) {
          const app = toAppError(error)
          if (app.code === 'UNAUTHORIZED') return {status: 'fail', detail: `${app.message}`, fix: `Check immotop.user (${ctx.loaded!.config.immotop.user}) and immotop.password (or MELON_IMMOTOP_IMMOTOP_PASSWORD); W&W issues the password.`, owner: 'W&W'}
        }
        return {status: 'pass', detail: `User ${ctx.loaded!.config.immotop.user} accepted (password ${mask(ctx.loaded!.config.immotop.password)}).`}
      },
    },
    {
      id: 'immotop.version-header',
      title: 'Immotop 2: Version header accepted',
      needs: ['immotop.auth'],
      owner: 'W&W',
      async run(ctx) {
        try {
          await immotopTest(ctx)
          return {status: 'pass', detail: `Version: ${ctx.loaded!.config.immotop.apiVersion} accepted.`}
        } catch (error) {
          return failFrom(error, 'W&W')
        }
      },
    },
    {
      id: 'immotop.mandant',
      title: 'Immotop 2: mandants, their units and vacancies',
      needs: ['immotop.version-header'],
      owner: 'W&W',
      async run(ctx) {
        const immotop = ctx.loaded!.config.immotop
        try {
          const all = await ctx.immotop!.mandants()
          const wanted = immotop.mandant === 'all' ? all.filter((m) => immotop.mandantTypes.includes(m.mandanttypcode.trim().toUpperCase())).map((m) => m.nr) : typeof immotop.mandant === 'number' ? [immotop.mandant] : immotop.mandant
          const missing = wanted.filter((nr) => !all.some((m) => m.nr === nr))
          if (missing.length > 0) return {status: 'fail', detail: `Immotop 2 has no mandant ${missing.join(', ')} (it has ${all.map((m) => m.nr).join(', ') || 'none'}).`, fix: 'Set immotop.mandant to the numbers Immotop 2 shows, a list of them, or "all".', owner: 'operator'}
          if (wanted.length === 0) return {status: 'fail', detail: `Immotop 2 has no mandant of type ${immotop.mandantTypes.join(', ')}.`, fix: 'Set immotop.mandant to the mandants to publish, or immotop.mandantTypes to the types that let.', owner: 'operator'}
          const today = swissToday()
          const parts: string[] = []
          const notLetting: number[] = []
          for (const nr of wanted) {
            const mandant = all.find((m) => m.nr === nr)!
            if (!immotop.mandantTypes.includes(mandant.mandanttypcode.trim().toUpperCase())) notLetting.push(nr)
            const units = await ctx.immotop!.mandantUnits(nr)
            const vacant = units.filter((u) => isPublishable(u, today)).length
            parts.push(`${nr} ${mandant.bez} (${mandant.mandanttypcode}): ${units.length} units, ${vacant} vacant`)
          }
          const detail = `Mandant ${parts.join('; ')}.`
          if (notLetting.length > 0) return {status: 'warn', detail: `${detail} Mandant ${notLetting.join(', ')} is not of a letting type (${immotop.mandantTypes.join(', ')}).`, fix: 'Check immotop.mandant: a Stockwerk (S) mandant holds owners, not tenants.', owner: 'operator'}
          return {status: 'pass', detail}
        } catch (error) {
          return failFrom(error, 'W&W')
        }
      },
    },
    {
      id: 'immotop.features',
      title: 'Immotop 2: the views carry the columns melon-immotop needs (feature check)',
      needs: ['immotop.mandant'],
      owner: 'W&W',
      async run(ctx) {
        const config = ctx.loaded!.config.immotop
        const manual = 'The REST services do not report their version: check it by hand in Immotop 2 (Hilfe › Info); melon\'s interface requires the current version.'
        try {
          const first = config.mandant === 'all' ? (await ctx.immotop!.mandants())[0]?.nr : typeof config.mandant === 'number' ? config.mandant : config.mandant[0]
          if (first === undefined) return {status: 'skip', detail: 'No mandant to look at.'}
          const features = await ctx.immotop!.features(first)
          if (!features.sampled.objekt) return {status: 'warn', detail: `Mandant ${first} has no Objekt rows, so the columns cannot be checked. ${manual}`, fix: 'Run doctor again once Immotop 2 holds units.', owner: 'W&W'}
          const needed = features.missing.filter((m) => m.view === 'GetDmsObjekt' && (m.column === 'gueltigvon' || m.column === 'gueltigbis'))
          if (needed.length > 0) {
            return {status: 'fail', detail: `GetDmsObjekt has no ${needed.map((m) => m.column).join('/')}: those columns come with Immotop 2 ${needed[0]!.version}, and without them a deactivated unit looks vacant.`, fix: `Ask W&W to update Immotop 2 to ${needed[0]!.version} or newer.`, owner: 'W&W'}
          }
          const other = features.missing.map((m) => `${m.view}.${m.column} (${m.version})`)
          if (other.length > 0) return {status: 'warn', detail: `Missing gated columns: ${other.join(', ')}. ${manual}`, fix: 'Ask W&W to update Immotop 2 to the current version.', owner: 'W&W'}
          return {status: 'pass', detail: `Objekt validity (gueltigvon/gueltigbis, 2.7.19), timestamps (insts/updts, 2.6.32) and every other gated column are present. ${manual}`}
        } catch (error) {
          return failFrom(error, 'W&W')
        }
      },
    },
    {
      id: 'staging.incoming',
      title: 'Staging folder to Immotop 2: writable, space, processed',
      needs: ['config'],
      owner: "customer's IT",
      async run(ctx) {
        const dir = ctx.loaded!.config.staging.incomingDir
        const basic = await writableDir('staging.incomingDir', dir, false)
        if (basic.status !== 'pass') return {...basic, owner: "customer's IT"}
        const fs = await statfs(dir)
        const free = fs.bavail * fs.bsize
        const old: string[] = []
        for (const name of await readdir(dir)) {
          if (!name.endsWith('.xml_it2') || name.startsWith('.')) continue
          const age = (Date.now() - (await stat(join(dir, name))).mtimeMs) / 60_000
          if (age > OLD_FILE_MINUTES) old.push(name)
        }
        if (old.length > 0) {
          return {status: 'warn', detail: `${old.length} control file(s) in ${dir} are older than ${OLD_FILE_MINUTES} minutes (e.g. ${old[0]}): Immotop 2 is not processing the folder.`, fix: 'Ask W&W to check the staging import of the Immotop 2 server.', owner: 'W&W'}
        }
        if (free < MIN_FREE_BYTES) return {status: 'warn', detail: `Only ${(free / 1024 ** 2).toFixed(0)} MiB free in ${dir}.`, fix: 'Free space on that volume: dossiers can be large.', owner: "customer's IT"}
        return {status: 'pass', detail: `${dir} is writable, ${(free / 1024 ** 3).toFixed(1)} GiB free, no old unprocessed files.`}
      },
    },
    {
      id: 'staging.ack',
      title: 'Acknowledgement folder from Immotop 2 writable',
      needs: ['config'],
      owner: "customer's IT",
      run: async (ctx) => ({...(await writableDir('staging.ackDir', ctx.loaded!.config.staging.ackDir, false)), owner: "customer's IT"}),
    },
    {
      id: 'staging.roundtrip',
      title: 'Staging round trip: Immotop 2 picks up a probe',
      needs: ['staging.incoming', 'staging.ack'],
      owner: 'W&W',
      async run(ctx) {
        if (!options.deep) return {status: 'skip', detail: 'Run with --deep to deliver a harmless probe document and wait until Immotop 2 picks it up.'}
        const config = ctx.loaded!.config.staging
        const staging = new StagingDirectory(config)
        const stamp = new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)
        const {createHash} = await import('node:crypto')
        const {tmpdir} = await import('node:os')
        const body = Buffer.from(`melon-immotop doctor probe ${stamp}. This file can be deleted.\n`)
        const probe = {fileName: `melon-immotop-doctor-${stamp}-${process.pid}.txt`, dmsDocumentId: `melon-immotop-doctor-${stamp}-${process.pid}`, dateiName: 'melon-immotop-Verbindungstest.txt', size: body.length, sha256: createHash('sha256').update(body).digest('hex')}
        const local = join(tmpdir(), probe.fileName)
        await writeFile(local, body, {mode: 0o600, flag: 'wx'})
        const timeout = config.pickupTimeoutSeconds
        try {
          await staging.deliver(local, probe, {controlMoved: false, beforeControlMove: () => {}})
          const started = Date.now()
          const state = await staging.waitForPickup([probe], timeout * 1000)
          const answer = state.pickedUp[0]
          if (!answer) {
            await staging.retract(probe)
            return {status: 'fail', detail: `Immotop 2 did not pick up the probe within ${timeout} s (staging.pickupTimeoutSeconds); it was taken back from ${config.incomingDir}.`, fix: 'Ask W&W to check that Immotop 2 imports staging folder 2 (the DMS import of the Immotop 2 server) and that it is this folder.', owner: 'W&W'}
          }
          if (answer.answer) await staging.removeAnswers([answer.answer])
          return {status: 'pass', detail: `Probe picked up in ${Date.now() - started} ms${answer.documentId ? ` (Immotop 2 answered with DocumentId ${answer.documentId})` : ' (Immotop 2 does not answer, as W&W documents it)'}.`}
        } catch (error) {
          await staging.retract(probe)
          return failFrom(error, 'W&W')
        } finally {
          await rm(local, {force: true})
        }
      },
    },
    {
      id: 'state',
      title: 'State directory writable',
      needs: ['config'],
      owner: 'operator',
      async run(ctx) {
        const dir = ctx.loaded!.config.stateDir
        const writable = await writableDir('stateDir', dir, true)
        if (writable.status !== 'pass') return writable
        const {Ledger, listBackups} = await import('../state/ledger.js')
        let ledger
        try {
          ledger = new Ledger(dir)
        } catch (error) {
          return failFrom(error, 'operator')
        }
        try {
          const problems = ledger.quickCheck()
          if (problems.length > 0) return {status: 'fail', detail: `The ledger ${ledger.path} fails SQLite's integrity check: ${problems[0]!.slice(0, 120)}.`, fix: 'Restore the latest backup with `melon-immotop state restore`, or rebuild it with `melon-immotop state rebuild`.', owner: 'operator'}
          const backups = listBackups(dir)
          return {status: 'pass', detail: `${writable.detail} The ledger passes SQLite's integrity check; ${backups.length} backup(s)${backups[0] ? `, the newest ${backups[0]}` : ''}.`}
        } finally {
          ledger.close()
        }
      },
    },
    {
      id: 'staging.pickup',
      title: 'Staging: no handover waits for pick-up longer than the timeout',
      needs: ['config', 'state'],
      owner: 'W&W',
      async run(ctx) {
        const config = ctx.loaded!.config
        const {Ledger} = await import('../state/ledger.js')
        const ledger = new Ledger(config.stateDir)
        try {
          const limit = Date.now() - config.staging.pickupTimeoutSeconds * 1000
          const late = ledger.waitingForPickup().filter((op) => op.delivered_at && Date.parse(op.delivered_at) < limit)
          if (late.length === 0) return {status: 'pass', detail: `No handover waits longer than ${config.staging.pickupTimeoutSeconds} s for Immotop 2 to pick it up.`}
          const oldest = late[0]!
          return {
            status: 'warn',
            detail: `${late.length} handover(s) delivered and not picked up by Immotop 2, the oldest since ${oldest.delivered_at} (tenant ${oldest.tenant_id}, handover ${oldest.handover_id}).`,
            fix: `Ask W&W to check that Immotop 2 imports staging folder 2 (${config.staging.incomingDir}). Nothing is resent; sync picks them up once Immotop 2 does.`,
            owner: 'W&W',
          }
        } finally {
          ledger.close()
        }
      },
    },
    {
      id: 'smtp',
      title: 'Mail server for notifications (connect, TLS, login)',
      needs: ['config'],
      owner: "customer's IT",
      async run(ctx) {
        const notify = ctx.loaded!.config.notify
        if (!notify) return {status: 'pass', detail: 'Notifications are not configured (no notify section); nothing to check.'}
        const {Mailer} = await import('../adapters/mailer.js')
        const mailer = new Mailer(notify)
        try {
          await mailer.verify()
          return {status: 'pass', detail: `${notify.smtp.host}:${notify.smtp.port} accepted ${notify.smtp.user ? `the login of ${notify.smtp.user}` : 'the connection'}; ${notify.recipients.length} recipient(s).`}
        } catch (error) {
          return failFrom(error, "customer's IT")
        } finally {
          mailer.close()
        }
      },
    },
    {
      id: 'smtp.test-mail',
      title: 'Test mail sent',
      needs: ['smtp'],
      owner: "customer's IT",
      async run(ctx) {
        if (!options.sendTestMail) return {status: 'skip', detail: 'Run with --send-test-mail <address> to send one.'}
        const notify = ctx.loaded!.config.notify
        if (!notify) return {status: 'fail', detail: 'Notifications are not configured.', fix: 'Add a notify section to the config (README "Config").', owner: 'operator'}
        const {Mailer} = await import('../adapters/mailer.js')
        const mailer = new Mailer({...notify, recipients: [options.sendTestMail]})
        try {
          await mailer.send({messageId: `<doctor-${Date.now()}-${process.pid}@melon-immotop.invalid>`, subject: 'melon-immotop: Testnachricht', text: 'Diese Testnachricht bestätigt, dass melon-immotop Benachrichtigungen versenden kann.\n'})
          return {status: 'pass', detail: `Sent to ${options.sendTestMail}.`}
        } catch (error) {
          return failFrom(error, "customer's IT")
        } finally {
          mailer.close()
        }
      },
    },
    {
      id: 'clock',
      title: 'Clock in step with the servers',
      needs: ['melon.auth', 'immotop.test'],
      owner: "customer's IT",
      async run(ctx) {
        if (ctx.serverDates.length === 0) return {status: 'warn', detail: 'No server sent a Date header to compare with.', fix: 'Check the time of this machine by hand (NTP).'}
        const skews = ctx.serverDates.map((d) => ({system: d.system, skew: Math.round((Date.now() - Date.parse(d.date)) / 1000)}))
        const worst = skews.reduce((a, b) => (Math.abs(b.skew) > Math.abs(a.skew) ? b : a))
        const text = skews.map((s) => `${s.system} ${s.skew >= 0 ? '+' : ''}${s.skew} s`).join(', ')
        if (Math.abs(worst.skew) > SKEW_FAIL_S) return {status: 'fail', detail: `This machine's clock is off: ${text}.`, fix: 'Synchronise the clock with NTP (timedatectl set-ntp true).'}
        if (Math.abs(worst.skew) > SKEW_WARN_S) return {status: 'warn', detail: `This machine's clock is off: ${text}.`, fix: 'Synchronise the clock with NTP (timedatectl set-ntp true).'}
        return {status: 'pass', detail: `Within ${SKEW_WARN_S} s of the servers (${text}).`}
      },
    },
  ]
  return checks
}

export interface RunOptions {
  checkTimeoutMs: number
  budgetMs: number
  only?: string[]
  skip?: string[]
  /** Called once for each check still running after `slowAfterMs`. */
  onSlow?: (check: {id: string; title: string}) => void
  slowAfterMs?: number
}

export async function runDoctor(all: Check[], options: RunOptions) {
  // --only brings its dependencies along; --skip reports the check as skipped.
  let selected = all
  if (options.only?.length) {
    const wanted = new Set<string>()
    const add = (id: string) => {
      if (wanted.has(id)) return
      wanted.add(id)
      all.find((c) => c.id === id)?.needs.forEach(add)
    }
    options.only.forEach(add)
    selected = all.filter((c) => wanted.has(c.id))
  }
  const ctx: DoctorContext = {serverDates: []}
  const started = Date.now()
  const results = new Map<string, Promise<CheckResult>>()
  const runOne = async (check: Check): Promise<CheckResult> => {
    const base = {id: check.id, title: check.title}
    if (options.skip?.includes(check.id)) return {...base, status: 'skip', durationMs: 0, detail: 'Skipped by --skip.', fix: null, owner: null}
    const deps = await Promise.all(check.needs.filter((id) => results.has(id)).map((id) => results.get(id)!))
    const t0 = Date.now()
    const blocked = deps.find((d) => d.status === 'fail' || d.status === 'skip')
    if (blocked) return {...base, status: 'skip', durationMs: 0, detail: `Skipped: "${blocked.title}" did not pass.`, fix: null, owner: null}
    const remaining = Math.max(0, options.budgetMs - (t0 - started))
    const limit = Math.min(options.checkTimeoutMs, remaining)
    let timer: NodeJS.Timeout | undefined
    let slow: NodeJS.Timeout | undefined
    const timeout = new Promise<CheckOutcome>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            status: 'fail',
            detail: limit < options.checkTimeoutMs ? `Not finished when the budget of ${Math.round(options.budgetMs / 1000)} s ran out.` : `No result within ${Math.round(limit / 1000)} s: the host accepts connections but does not answer.`,
            fix: 'Check the server and any firewall or proxy in between; doctor --timeout and --budget allow more time.',
            owner: check.owner,
          }),
        limit,
      )
    })
    if (options.onSlow) slow = setTimeout(() => options.onSlow!(base), options.slowAfterMs ?? 3_000)
    const outcome = await Promise.race([check.run(ctx).catch((error) => failFrom(error, check.owner)), timeout])
    clearTimeout(timer)
    clearTimeout(slow)
    const failing = outcome.status === 'fail' || outcome.status === 'warn'
    return {...base, status: outcome.status, durationMs: Date.now() - t0, detail: outcome.detail, fix: failing ? (outcome.fix ?? null) : null, owner: failing ? (outcome.owner ?? check.owner) : null}
  }
  for (const check of selected) results.set(check.id, runOne(check))
  const list = await Promise.all(selected.map((c) => results.get(c.id)!))
  const count = (s: CheckStatus) => list.filter((r) => r.status === s).length
  return {checks: list, summary: {passed: count('pass'), warned: count('warn'), failed: count('fail'), skipped: count('skip'), total: list.length}}
}

/** A Markdown report for a support ticket. Details are already redacted by the caller's redactor. */
export function markdownReport(report: Awaited<ReturnType<typeof runDoctor>>, meta: {version: string; config: string | null; at: string}): string {
  const lines = [
    '# melon-immotop doctor report',
    '',
    `- Run: ${meta.at}`,
    `- melon-immotop ${meta.version}, Node.js ${process.versions.node}, ${process.platform}`,
    `- Config: ${meta.config ?? 'not found'}`,
    `- Result: ${report.summary.passed} of ${report.summary.total} checks passed, ${report.summary.warned} warning(s), ${report.summary.failed} failed, ${report.summary.skipped} skipped`,
    '',
    '| check | status | detail | fix (owner) |',
    '|---|---|---|---|',
    ...report.checks.map((c) => `| ${c.title} \`${c.id}\` | ${c.status} | ${c.detail.replace(/\|/g, '\\|')} | ${c.fix ? `${c.fix.replace(/\|/g, '\\|')} (${c.owner})` : ''} |`),
    '',
  ]
  return lines.join('\n')
}
