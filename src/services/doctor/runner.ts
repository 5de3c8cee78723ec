/**
 * Runs the checks in parallel and reports them in their fixed order. A check
 * whose dependency did not pass is skipped, not failed a second time; each
 * check has its own timeout and the run a total budget, so a hung host cannot
 * hang the onboarding meeting.
 */
import {failFrom, type Check, type CheckOutcome, type CheckResult, type CheckStatus, type DoctorContext} from './context.js'

export interface RunOptions {
  checkTimeoutMs: number
  budgetMs: number
  only?: string[]
  skip?: string[]
  /** Called once for each check still running after `slowAfterMs`. */
  onSlow?: (check: {id: string; title: string}) => void
  slowAfterMs?: number
}

export async function runDoctor(all: Check[], options: RunOptions) {
  // --only brings its dependencies along; --skip reports the check as skipped.
  let selected = all
  if (options.only?.length) {
    const wanted = new Set<string>()
    const add = (id: string) => {
      if (wanted.has(id)) return
      wanted.add(id)
      all.find((c) => c.id === id)?.needs.forEach(add)
    }
    options.only.forEach(add)
    selected = all.filter((c) => wanted.has(c.id))
  }
  const ctx: DoctorContext = {serverDates: []}
  const started = Date.now()
  const results = new Map<string, Promise<CheckResult>>()
  const runOne = async (check: Check): Promise<CheckResult> => {
    const base = {id: check.id, title: check.title}
    if (options.skip?.includes(check.id)) return {...base, status: 'skip', durationMs: 0, detail: 'Skipped by --skip.', fix: null, owner: null}
    const deps = await Promise.all(check.needs.filter((id) => results.has(id)).map((id) => results.get(id)!))
    const t0 = Date.now()
    const blocked = deps.find((d) => d.status === 'fail' || d.status === 'skip')
    if (blocked) return {...base, status: 'skip', durationMs: 0, detail: `Skipped: "${blocked.title}" did not pass.`, fix: null, owner: null, blockedBy: blocked.blockedBy ?? blocked.id}
    const remaining = Math.max(0, options.budgetMs - (t0 - started))
    const limit = Math.min(options.checkTimeoutMs, remaining)
    let timer: NodeJS.Timeout | undefined
    let slow: NodeJS.Timeout | undefined
    const timeout = new Promise<CheckOutcome>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            status: 'fail',
            detail: limit < options.checkTimeoutMs ? `Not finished when the budget of ${Math.round(options.budgetMs / 1000)} s ran out.` : `No result within ${Math.round(limit / 1000)} s: the host accepts connections but does not answer.`,
            fix: 'Check the server and any firewall or proxy in between; doctor --timeout and --budget allow more time.',
            owner: check.owner,
          }),
        limit,
      )
    })
    if (options.onSlow) slow = setTimeout(() => options.onSlow!(base), options.slowAfterMs ?? 3_000)
    const outcome = await Promise.race([check.run(ctx).catch((error) => failFrom(error, check.owner)), timeout])
    clearTimeout(timer)
    clearTimeout(slow)
    const failing = outcome.status === 'fail' || outcome.status === 'warn'
    return {...base, status: outcome.status, durationMs: Date.now() - t0, detail: outcome.detail, fix: failing ? (outcome.fix ?? null) : null, owner: failing ? (outcome.owner ?? check.owner) : null}
  }
  for (const check of selected) results.set(check.id, runOne(check))
  const list = await Promise.all(selected.map((c) => results.get(c.id)!))
  const count = (s: CheckStatus) => list.filter((r) => r.status === s).length
  return {checks: list, summary: {passed: count('pass'), warned: count('warn'), failed: count('fail'), skipped: count('skip'), total: list.length}}
}
