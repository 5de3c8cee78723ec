import {constants, existsSync} from 'node:fs'
import {copyFile, mkdir, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../cli/base-command.js'
import {installSteps, SERVICE_NAME, serviceFiles, type ServiceKind, type ServiceSpec} from '../core/service-units.js'
import {ConflictError} from '../errors.js'
import {checkSpec} from '../services/service-spec.js'

const KINDS: ServiceKind[] = ['systemd-timer', 'systemd', 'winsw']

export default class Service extends BaseCommand {
  static override summary = 'Write a ready service definition that runs sync unattended: systemd (timer or long-running) or WinSW on Windows.'
  static override description = `Checks the config, then writes the service files into --output and prints how to install them (README "Operating"). The files name the config and the secrets file by absolute path and never contain a secret. With no --secrets-file, the env file that init wrote next to the config (melon-immotop.env) is used when it is there.

Kinds: systemd-timer (a one-pass service started by a timer every --interval seconds; the default on Linux), systemd (a long-running sync --interval), winsw (a Windows service through WinSW; the default on Windows).`
  static override examples = [
    '<%= config.bin %> service --config /etc/melon-immotop/config.yaml --user melon --output ./units',
    '<%= config.bin %> service --kind systemd --interval 120 --output ./units',
    '<%= config.bin %> service --kind winsw --config C:\\melon-immotop\\config.yaml --output C:\\melon-immotop',
  ]
  static override flags = {
    kind: Flags.string({description: 'Which service manager.', options: KINDS, default: process.platform === 'win32' ? 'winsw' : 'systemd-timer'}),
    output: Flags.string({description: 'Folder to write the files into (created if missing).', default: '.'}),
    interval: Flags.integer({description: 'Seconds between passes (default: sync.intervalSeconds of the config).', min: 10}),
    user: Flags.string({description: 'systemd: the account to run as (User=). Give it read access to the config and write access to the state and staging folders.'}),
    force: Flags.boolean({description: 'Overwrite files that are already there.'}),
  }

  async run(): Promise<{kind: ServiceKind; files: string[]; install: string[]}> {
    const {flags} = await this.parse(Service)
    const loaded = await this.loadConfig(flags.config, [])
    const configDir = dirname(loaded.filepath)
    const initEnv = join(configDir, 'melon-immotop.env')
    const secretsFile = flags['secrets-file'] ? resolve(flags['secrets-file']) : existsSync(initEnv) ? initEnv : undefined
    const kind = flags.kind as ServiceKind
    const output = resolve(flags.output)
    const spec: ServiceSpec = {
      kind,
      node: process.execPath,
      // The package root as oclif found it: the same path whether dist/ is bundled or not.
      bin: join(this.config.root, 'bin', 'run.js'),
      config: loaded.filepath,
      secretsFile,
      intervalSeconds: flags.interval ?? loaded.config.sync.intervalSeconds,
      user: flags.user,
      logDir: kind === 'winsw' ? join(output, 'logs') : undefined,
    }
    await checkSpec(spec)
    const files = serviceFiles(spec)
    const copies = kind === 'winsw' ? bundledWinsw(this.config.root, output) : []
    // Every file is checked before the first is written: a refusal leaves nothing half-written.
    const present = flags.force ? [] : [...files.map((f) => join(output, f.name)), ...copies.map((c) => c.to)].filter((path) => existsSync(path))
    if (present.length > 0) throw new ConflictError('SERVICE_EXISTS', `${present.join(', ')} already there; nothing was written.`, 'Pass --force to overwrite, or choose another --output.')
    await mkdir(output, {recursive: true, mode: 0o700})
    const written: string[] = []
    for (const file of files) {
      const path = join(output, file.name)
      await writeFile(path, file.text, {mode: 0o600, flag: flags.force ? 'w' : 'wx'})
      written.push(path)
    }
    for (const {from, to} of copies) {
      await copyFile(from, to, flags.force ? 0 : constants.COPYFILE_EXCL)
      written.push(to)
    }
    const winswCopied = copies.length > 0
    const install = installSteps(kind, output, winswCopied)
    this.ui.out(`Wrote ${written.join(', ')}${secretsFile ? ` (secrets from ${secretsFile})` : ' (no secrets file: give the service its secrets in the environment, or pass --secrets-file)'}.`)
    this.ui.out('To install:')
    for (const step of install) this.ui.out(`  ${step}`)
    return {kind, files: written, install}
  }
}

/**
 * The release zip ships WinSW (winsw/WinSW.exe beside bin/): copied next to the XML under the
 * service's name, as WinSW wants it, with its .exe.config (WinSW 1.17 is a .NET 2 program; the
 * config lets it run on the .NET Framework 4 that Windows Server has). None outside the zip.
 */
function bundledWinsw(root: string, output: string): Array<{from: string; to: string}> {
  const exe = join(root, 'winsw', 'WinSW.exe')
  if (!existsSync(exe)) return []
  const target = join(output, `${SERVICE_NAME}.exe`)
  return [{from: exe, to: target}, ...(existsSync(`${exe}.config`) ? [{from: `${exe}.config`, to: `${target}.config`}] : [])]
}
