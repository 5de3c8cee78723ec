/**
 * Service definitions that run `sync` unattended: a systemd service (with a
 * timer, or long-running) for Linux and a WinSW service for Windows. Pure text:
 * the command decides where the files go. No secret is ever written into one;
 * they name the secrets file instead.
 */
import {win32} from 'node:path'
import {XMLBuilder} from 'fast-xml-parser'

export type ServiceKind = 'systemd-timer' | 'systemd' | 'winsw'

export interface ServiceSpec {
  kind: ServiceKind
  /** Absolute path of node (node.exe). */
  node: string
  /** Absolute path of melon-immotop's bin/run.js. */
  bin: string
  config: string
  secretsFile?: string
  /** Seconds between passes. */
  intervalSeconds: number
  /** Linux: the account to run as (systemd User=). */
  user?: string
  /** Windows: the log folder WinSW writes to. */
  logDir?: string
}

export interface ServiceFile {
  name: string
  text: string
}

export const SERVICE_NAME = 'melon-immotop-sync'

/**
 * The stop timeout: sync finishes the tenant in hand on the first signal, which
 * may include waiting for Immotop 2's pick-up; the service manager must give it that long.
 */
const STOP_TIMEOUT_SECONDS = 180

/** One argument for systemd's ExecStart: quoted when needed, `%` and `$` doubled (specifiers, variables). */
function systemdArg(arg: string): string {
  const escaped = arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')
  return /[\s"'\\;]/.test(arg) || escaped !== arg ? `"${escaped}"` : arg
}

/** One argument on a Windows command line (CommandLineToArgvW rules). */
function windowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`
}

function syncArgs(spec: ServiceSpec, once: boolean): string[] {
  return [
    spec.bin,
    'sync',
    ...(once ? ['--once'] : ['--interval', String(spec.intervalSeconds)]),
    '--config',
    spec.config,
    ...(spec.secretsFile ? ['--secrets-file', spec.secretsFile] : []),
    '--log-level',
    'info',
  ]
}

function systemdService(spec: ServiceSpec, once: boolean): string {
  const exec = [spec.node, ...syncArgs(spec, once)].map(systemdArg).join(' ')
  return [
    '[Unit]',
    `Description=melon-immotop: hand new tenants without contract to Immotop 2${once ? ' (one pass, started by the timer)' : ''}`,
    'Documentation=https://github.com/melon-immotop/melon-immotop#operating',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    once ? 'Type=oneshot' : 'Type=simple',
    ...(spec.user ? [`User=${spec.user}`] : []),
    `ExecStart=${exec}`,
    // Exit 7 (Immotop 2 has not picked up yet) and 1 (a tenant failed) are retried by the next pass, not a broken unit.
    ...(once ? ['SuccessExitStatus=1 7'] : ['Restart=on-failure', 'RestartSec=30']),
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${STOP_TIMEOUT_SECONDS}`,
    'UMask=0077',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    '',
    ...(once ? [] : ['[Install]', 'WantedBy=multi-user.target', '']),
  ].join('\n')
}

function systemdTimer(spec: ServiceSpec): string {
  return [
    '[Unit]',
    'Description=melon-immotop: a sync pass at a fixed interval',
    '',
    '[Timer]',
    'OnBootSec=2min',
    `OnUnitInactiveSec=${spec.intervalSeconds}s`,
    'AccuracySec=10s',
    `Unit=${SERVICE_NAME}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n')
}

function winswXml(spec: ServiceSpec): string {
  const builder = new XMLBuilder({format: true, ignoreAttributes: false, suppressEmptyNode: true, processEntities: true})
  const service = {
    id: SERVICE_NAME,
    name: 'melon-immotop sync',
    description: 'Hands new tenants without contract from melon to Immotop 2, exactly once, and mails the contract staff.',
    executable: spec.node,
    arguments: syncArgs(spec, false).map(windowsArg).join(' '),
    // WinSW stops a process with Ctrl-C (SIGINT to node): sync finishes the tenant in hand and exits 0.
    stoptimeout: `${STOP_TIMEOUT_SECONDS} sec`,
    onfailure: [{'@_action': 'restart', '@_delay': '30 sec'}, {'@_action': 'restart', '@_delay': '120 sec'}],
    resetfailure: '1 hour',
    ...(spec.logDir ? {logpath: spec.logDir} : {}),
    log: {'@_mode': 'roll-by-size', sizeThreshold: 10240, keepFiles: 5},
    startmode: 'Automatic',
    delayedAutoStart: 'true',
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({service}) as string}`
}

/** The files for one kind of service, named as the service manager expects them. */
export function serviceFiles(spec: ServiceSpec): ServiceFile[] {
  switch (spec.kind) {
    case 'systemd-timer':
      return [
        {name: `${SERVICE_NAME}.service`, text: systemdService(spec, true)},
        {name: `${SERVICE_NAME}.timer`, text: systemdTimer(spec)},
      ]
    case 'systemd':
      return [{name: `${SERVICE_NAME}.service`, text: systemdService(spec, false)}]
    case 'winsw':
      return [{name: `${SERVICE_NAME}.xml`, text: winswXml(spec)}]
  }
}

/**
 * How to install what serviceFiles wrote into `dir` (shown to the operator, one command a line).
 * `winswCopied`: the release zip's WinSW was copied next to the XML, so there is nothing to download.
 */
export function installSteps(kind: ServiceKind, dir: string, winswCopied = false): string[] {
  const exe = win32.join(dir, `${SERVICE_NAME}.exe`)
  switch (kind) {
    case 'systemd-timer':
      return [
        `sudo cp ${dir}/${SERVICE_NAME}.service ${dir}/${SERVICE_NAME}.timer /etc/systemd/system/`,
        'sudo systemctl daemon-reload',
        `sudo systemctl enable --now ${SERVICE_NAME}.timer`,
        `journalctl -u ${SERVICE_NAME}.service -f`,
      ]
    case 'systemd':
      return [`sudo cp ${dir}/${SERVICE_NAME}.service /etc/systemd/system/`, 'sudo systemctl daemon-reload', `sudo systemctl enable --now ${SERVICE_NAME}.service`, `journalctl -u ${SERVICE_NAME}.service -f`]
    case 'winsw':
      return [
        ...(winswCopied ? [] : [`Copy WinSW.exe (winsw\\WinSW.exe in the release zip, or WinSW-x64.exe v2.12 or later from the WinSW project) to ${exe}, next to ${SERVICE_NAME}.xml`]),
        `${exe} install`,
        `${exe} start`,
        `Logs: ${win32.join(dir, 'logs')} (${SERVICE_NAME}.out.log and .err.log)`,
      ]
  }
}

/** A value written into a unit file or a WinSW definition that is not safe there: which one, and why. */
export interface UnsafeValue {
  field: string
  why: string
}

/**
 * Every value the files carry, checked before anything is written: a control
 * character (a newline above all) in a path or the account would start a
 * directive of its own (`ExecStartPre=` …) in a unit file. The account must
 * be a name or a number systemd accepts for User=.
 */
export function unsafeValues(spec: ServiceSpec): UnsafeValue[] {
  const fields: Array<[string, string | undefined]> = [
    ['--config', spec.config],
    ['--secrets-file', spec.secretsFile],
    ['--user', spec.user],
    ['the node path', spec.node],
    ['the tool path', spec.bin],
    ['--output (logs)', spec.logDir],
  ]
  const found: UnsafeValue[] = []
  for (const [field, value] of fields) {
    if (value === undefined) continue
    const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.exec(value)
    if (control) found.push({field, why: `holds the control character U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`})
  }
  if (spec.user !== undefined && !found.some((f) => f.field === '--user') && !/^(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}|\d{1,10})$/.test(spec.user)) {
    found.push({field: '--user', why: 'is not an account name (letters, digits, _ . -, starting with a letter or _) or a numeric id'})
  }
  return found
}

/** An account as the system knows it. */
export interface Account {
  name: string
  uid: number
  gids: number[]
}

/** What a path and each folder above it allow (lstat of each): the last one is the file. */
export interface PathStep {
  path: string
  mode: number
  uid: number
  gid: number
}

/**
 * Whether `account` may read the file at the end of `chain`, by the mode bits
 * (search on every folder, read on the file). The superuser may. POSIX ACLs
 * are not seen here; where the tool can ask the system itself (as root, with
 * setpriv) it does, and this is the answer elsewhere. Returns the first path
 * that stops the account, or null.
 */
export function blockedFor(account: Account, chain: PathStep[]): string | null {
  if (account.uid === 0) return null
  for (const [index, step] of chain.entries()) {
    const bit = index === chain.length - 1 ? 4 : 1
    const granted = step.uid === account.uid ? (step.mode >> 6) & bit : account.gids.includes(step.gid) ? (step.mode >> 3) & bit : step.mode & bit
    if (!granted) return step.path
  }
  return null
}
