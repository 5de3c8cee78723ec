/**
 * What every doctor check shares: the result types, the context one run fills
 * (config, clients, server dates), memoised calls that several checks read,
 * and the helpers that turn errors and folders into outcomes.
 */
import {createFolderAdvice} from '../../core/folder-advice.js'
import {constants} from 'node:fs'
import {access, mkdir, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import type {ImmotopRestClient} from '../../adapters/immotop-rest.js'
import type {MelonClient} from '../../adapters/melon-client.js'
import type {LoadedConfig} from '../../config/load.js'
import {toAppError, type AppError} from '../../errors.js'

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
  /** For a check skipped because a dependency did not pass: the check at the root of it (failed, or skipped by --skip). */
  blockedBy?: string
}

export interface CheckOutcome {
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

export interface DoctorContext {
  loaded?: LoadedConfig
  melon?: MelonClient
  immotop?: ImmotopRestClient
  melonMe?: Promise<Awaited<ReturnType<MelonClient['me']>>>
  immotopTest?: Promise<Awaited<ReturnType<ImmotopRestClient['test']>>>
  serverDates: Array<{system: string; date: string}>
}

/** melon's /me, asked once per run; its Date header goes to the clock check. */
export function melonMe(ctx: DoctorContext) {
  ctx.melonMe ??= ctx.melon!.me().then((me) => {
    if (me.serverDate) ctx.serverDates.push({system: 'melon', date: me.serverDate})
    return me
  })
  return ctx.melonMe
}

/** Immotop 2's Test, asked once per run; auth, Version header and clock read its outcome. */
export function immotopTest(ctx: DoctorContext) {
  ctx.immotopTest ??= ctx.immotop!.test().then((answer) => {
    if (answer.serverDate) ctx.serverDates.push({system: 'Immotop 2', date: answer.serverDate})
    return answer
  })
  return ctx.immotopTest
}

export function failFrom(error: unknown, owner?: Owner): CheckOutcome {
  const app = toAppError(error)
  return {status: 'fail', detail: app.message, fix: app.fix, owner: ownerOf(app) ?? owner}
}

/** Who usually fixes an error of this kind. */
function ownerOf(error: AppError): Owner | undefined {
  if (['DNS', 'CONNECTION_REFUSED', 'TIMEOUT', 'PROXY', 'NETWORK', 'CONNECTION_RESET'].includes(error.code)) return "customer's IT"
  return undefined
}

export async function writableDir(key: string, dir: string, create: boolean): Promise<CheckOutcome> {
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
      fix: code === 'ENOENT' ? `${capitalise(createFolderAdvice(dir))}, or correct ${key}.` : `Give this user read and write access to ${dir}, or correct ${key}.`,
    }
  }
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)
