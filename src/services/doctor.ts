/**
 * doctor: every connection and setting, checked in parallel, reported in a
 * fixed order. A check whose dependency did not pass is skipped, not failed a
 * second time. Every check has its own timeout and the run a total budget, so
 * a hung host cannot hang the onboarding meeting.
 */
import {constants} from 'node:fs'
import {access, mkdir, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {ImmotopRestClient} from '../adapters/immotop-rest.js'
import {MelonClient, melonBaseUrl} from '../adapters/melon-client.js'
import {configWarnings, loadConfig, type LoadedConfig} from '../config/load.js'
import {SECRET_ENV} from '../config/schema.js'
import {mask} from '../core/redact.js'
import {toAppError} from '../errors.js'

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip'

export interface CheckResult {
  id: string
  title: string
  status: CheckStatus
  durationMs: number
  detail: string
  fix: string | null
}

interface CheckOutcome {
  status: Exclude<CheckStatus, 'skip'>
  detail: string
  fix?: string
}

interface Check {
  id: string
  title: string
  needs: string[]
  run: (ctx: DoctorContext) => Promise<CheckOutcome>
}

interface DoctorContext {
  loaded?: LoadedConfig
  melon?: MelonClient
  immotop?: ImmotopRestClient
}

function failFrom(error: unknown): CheckOutcome {
  const app = toAppError(error)
  return {status: 'fail', detail: app.message, fix: app.fix}
}

async function writableDir(key: string, dir: string, create: boolean): Promise<CheckOutcome> {
  try {
    if (create) await mkdir(dir, {recursive: true, mode: 0o700})
    const info = await stat(dir)
    if (!info.isDirectory()) return {status: 'fail', detail: `${key} ${dir} is not a directory.`, fix: `Point ${key} at a directory.`}
    await access(dir, constants.R_OK | constants.W_OK)
    const probe = join(dir, `.melon-immotop-doctor-${process.pid}`)
    await writeFile(probe, '', {mode: 0o600})
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

export function doctorChecks(options: {configPath?: string}): Check[] {
  return [
    {
      id: 'config',
      title: 'Config found and valid',
      needs: [],
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
      async run(ctx) {
        const loaded = ctx.loaded!
        if (loaded.missingSecrets.length > 0) {
          const missing = loaded.missingSecrets
          return {
            status: 'fail',
            detail: `Missing: ${missing.join(', ')}.`,
            fix: `Set ${missing.map((key) => SECRET_ENV[key]).join(' and ')}, or add the keys to ${loaded.filepath}.`,
          }
        }
        const {config, sources} = loaded
        ctx.melon = new MelonClient(config.melon, {retry: {maxAttempts: 1}})
        ctx.immotop = new ImmotopRestClient(config.immotop, {retry: {maxAttempts: 1}})
        return {
          status: 'pass',
          detail: `melon.token ${mask(config.melon.token)} (${sources['melon.token']}), immotop.password ${mask(config.immotop.password)} (${sources['immotop.password']}).`,
        }
      },
    },
    {
      id: 'melon.api',
      title: 'melon reachable, token accepted',
      needs: ['secrets'],
      async run(ctx) {
        try {
          const me = await ctx.melon!.me()
          return {status: 'pass', detail: `${melonBaseUrl(ctx.loaded!.config.melon)} accepted the token for project ${me.project} (scopes: ${me.scopes.join(', ') || 'none'}).`}
        } catch (error) {
          return failFrom(error)
        }
      },
    },
    {
      id: 'immotop.rest',
      title: 'Immotop 2 REST services answer (Test)',
      needs: ['secrets'],
      async run(ctx) {
        try {
          const answer = await ctx.immotop!.test()
          if (!answer.Erfolgreich) return {status: 'fail', detail: `Test answered Erfolgreich=false: ${answer.FehlerMeldung ?? 'no reason'}.`, fix: 'Ask W&W to check the Immotop 2 application server.'}
          return {
            status: 'pass',
            detail: `${ctx.loaded!.config.immotop.baseUrl} accepted user ${ctx.loaded!.config.immotop.user} with Version ${ctx.loaded!.config.immotop.apiVersion}${answer.ServerVersion ? `; server ${answer.ServerVersion}` : ''}.`,
          }
        } catch (error) {
          return failFrom(error)
        }
      },
    },
    {
      id: 'immotop.mandant',
      title: 'Immotop 2 mandant exists',
      needs: ['immotop.rest'],
      async run(ctx) {
        const nr = ctx.loaded!.config.immotop.mandant
        try {
          const mandant = await ctx.immotop!.mandant(nr)
          if (!mandant) return {status: 'fail', detail: `Immotop 2 has no mandant ${nr}.`, fix: 'Set immotop.mandant to the number Immotop 2 shows for this client.'}
          return {status: 'pass', detail: `Mandant ${nr}: ${mandant.bez}.`}
        } catch (error) {
          return failFrom(error)
        }
      },
    },
    {
      id: 'staging.incoming',
      title: 'Staging folder to Immotop 2 writable',
      needs: ['config'],
      run: (ctx) => writableDir('staging.incomingDir', ctx.loaded!.config.staging.incomingDir, false),
    },
    {
      id: 'staging.ack',
      title: 'Acknowledgement folder from Immotop 2 writable',
      needs: ['config'],
      run: (ctx) => writableDir('staging.ackDir', ctx.loaded!.config.staging.ackDir, false),
    },
    {
      id: 'state',
      title: 'State directory writable',
      needs: ['config'],
      run: (ctx) => writableDir('stateDir', ctx.loaded!.config.stateDir, true),
    },
    {
      id: 'smtp',
      title: 'Mail server for notifications (connect, TLS, login)',
      needs: ['config'],
      async run(ctx) {
        const notify = ctx.loaded!.config.notify
        if (!notify) return {status: 'pass', detail: 'Notifications are not configured (no notify section); nothing to check.'}
        const {Mailer} = await import('../adapters/mailer.js')
        const mailer = new Mailer(notify)
        try {
          await mailer.verify()
          return {status: 'pass', detail: `${notify.smtp.host}:${notify.smtp.port} accepted ${notify.smtp.user ? `the login of ${notify.smtp.user}` : 'the connection'}; ${notify.recipients.length} recipient(s).`}
        } catch (error) {
          return failFrom(error)
        } finally {
          mailer.close()
        }
      },
    },
  ]
}

export async function runDoctor(
  checks: Check[],
  options: {checkTimeoutMs: number; budgetMs: number},
): Promise<{checks: CheckResult[]; summary: {passed: number; warned: number; failed: number; skipped: number; total: number}}> {
  const ctx: DoctorContext = {}
  const started = Date.now()
  const results = new Map<string, Promise<CheckResult>>()
  const runOne = async (check: Check): Promise<CheckResult> => {
    const deps = await Promise.all(check.needs.map((id) => results.get(id)!))
    const t0 = Date.now()
    const blocked = deps.find((d) => d.status === 'fail' || d.status === 'skip')
    if (blocked) return {id: check.id, title: check.title, status: 'skip', durationMs: 0, detail: `Skipped: "${blocked.title}" did not pass.`, fix: null}
    const remaining = Math.max(0, options.budgetMs - (t0 - started))
    const limit = Math.min(options.checkTimeoutMs, remaining)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<CheckOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve({status: 'fail', detail: `No result within ${limit} ms.`, fix: 'The host accepts connections but does not answer: check the server, firewall or proxy in between.'}),
        limit,
      )
    })
    const outcome = await Promise.race([check.run(ctx).catch(failFrom), timeout])
    clearTimeout(timer)
    return {id: check.id, title: check.title, status: outcome.status, durationMs: Date.now() - t0, detail: outcome.detail, fix: outcome.fix ?? null}
  }
  for (const check of checks) results.set(check.id, runOne(check))
  const list = await Promise.all(checks.map((c) => results.get(c.id)!))
  const count = (s: CheckStatus) => list.filter((r) => r.status === s).length
  return {checks: list, summary: {passed: count('pass'), warned: count('warn'), failed: count('fail'), skipped: count('skip'), total: list.length}}
}
