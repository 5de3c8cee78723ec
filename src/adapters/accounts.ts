/**
 * The system's accounts, for `service --user`: whether the account exists
 * (`id`, which asks NSS: local files, LDAP, AD through sssd) and whether it
 * can read a file. As root the system itself is asked (setpriv runs `test -r`
 * as that account, so ACLs count too); otherwise the mode bits of the path
 * decide (core/service-units.ts blockedFor).
 */
import {execFile} from 'node:child_process'
import {lstatSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {promisify} from 'node:util'
import {blockedFor, type Account, type PathStep} from '../core/service-units.js'

const run = promisify(execFile)
const BOUND = {timeout: 10_000, maxBuffer: 64 * 1024}

/** The account, or null when the system has none of that name (or number). */
export async function lookupAccount(name: string): Promise<Account | null> {
  try {
    const [uid, gids, user] = await Promise.all([run('id', ['-u', '--', name], BOUND), run('id', ['-G', '--', name], BOUND), run('id', ['-un', '--', name], BOUND)])
    return {name: user.stdout.trim(), uid: Number(uid.stdout.trim()), gids: gids.stdout.trim().split(/\s+/).map(Number)}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('the `id` command is not there to look the account up', {cause: error})
    return null
  }
}

/** The first path that keeps `account` from reading `file` (a folder above it, or the file), or null when it can. */
export async function unreadableFor(account: Account, file: string): Promise<string | null> {
  const path = resolve(file)
  if (process.getuid?.() === 0 && account.uid !== 0) {
    const asked = await askSystem(account, path)
    if (asked !== undefined) return asked
  }
  return blockedFor(account, chainOf(path))
}

/** As root: setpriv runs `test -r` (and `test -x` on each folder) as the account; undefined when setpriv is not there. */
async function askSystem(account: Account, path: string): Promise<string | null | undefined> {
  const steps = chainOf(path).map((s) => s.path)
  for (const [index, step] of steps.entries()) {
    const test = index === steps.length - 1 ? '-r' : '-x'
    try {
      await run('setpriv', [`--reuid=${account.uid}`, `--regid=${account.gids[0] ?? account.uid}`, '--init-groups', '--', 'test', test, step], BOUND)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      return step
    }
  }
  return null
}

function chainOf(path: string): PathStep[] {
  const paths: string[] = []
  for (let p = path; ; p = dirname(p)) {
    paths.unshift(p)
    if (dirname(p) === p) break
  }
  return paths.map((p) => {
    const {mode, uid, gid} = lstatSync(p)
    return {path: p, mode, uid, gid}
  })
}
