/** What Windows servers bring: secrets files in their editors' encodings, NTFS access rules, folder advice. */
import {describe, expect, it} from 'vitest'
import {parseAclJson} from '../../src/adapters/windows-acl.js'
import {createFolderAdvice} from '../../src/core/folder-advice.js'
import {decodeSecretsFile} from '../../src/core/secrets-text.js'
import {icaclsFix, judgeAcl} from '../../src/core/windows-acl.js'

const TEXT = 'MELON_IMMOTOP_MELON_TOKEN=mlt_abc\r\n# Zürich\r\nMELON_IMMOTOP_IMMOTOP_PASSWORD=pw\r\n'
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16()

describe('secrets file encodings', () => {
  it('reads UTF-8 with and without BOM and UTF-16 LE/BE with BOM to the same text', () => {
    expect(decodeSecretsFile(Buffer.from(TEXT))).toEqual({text: TEXT, encoding: 'UTF-8'})
    expect(decodeSecretsFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]))).toEqual({text: TEXT, encoding: 'UTF-8 with BOM'})
    expect(decodeSecretsFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]))).toEqual({text: TEXT, encoding: 'UTF-16 LE'})
    expect(decodeSecretsFile(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]))).toEqual({text: TEXT, encoding: 'UTF-16 BE'})
  })

  it('refuses, naming the encoding, what it cannot read whole', () => {
    expect(decodeSecretsFile(Buffer.from(TEXT, 'utf16le'))).toEqual({problem: expect.stringContaining('without a byte-order mark')})
    expect(decodeSecretsFile(Buffer.from(TEXT, 'latin1'))).toEqual({problem: expect.stringContaining('not UTF-8')})
    expect(decodeSecretsFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le').subarray(1)]))).toEqual({problem: expect.stringContaining('cut off')})
    expect(decodeSecretsFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, 'latin1')]))).toEqual({problem: expect.stringContaining('not UTF-8')})
  })
})

describe('NTFS access rules by SID', () => {
  const user = 'S-1-5-21-1004336348-1177238915-682003330-1001'
  const full = 0x1f01ff
  const readAndExecute = 0x1200a9

  it('passes when only the account, SYSTEM and Administrators may read; a rule without read rights does not count', () => {
    const rules = [
      {sid: user, type: 'Allow' as const, rights: full},
      {sid: 'S-1-5-18', type: 'Allow' as const, rights: full},
      {sid: 'S-1-5-32-544', type: 'Allow' as const, rights: full},
      {sid: 'S-1-5-32-545', type: 'Allow' as const, rights: 0x100000}, // Synchronize only
      {sid: 'S-1-1-0', type: 'Deny' as const, rights: full},
    ]
    expect(judgeAcl('C:\\melon\\config.yaml', user, rules).status).toBe('pass')
  })

  it('fails when Users or Everyone may read (also through GenericRead), naming them, with icacls by SID that works in cmd and PowerShell', () => {
    const verdict = judgeAcl('C:\\melon\\config.yaml', user, [
      {sid: user, type: 'Allow', rights: full},
      {sid: 'S-1-5-32-545', type: 'Allow', rights: readAndExecute},
      {sid: 'S-1-1-0', type: 'Allow', rights: 0x8000_0000},
      {sid: 'S-1-5-32-545', type: 'Allow', rights: 0x1},
    ])
    expect(verdict).toMatchObject({status: 'fail', detail: 'C:\\melon\\config.yaml holds secrets and may also be read by Users (S-1-5-32-545), Everyone (S-1-1-0) (NTFS permissions).'})
    expect(verdict.status === 'fail' && verdict.fix).toBe(
      `icacls "C:\\melon\\config.yaml" /inheritance:r /grant:r "*${user}:F" "*S-1-5-18:F" "*S-1-5-32-544:F", then icacls "C:\\melon\\config.yaml" /remove:g "*S-1-5-32-545" "*S-1-1-0"`,
    )
    expect(icaclsFix('D:\\c.json', user)).not.toMatch(/Administrators|%USERNAME%|\$env:/)
  })

  it('reads what the Get-Acl script prints: one rule as an object, several as an array; anything else is unavailable', () => {
    expect(parseAclJson(JSON.stringify({user, rules: {sid: user, type: 'Allow', rights: full}}))).toEqual({user, rules: [{sid: user, type: 'Allow', rights: full}]})
    expect(parseAclJson(JSON.stringify({user, rules: [{sid: user, type: 'Allow', rights: full}, {sid: 'S-1-5-18', type: 'Deny', rights: 1}]}))).toMatchObject({rules: [{sid: user}, {sid: 'S-1-5-18', type: 'Deny'}]})
    expect(parseAclJson('Get-Acl : Access denied')).toEqual({unavailable: expect.any(String)})
    expect(parseAclJson(JSON.stringify({user, rules: [{sid: user, type: 'Allow', rights: 'FullControl'}]}))).toEqual({unavailable: expect.any(String)})
  })
})

describe('folder advice in the platform\'s terms', () => {
  it('mkdir -p on Linux (quoted when needed), mkdir "…" on Windows, and a UNC path is a share to reach, never a folder to create', () => {
    expect(createFolderAdvice('/srv/melon/state', 'linux')).toBe('create it (mkdir -p /srv/melon/state)')
    expect(createFolderAdvice("/srv/it's here", 'linux')).toBe("create it (mkdir -p '/srv/it'\\''s here')")
    expect(createFolderAdvice('D:\\Immotop\\Staging\\DMS2IT', 'win32')).toBe('create it (mkdir "D:\\Immotop\\Staging\\DMS2IT")')
    const unc = createFolderAdvice('\\\\immotop01\\Staging$\\DMS2IT', 'win32')
    expect(unc).toContain('share of \\\\immotop01\\Staging$\\DMS2IT is reachable')
    expect(unc).not.toContain('mkdir')
  })
})
