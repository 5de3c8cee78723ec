/**
 * Terminal output: chalk colours (off with NO_COLOR, on with FORCE_COLOR),
 * ora spinners on stderr (only on a TTY, never in CI or --json), tables for
 * humans. Every line passes through the redactor before it is written.
 */
import {Chalk, type ChalkInstance} from 'chalk'
import type {Redactor} from '../core/redact.js'
import {fitColumns, tsvLine} from './table-layout.js'

export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = (env.CI ?? '').toLowerCase()
  return ci === '1' || ci === 'true'
}

export function colorLevel(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return 1
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return 0
  return stream.isTTY ? 1 : 0
}

export interface Spinner {
  update(text: string): void
  succeed(text: string): void
  fail(text: string): void
  stop(): void
}

const NO_SPINNER: Spinner = {update() {}, succeed() {}, fail() {}, stop() {}}

export class Ui {
  readonly color: ChalkInstance
  readonly errColor: ChalkInstance

  constructor(
    readonly json: boolean,
    private readonly redactor: Redactor,
  ) {
    this.color = new Chalk({level: colorLevel(process.stdout)})
    this.errColor = new Chalk({level: colorLevel(process.stderr)})
  }

  /** A line of human output on stdout. Silent in --json mode: stdout then carries one JSON document. */
  out(line = ''): void {
    if (!this.json) process.stdout.write(this.redactor.scrub(line) + '\n')
  }

  /** Notes and warnings: always stderr. */
  err(line: string): void {
    process.stderr.write(this.redactor.scrub(line) + '\n')
  }

  warn(line: string): void {
    this.err(`${this.errColor.yellow('Warning:')} ${line}`)
  }

  get spinnersEnabled(): boolean {
    // A pseudo-terminal without a width (some CI wrappers, `script`) makes ora
    // redraw forever; such a terminal gets no spinner.
    return !this.json && Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !isCI()
  }

  async spinner(text: string): Promise<Spinner> {
    if (!this.spinnersEnabled) return NO_SPINNER
    const {default: ora} = await import('ora')
    const spinner = ora({text, stream: process.stderr, color: this.errColor.level > 0 ? 'cyan' : false}).start()
    return {
      update: (t) => {
        spinner.text = this.redactor.scrub(t)
      },
      succeed: (t) => spinner.succeed(this.redactor.scrub(t)),
      fail: (t) => spinner.fail(this.redactor.scrub(t)),
      stop: () => spinner.stop(),
    }
  }

  /** A line around a table: on stdout on a terminal, on stderr when piped, so that stdout stays clean tab-separated rows; silent in --json mode. */
  note(text: string): void {
    if (this.json) return
    if (process.stdout.isTTY) this.out(text)
    else this.err(text)
  }

  /** A table: box-drawn and fit to the terminal's width on a TTY, tab-separated lines (header first) when piped. */
  async table(head: string[], rows: string[][]): Promise<void> {
    if (this.json) return
    if (!process.stdout.isTTY) {
      this.out([head, ...rows].map(tsvLine).join('\n'))
      return
    }
    const {default: Table} = await import('cli-table3')
    // A terminal that reports no width (some serial consoles, 0 columns) gets the natural widths.
    const colWidths = process.stdout.columns ? fitColumns([head, ...rows], process.stdout.columns) : null
    const table = new Table({
      head: head.map((h) => this.color.bold(h)),
      style: {head: [], border: []},
      chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
      ...(colWidths ? {colWidths, wordWrap: true, wrapOnWordBoundary: true} : {}),
    })
    table.push(...rows)
    this.out(table.toString())
  }
}
