/**
 * Who may read a file on Windows, judged from its access rules with SIDs
 * (locale-independent: "Administrators" is "Administratoren" on a German
 * server, S-1-5-32-544 everywhere). Pure; adapters/windows-acl.ts reads the
 * rules. Allowed to read a file that holds secrets: the account running the
 * tool, SYSTEM (S-1-5-18) and the local Administrators group (S-1-5-32-544).
 */

export interface AclRule {
  /** The SID of the identity the rule is for (or its name where Windows could not translate it). */
  sid: string
  type: 'Allow' | 'Deny'
  /** FileSystemRights as a number. */
  rights: number
}

export const SYSTEM_SID = 'S-1-5-18'
export const ADMINISTRATORS_SID = 'S-1-5-32-544'

/** ReadData, GenericRead, GenericAll: the rights that let someone read the file's content. */
const READ_CONTENT = 0x1 | 0x8000_0000 | 0x1000_0000

const KNOWN: Record<string, string> = {
  'S-1-1-0': 'Everyone',
  'S-1-5-11': 'Authenticated Users',
  'S-1-5-32-545': 'Users',
  'S-1-5-32-546': 'Guests',
  'S-1-5-4': 'Interactive',
  'S-1-5-32-547': 'Power Users',
}

export type AclVerdict = {status: 'pass'; detail: string} | {status: 'fail'; detail: string; fix: string}

/** Whether anyone but `user`, SYSTEM and Administrators may read `file`. */
export function judgeAcl(file: string, user: string, rules: AclRule[]): AclVerdict {
  const allowed = new Set([user, SYSTEM_SID, ADMINISTRATORS_SID])
  const readers = [...new Set(rules.filter((r) => r.type === 'Allow' && (r.rights & READ_CONTENT) !== 0 && !allowed.has(r.sid)).map((r) => r.sid))]
  if (readers.length === 0) return {status: 'pass', detail: `${file}: only this account, SYSTEM and Administrators may read it (NTFS permissions).`}
  const named = readers.map((sid) => (KNOWN[sid] ? `${KNOWN[sid]} (${sid})` : sid))
  return {status: 'fail', detail: `${file} holds secrets and may also be read by ${named.join(', ')} (NTFS permissions).`, fix: icaclsFix(file, user, readers)}
}

/**
 * icacls with SIDs (`*S-…`), the same in cmd and in PowerShell: inherited
 * rules off, full control for this account, SYSTEM and Administrators, then
 * the other readers' own rules removed.
 */
export function icaclsFix(file: string, user: string, readers: string[] = []): string {
  const grant = `icacls "${file}" /inheritance:r /grant:r "*${user}:F" "*${SYSTEM_SID}:F" "*${ADMINISTRATORS_SID}:F"`
  const remove = readers.filter((sid) => sid.startsWith('S-')).map((sid) => `"*${sid}"`)
  return remove.length > 0 ? `${grant}, then icacls "${file}" /remove:g ${remove.join(' ')}` : grant
}
