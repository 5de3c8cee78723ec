/**
 * An unknown command gets a "did you mean" in every mode: on a terminal the
 * question (yes runs it), otherwise one line naming the closest command and
 * the whole corrected command line, or one JSON document with --json. Exit 2
 * (usage), as for every other mistyped input. Light on purpose: it runs
 * before any command code is loaded.
 */
import type {Hook} from '@oclif/core/hooks'
import {closest} from '../core/closest.js'

export interface UnknownCommand {
  typed: string
  suggestion?: string
  /** The words typed after the mistyped command (its arguments). */
  rest: string[]
}

/** Finds what the operator meant: the longest run of typed words that is close to a command id. Pure. */
export function suggestCommand(id: string, commandIds: string[]): UnknownCommand {
  const words = id.split(':')
  for (const count of [2, 1]) {
    if (words.length < count) continue
    const typed = words.slice(0, count).join(' ')
    const candidates = commandIds.filter((c) => c.split(':').length === count).map((c) => c.replaceAll(':', ' '))
    const suggestion = closest(typed, candidates)
    if (suggestion) return {typed, suggestion, rest: words.slice(count)}
  }
  return {typed: words[0]!, rest: words.slice(1)}
}

const hook: Hook.CommandNotFound = async function (opts) {
  const ids = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const found = suggestCommand(opts.id, ids)
  const argv = opts.argv ?? []
  const bin = opts.config.bin
  const json = argv.includes('--json')
  if (found.suggestion && !json && process.stdin.isTTY && process.stderr.isTTY && !process.env.CI) {
    const {confirm} = await import('@inquirer/prompts')
    const yes = await confirm({message: `"${found.typed}" is not a ${bin} command. Did you mean "${found.suggestion}"?`, default: true}, {signal: AbortSignal.timeout(30_000)}).catch(() => false)
    if (yes) return opts.config.runCommand(found.suggestion.replaceAll(' ', ':'), [...found.rest, ...argv])
  }
  const message = `"${found.typed}" is not a ${bin} command.${found.suggestion ? ` Did you mean "${found.suggestion}"?` : ''}`
  const fix = found.suggestion ? `Run ${bin} ${[found.suggestion, ...found.rest, ...argv].join(' ')}, or ${bin} help for every command.` : `Run ${bin} help for every command.`
  if (json) {
    process.stdout.write(JSON.stringify({error: {code: 'UNKNOWN_COMMAND', message, fix, exitCode: 2, ...(found.suggestion ? {suggestion: found.suggestion} : {})}}, null, 2) + '\n')
  } else {
    process.stderr.write(`Error: ${message}\nFix: ${fix}\n`)
  }
  this.exit(2)
}

export default hook
