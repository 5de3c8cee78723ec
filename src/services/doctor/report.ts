import type {runDoctor} from './runner.js'

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
