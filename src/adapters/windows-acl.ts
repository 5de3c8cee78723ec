/**
 * The NTFS access rules of a file, read through Windows PowerShell's Get-Acl
 * (always present on Windows Server), with every identity as its SID and the
 * SID of the account running the tool. Bounded: 20 s, 256 KiB of output. Only
 * a real Windows shows it works (README "Windows specifics"); the judgement is
 * core/windows-acl.ts.
 */
import {execFile} from 'node:child_process'
import type {AclRule} from '../core/windows-acl.js'

// The path comes in through the environment, never through the command line: no quoting to get wrong.
const SCRIPT = [
  "$ErrorActionPreference = 'Stop'",
  '$acl = Get-Acl -LiteralPath $env:MELON_IMMOTOP_ACL_FILE',
  '$rules = @($acl.Access | ForEach-Object { $id = $_.IdentityReference; $sid = try { $id.Translate([Security.Principal.SecurityIdentifier]).Value } catch { $id.Value }; @{sid = $sid; type = [string]$_.AccessControlType; rights = [int64]$_.FileSystemRights} })',
  '@{user = [Security.Principal.WindowsIdentity]::GetCurrent().User.Value; rules = $rules} | ConvertTo-Json -Compress -Depth 3',
].join('; ')

export type AclReading = {user: string; rules: AclRule[]} | {unavailable: string}

export function readWindowsAcl(file: string): Promise<AclReading> {
  return new Promise((resolve) => {
    execFile(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', SCRIPT],
      {env: {...process.env, MELON_IMMOTOP_ACL_FILE: file}, timeout: 20_000, maxBuffer: 256 * 1024, windowsHide: true},
      (error, stdout) => {
        if (error) return resolve({unavailable: `PowerShell's Get-Acl did not answer (${(error as NodeJS.ErrnoException).code ?? 'error'})`})
        resolve(parseAclJson(stdout))
      },
    )
  })
}

/** What the script prints, checked: one rule comes as an object, several as an array. */
export function parseAclJson(text: string): AclReading {
  try {
    const doc = JSON.parse(text) as {user?: unknown; rules?: unknown}
    const list = Array.isArray(doc.rules) ? doc.rules : doc.rules ? [doc.rules] : []
    const rules = list.flatMap((r: {sid?: unknown; type?: unknown; rights?: unknown}) =>
      typeof r.sid === 'string' && (r.type === 'Allow' || r.type === 'Deny') && typeof r.rights === 'number' ? [{sid: r.sid, type: r.type, rights: r.rights} as AclRule] : [],
    )
    if (typeof doc.user !== 'string' || rules.length !== list.length) return {unavailable: 'Get-Acl answered in an unexpected form'}
    return {user: doc.user, rules}
  } catch {
    return {unavailable: 'Get-Acl answered in an unexpected form'}
  }
}
