import type {CheckResult} from './context.js'
import type {runDoctor} from './runner.js'

/**
 * The checks as a person reads them: a check skipped only because another did
 * not pass is folded under that root check (one line per failed parent), not
 * listed on its own. Checks whose root is not in the list stay as they are.
 */
export function foldSkipped(checks: CheckResult[]): Array<{check: CheckResult; folded: CheckResult[]}> {
  const ids = new Set(checks.map((c) => c.id))
  const folded = new Map<string, CheckResult[]>()
  for (const c of checks) if (c.blockedBy && ids.has(c.blockedBy)) folded.set(c.blockedBy, [...(folded.get(c.blockedBy) ?? []), c])
  return checks.filter((c) => !(c.blockedBy && ids.has(c.blockedBy))).map((check) => ({check, folded: folded.get(check.id) ?? []}))
}

/** A Markdown report for a support ticket. Details are already redacted by the caller's redactor. */
export function markdownReport(report: Awaited<ReturnType<typeof runDoctor>>, meta: {version: string; config: string | null; at: string}): string {
  const lines = [
    '# melon-immotop doctor report',
    '',
    `- Run: ${meta.at}`,
    `- melon-immotop ${meta.version}, Node.js ${process.versions.node}, ${process.platform}`,
    `- Config: ${meta.config ?? 'not found'}`,
    `- Result: ${report.summary.passed} of ${report.summary.total} checks passed, ${report.summary.warned} warning(s), ${report.summary.failed} failed, ${report.summary.skipped} skipped`,
    '',
    '| check | status | detail | fix (owner) |',
    '|---|---|---|---|',
    ...report.checks.map((c) => `| ${c.title} \`${c.id}\` | ${c.status} | ${c.detail.replace(/\|/g, '\\|')} | ${c.fix ? `${c.fix.replace(/\|/g, '\\|')} (${c.owner})` : ''} |`),
    '',
  ]
  return lines.join('\n')
}
