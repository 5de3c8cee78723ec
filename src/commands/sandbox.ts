import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../cli/base-command.js'
import {readFileSync} from 'node:fs'
import {resolve} from 'node:path'
import {mask} from '../core/redact.js'
import {ConfigError, UsageError} from '../errors.js'

export default class Sandbox extends BaseCommand {
  static override summary = 'Run local emulators of melon and Immotop 2, with staging folders, for demos and tests.'
  static override description =
    'Starts the melon partner API and the Immotop 2 DMS REST services on loopback (free ports by default), seeded with Swiss sample data, and processes the staging folder as Immotop 2 does. --write-config writes a ready-to-use config. Runs until SIGINT or SIGTERM.'
  static override examples = [
    '<%= config.bin %> sandbox --data-dir .sandbox --write-config .sandbox/config.yaml',
    '<%= config.bin %> sandbox --json --data-dir /tmp/sb --write-config /tmp/sb/config.json',
  ]
  static override flags = {
    'data-dir': Flags.string({description: 'Folder for the SQLite state, documents and staging folders.', default: '.sandbox'}),
    'write-config': Flags.string({description: 'Write a config for this sandbox to this file (JSON when it ends in .json, else YAML).'}),
    host: Flags.string({description: 'Loopback address to listen on.', default: '127.0.0.1'}),
    'melon-port': Flags.integer({description: 'Port of the melon emulator (0 = a free port).', default: 0, min: 0, max: 65535}),
    'immotop-port': Flags.integer({description: 'Port of the Immotop 2 emulator (0 = a free port).', default: 0, min: 0, max: 65535}),
    'smtp-port': Flags.integer({description: 'Port of the SMTP sink (0 = a free port).', default: 0, min: 0, max: 65535}),
    faults: Flags.string({description: 'Inject faults, e.g. 503=0.2,429=0.05,reset=0.05,truncate=0.05,latency=50ms (also malformed, html, ackdelay, ackerror, lostanswer, emptyview=GetDmsObjekt).'}),
    'tls-cert': Flags.string({description: 'Serve HTTPS with this certificate (PEM); needs --tls-key.', dependsOn: ['tls-key']}),
    'tls-key': Flags.string({description: 'Private key (PEM) for --tls-cert.', dependsOn: ['tls-cert']}),
    'tls-ca': Flags.string({description: 'CA file to put into the written config as caFile.'}),
    'public-host': Flags.string({description: 'Host name for the base URLs (must match the TLS certificate), e.g. localhost.'}),
    'immotop-pickup': Flags.string({
      description: 'What the emulated Immotop 2 does with staging folder 2: saved (pick up and answer SavedDocument), consume (pick up silently, as W&W documents it) or off (never pick up).',
      options: ['saved', 'consume', 'off'],
      default: 'saved',
    }),
    'immotop-version': Flags.string({description: 'Immotop 2 version to emulate, e.g. 2.7.18: below 2.7.19 the views lack gueltigvon/gueltigbis and IstAktiv.', default: '2.7.23'}),
  }

  private stopRequested: (() => void) | null = null
  private pendingStop = false

  protected override handleSignal(signal: 'SIGINT' | 'SIGTERM'): void {
    if (this.stopRequested) this.stopRequested()
    else if (this.pendingStop) this.exitOnSignal(signal)
    else this.pendingStop = true
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Sandbox)
    const {startSandbox, parseFaultSpec} = await loadSandbox()
    let faults
    try {
      faults = flags.faults ? parseFaultSpec(flags.faults) : undefined
    } catch (error) {
      throw new UsageError('BAD_FAULTS', `--faults: ${(error as Error).message}.`, 'Write it like 503=0.2,429=0.05,reset=0.05,truncate=0.05,latency=50ms.')
    }
    const tls = flags['tls-cert'] && flags['tls-key'] ? {cert: readFileSync(flags['tls-cert']), key: readFileSync(flags['tls-key']), caFile: flags['tls-ca'] ? resolve(flags['tls-ca']) : undefined} : undefined
    const sandbox = await startSandbox({
      faults,
      tls,
      publicHost: flags['public-host'],
      dataDir: flags['data-dir'],
      host: flags.host,
      melonPort: flags['melon-port'],
      immotopPort: flags['immotop-port'],
      smtpPort: flags['smtp-port'],
      writeConfig: flags['write-config'],
      immotopPickup: flags['immotop-pickup'] as 'saved' | 'consume' | 'off',
      immotopVersion: flags['immotop-version'],
    })
    this.redactor.add(sandbox.melon.token, sandbox.immotop.password, sandbox.smtp.password).addBasicAuth('wwdms', sandbox.immotop.password)
    const ready = {
      status: 'ready',
      pid: process.pid,
      dataDir: sandbox.dataDir,
      melon: {baseUrl: sandbox.melon.baseUrl, project: sandbox.melon.project, token: mask(sandbox.melon.token)},
      immotop: {baseUrl: sandbox.immotop.baseUrl, user: sandbox.immotop.user, password: mask(sandbox.immotop.password), version: sandbox.immotop.version, pickup: sandbox.immotop.pickup},
      smtp: {host: sandbox.smtp.host, port: sandbox.smtp.port, user: sandbox.smtp.user, password: mask(sandbox.smtp.password), inbox: sandbox.smtp.inbox},
      stagingDir: sandbox.stagingDir,
      incomingDir: sandbox.incomingDir,
      ackDir: sandbox.ackDir,
      configPath: sandbox.configPath,
      faults: faults ?? null,
      admin: {
        faults: [`${sandbox.melon.baseUrl}/_sandbox/faults`, `${sandbox.immotop.baseUrl}/_sandbox/faults`],
        createTenants: `${sandbox.melon.baseUrl}/_sandbox/tenants`,
        handovers: `${sandbox.immotop.baseUrl}/_sandbox/handovers`,
        pickup: `${sandbox.immotop.baseUrl}/_sandbox/pickup`,
        createTenancy: `${sandbox.immotop.baseUrl}/_sandbox/tenancies`,
        exports: [`${sandbox.immotop.baseUrl}/_sandbox/export/portal.idx`, `${sandbox.immotop.baseUrl}/_sandbox/export/dta-mpexp.csv`],
      },
    }
    if (this.jsonEnabled()) {
      this.logJson(ready)
    } else {
      const c = this.ui.color
      this.ui.out(c.bold('Sandbox ready'))
      this.ui.out(`  melon      ${ready.melon.baseUrl}  (project ${ready.melon.project})`)
      this.ui.out(`  Immotop 2  ${ready.immotop.baseUrl}  (user wwdms, version ${ready.immotop.version}, pick-up ${ready.immotop.pickup})`)
      this.ui.out(`  staging    ${ready.stagingDir}`)
      this.ui.out(`  SMTP sink  ${ready.smtp.host}:${ready.smtp.port}  (inbox ${ready.smtp.inbox})`)
      if (ready.configPath) this.ui.out(`  config     ${ready.configPath}   →  melon-immotop doctor --config ${ready.configPath}`)
      this.ui.out(c.dim('Stop with Ctrl-C.'))
    }
    // From here on, a signal is the sandbox's normal end.
    await new Promise<void>((resolve) => {
      this.stopRequested = resolve
      if (this.pendingStop) resolve()
    })
    await sandbox.close()
    this.ui.err('Sandbox stopped.')
  }
}

/** The packages only the sandbox needs: optional peers, so that a production install stays lean. */
export const SANDBOX_PACKAGES = ['fastify@5', 'pdf-lib@1', 'smtp-server@3', 'mailparser@3']

/** The sandbox's modules, or a config error naming the install that brings them. */
async function loadSandbox() {
  // Checked up front: mailparser, say, is only imported when the first mail arrives.
  const missing = SANDBOX_PACKAGES.map((p) => p.split('@')[0]!).find((name) => !resolvable(name))
  if (missing) {
    throw new ConfigError(
      'SANDBOX_NOT_INSTALLED',
      `The sandbox is not part of this install: the package ${missing} is missing (a production install leaves the sandbox's packages out).`,
      `Install them beside the tool: npm install -g melon-immotop ${SANDBOX_PACKAGES.join(' ')} (or run the sandbox from a clone: npm ci && npm run demo).`,
    )
  }
  const [{startSandbox}, {parseFaultSpec}] = await Promise.all([import('../sandbox/index.js'), import('../sandbox/faults.js')])
  return {startSandbox, parseFaultSpec}
}

function resolvable(name: string): boolean {
  try {
    import.meta.resolve(name)
    return true
  } catch {
    return false
  }
}
