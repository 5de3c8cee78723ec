/**
 * The Node.js lines melon-immotop supports, and how a running Node.js stands
 * against them on a given day. Pure.
 *
 * End-of-life dates are Node.js's published release schedule (nodejs.org,
 * "Releases"): an assumption of this table that changes only with a release of
 * the tool. 22.18 is the oldest release with everything the tool needs
 * (node:sqlite with backup and transactions from 22.16, cosmiconfig 10 needs
 * 22.18); package.json "engines" says the same.
 */

export interface NodeLine {
  major: number
  /** The oldest minor of this line that the tool runs on. */
  minMinor: number
  /** The day after which the line gets no more fixes, YYYY-MM-DD. */
  endOfLife: string
  lts: boolean
}

export const NODE_LINES: readonly NodeLine[] = [
  {major: 22, minMinor: 18, endOfLife: '2027-04-30', lts: true},
  {major: 24, minMinor: 0, endOfLife: '2028-04-30', lts: true},
  {major: 26, minMinor: 0, endOfLife: '2029-04-30', lts: true},
]

/** Lines once current that are not supported, and when they ended: named in the verdict. */
const ENDED: Record<number, string> = {18: '2025-04-30', 19: '2023-06-01', 20: '2026-04-30', 21: '2024-06-01', 23: '2025-06-01', 25: '2026-06-01'}

/** The supported lines as people say them. */
export const SUPPORTED_NODE = 'Node.js 22 (22.18 or later), 24 or 26'

export const WARN_DAYS = 90

export type NodeVerdict = {status: 'pass' | 'warn' | 'fail'; detail: string; fix?: string}

/** The newest supported line that is not near its end of life on `today`: the one to install. */
export function lineToInstall(today: string): NodeLine {
  const usable = NODE_LINES.filter((l) => daysUntil(today, l.endOfLife) > WARN_DAYS)
  return usable.at(-1) ?? NODE_LINES.at(-1)!
}

/** How `version` (e.g. "24.11.0" or "v24.11.0") stands on `today` (YYYY-MM-DD). */
export function judgeNode(version: string, today: string): NodeVerdict {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number)
  const install = lineToInstall(today)
  const fix = `Install Node.js ${install.major} (LTS until ${install.endOfLife}) and run the tool with it; supported: ${SUPPORTED_NODE}.`
  const line = NODE_LINES.find((l) => l.major === major)
  if (line) {
    if (minor < line.minMinor) return {status: 'fail', detail: `Node.js ${version} is too old: melon-immotop needs ${major}.${line.minMinor} or later on the ${major} line.`, fix}
    const left = daysUntil(today, line.endOfLife)
    if (left < 0) return {status: 'fail', detail: `Node.js ${major} reached its end of life on ${line.endOfLife}: no more security fixes.`, fix}
    if (left <= WARN_DAYS) return {status: 'warn', detail: `Node.js ${version}: the ${major} line reaches its end of life on ${line.endOfLife}, in ${left} day(s).`, fix}
    return {status: 'pass', detail: `Node.js ${version} (supported until ${line.endOfLife}).`}
  }
  const ended = ENDED[major]
  if (ended) return {status: 'fail', detail: `Node.js ${version} is not supported: the ${major} line reached its end of life on ${ended}.`, fix}
  if (major < NODE_LINES[0]!.major) return {status: 'fail', detail: `Node.js ${version} is too old and past its end of life.`, fix}
  if (major % 2 === 1) return {status: 'warn', detail: `Node.js ${version} is a short-lived line (odd major), neither supported nor tested.`, fix}
  return {status: 'warn', detail: `Node.js ${version} is newer than the lines melon-immotop is tested on (${SUPPORTED_NODE}).`, fix: `It will most likely work; for a tested setup install Node.js ${install.major}.`}
}

/** Whole days from `from` to `to` (both YYYY-MM-DD, UTC): negative once `to` has passed. */
function daysUntil(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}
