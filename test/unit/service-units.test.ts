import {XMLParser} from 'fast-xml-parser'
import {describe, expect, it} from 'vitest'
import {blockedFor, installSteps, serviceFiles, unsafeValues, type ServiceSpec} from '../../src/core/service-units.js'

/** A minimal systemd unit parser: sections of key=value lines. */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const units: Record<string, Record<string, string[]>> = {}
  let section = ''
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue
    const header = /^\[(\w+)\]$/.exec(line)
    if (header) {
      section = header[1]!
      units[section] = {}
      continue
    }
    const at = line.indexOf('=')
    expect(at, `not key=value: ${line}`).toBeGreaterThan(0)
    const key = line.slice(0, at)
    ;(units[section]![key] ??= []).push(line.slice(at + 1))
  }
  return units
}

/** systemd's ExecStart word splitting (quotes, backslash escapes) and its %% / $$ unescaping. */
function execWords(value: string): string[] {
  const words: string[] = []
  let i = 0
  while (i < value.length) {
    while (value[i] === ' ') i++
    if (i >= value.length) break
    let word = ''
    if (value[i] === '"') {
      i++
      while (value[i] !== '"') {
        if (value[i] === '\\') i++
        word += value[i++]
      }
      i++
    } else {
      while (i < value.length && value[i] !== ' ') word += value[i++]
    }
    words.push(word.replace(/%%/g, '%').replace(/\$\$/g, '$'))
  }
  return words
}

/** Windows' CommandLineToArgvW rules for the arguments WinSW passes on. */
function windowsWords(line: string): string[] {
  const words: string[] = []
  let i = 0
  while (i < line.length) {
    while (line[i] === ' ') i++
    if (i >= line.length) break
    let word = ''
    let quoted = false
    while (i < line.length && (quoted || line[i] !== ' ')) {
      let slashes = 0
      while (line[i] === '\\') {
        slashes++
        i++
      }
      if (line[i] === '"') {
        word += '\\'.repeat(Math.floor(slashes / 2))
        if (slashes % 2 === 1) word += '"'
        else quoted = !quoted
        i++
      } else {
        word += '\\'.repeat(slashes)
        if (i < line.length && (quoted || line[i] !== ' ')) word += line[i++]
      }
    }
    words.push(word)
  }
  return words
}

const linux: ServiceSpec = {kind: 'systemd-timer', node: '/usr/bin/node', bin: '/opt/melon immotop/bin/run.js', config: '/etc/melon-immotop/100% "real".yaml', secretsFile: '/etc/melon-immotop/$ecrets.env', intervalSeconds: 90, user: 'melon'}

describe('systemd units', () => {
  it('timer kind: a one-pass service whose ExecStart gives back every argument exactly, and a timer', () => {
    const files = serviceFiles(linux)
    expect(files.map((f) => f.name)).toEqual(['melon-immotop-sync.service', 'melon-immotop-sync.timer'])
    const service = parseUnit(files[0]!.text)
    expect(service.Service!.Type).toEqual(['oneshot'])
    expect(service.Service!.User).toEqual(['melon'])
    expect(service.Service!.SuccessExitStatus).toEqual(['1 7'])
    expect(Number(service.Service!.TimeoutStopSec![0])).toBeGreaterThanOrEqual(120)
    expect(execWords(service.Service!.ExecStart![0]!)).toEqual(['/usr/bin/node', '/opt/melon immotop/bin/run.js', 'sync', '--once', '--config', '/etc/melon-immotop/100% "real".yaml', '--secrets-file', '/etc/melon-immotop/$ecrets.env', '--log-level', 'info'])
    const timer = parseUnit(files[1]!.text)
    expect(timer.Timer!.OnUnitInactiveSec).toEqual(['90s'])
    expect(timer.Timer!.Unit).toEqual(['melon-immotop-sync.service'])
    expect(timer.Install!.WantedBy).toEqual(['timers.target'])
  })
  it('long-running kind: sync --interval, restarted on failure, enabled at boot', () => {
    const [file] = serviceFiles({...linux, kind: 'systemd', secretsFile: undefined})
    const service = parseUnit(file!.text)
    expect(service.Service!.Type).toEqual(['simple'])
    expect(service.Service!.Restart).toEqual(['on-failure'])
    expect(execWords(service.Service!.ExecStart![0]!)).toEqual(['/usr/bin/node', '/opt/melon immotop/bin/run.js', 'sync', '--interval', '90', '--config', '/etc/melon-immotop/100% "real".yaml', '--log-level', 'info'])
    expect(service.Install!.WantedBy).toEqual(['multi-user.target'])
    expect(installSteps('systemd', '/tmp/u')).toContain('sudo systemctl enable --now melon-immotop-sync.service')
  })
})

describe('WinSW service', () => {
  it('install steps name the executable once, with one separator, also for a drive root; without a download once the zip\'s WinSW was copied', () => {
    expect(installSteps('winsw', 'D:\\')).toEqual([
      'Copy WinSW.exe (winsw\\WinSW.exe in the release zip, or WinSW-x64.exe v2.12 or later from the WinSW project) to D:\\melon-immotop-sync.exe, next to melon-immotop-sync.xml',
      'D:\\melon-immotop-sync.exe install',
      'D:\\melon-immotop-sync.exe start',
      'Logs: D:\\logs (melon-immotop-sync.out.log and .err.log)',
    ])
    expect(installSteps('winsw', 'C:\\melon-immotop\\', true)).toEqual([
      'C:\\melon-immotop\\melon-immotop-sync.exe install',
      'C:\\melon-immotop\\melon-immotop-sync.exe start',
      'Logs: C:\\melon-immotop\\logs (melon-immotop-sync.out.log and .err.log)',
    ])
  })

  it('parses as XML; node.exe with arguments that Windows splits back exactly; restarts; a stop timeout for the tenant in hand', () => {
    const [file] = serviceFiles({kind: 'winsw', node: 'C:\\Program Files\\nodejs\\node.exe', bin: 'C:\\melon-immotop\\bin\\run.js', config: 'C:\\Users\\svc melon\\config.yaml', secretsFile: '\\\\fileserver\\immo share\\melon "x".env', intervalSeconds: 60, logDir: 'C:\\melon-immotop\\logs\\'})
    expect(file!.name).toBe('melon-immotop-sync.xml')
    const xml = new XMLParser({ignoreAttributes: false, parseTagValue: false}).parse(file!.text)
    const service = xml.service
    expect(service.id).toBe('melon-immotop-sync')
    expect(service.executable).toBe('C:\\Program Files\\nodejs\\node.exe')
    expect(windowsWords(service.arguments)).toEqual(['C:\\melon-immotop\\bin\\run.js', 'sync', '--interval', '60', '--config', 'C:\\Users\\svc melon\\config.yaml', '--secrets-file', '\\\\fileserver\\immo share\\melon "x".env', '--log-level', 'info'])
    expect(service.stoptimeout).toBe('180 sec')
    expect(service.onfailure[0]['@_action']).toBe('restart')
    expect(service.log['@_mode']).toBe('roll-by-size')
    expect(service.logpath).toBe('C:\\melon-immotop\\logs\\')
  })
})

describe('unit-file values and accounts (issue 24, hole 9)', () => {
  const spec = {kind: 'systemd' as const, node: '/usr/bin/node', bin: '/opt/mi/bin/run.js', config: '/etc/mi/config.yaml', intervalSeconds: 60}
  it.each([
    [{config: '/etc/mi/a\nExecStartPre=/bin/sh'}, '--config', 'U+000A'],
    [{user: 'melon\rx'}, '--user', 'U+000D'],
    [{secretsFile: '/etc/mi/env\u0085'}, '--secrets-file', 'U+0085'],
    [{node: '/usr/bin/no\u2028de'}, 'the node path', 'U+2028'],
  ])('%j: refused, naming %s and %s', (over, field, char) => {
    expect(unsafeValues({...spec, ...over})).toEqual([{field, why: `holds the control character ${char}`}])
  })
  it('account names systemd takes, and numeric ids, pass; others are named', () => {
    for (const user of ['melon', 'melon-immotop', 'svc_mi', 'a.b', '1001']) expect(unsafeValues({...spec, user})).toEqual([])
    for (const user of ['-x', 'me;reboot', 'a b', '']) expect(unsafeValues({...spec, user})[0]?.field).toBe('--user')
  })
  const step = (path: string, mode: number, uid = 0, gid = 0) => ({path, mode, uid, gid})
  it('blockedFor: search on each folder, read on the file; owner, group, others; the superuser always', () => {
    const chain = [step('/', 0o755), step('/etc', 0o755), step('/etc/mi', 0o750, 0, 50), step('/etc/mi/config.yaml', 0o640, 0, 50)]
    expect(blockedFor({name: 'melon', uid: 1001, gids: [1001, 50]}, chain)).toBeNull()
    expect(blockedFor({name: 'other', uid: 1002, gids: [1002]}, chain)).toBe('/etc/mi')
    expect(blockedFor({name: 'other', uid: 1002, gids: [1002]}, [...chain.slice(0, 2), step('/etc/mi', 0o755), step('/etc/mi/config.yaml', 0o640)])).toBe('/etc/mi/config.yaml')
    expect(blockedFor({name: 'owner', uid: 1003, gids: [1003]}, [...chain.slice(0, 2), step('/etc/mi', 0o700, 1003), step('/etc/mi/config.yaml', 0o600, 1003)])).toBeNull()
    // The owner's bits count for the owner even when others' would allow more.
    expect(blockedFor({name: 'owner', uid: 1003, gids: [1003]}, [step('/', 0o755), step('/f', 0o044, 1003)])).toBe('/f')
    expect(blockedFor({name: 'root', uid: 0, gids: [0]}, [step('/', 0o700, 5), step('/f', 0o000, 5)])).toBeNull()
  })
})
