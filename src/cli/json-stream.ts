/**
 * One JSON document on stdout, written as it goes: the members known at the
 * start, then an array item by item (each scrubbed on its own, the writer
 * waiting when stdout is slow), then the members known at the end. A run that
 * fails midway closes the document with an `error` member, so stdout still
 * carries exactly one JSON document.
 */
import {once} from 'node:events'

export class JsonDocumentStream {
  private state: 'new' | 'open' | 'closed' = 'new'
  private items = 0
  /** Items gathered into one write of about 64 KiB: a write per item would cost more than the item. */
  private pending = ''

  constructor(
    private readonly head: Record<string, unknown>,
    private readonly arrayKey: string,
    private readonly scrub: (text: string) => string,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  /** The document was begun and not yet closed: an error must close it. */
  get isOpen(): boolean {
    return this.state === 'open'
  }

  async item(value: unknown): Promise<void> {
    this.pending += `${this.begin()}${this.items++ === 0 ? '' : ','}\n    ${this.scrub(JSON.stringify(value))}`
    if (this.pending.length >= 64 * 1024) await this.flush()
  }

  async end(tail: Record<string, unknown>): Promise<void> {
    const members = present(tail).map(([key, value]) => `,\n  ${JSON.stringify(key)}: ${this.scrub(JSON.stringify(value))}`)
    this.pending += `${this.begin()}${this.items > 0 ? '\n  ' : ''}]${members.join('')}\n}\n`
    this.state = 'closed'
    await this.flush()
  }

  /** Closes an open document with the error (written synchronously enough for an exit right after). */
  fail(error: unknown): void {
    if (this.state !== 'open') return
    this.out.write(`${this.pending}${this.items > 0 ? '\n  ' : ''}],\n  "error": ${this.scrub(JSON.stringify(error))}\n}\n`)
    this.pending = ''
    this.state = 'closed'
  }

  private begin(): string {
    if (this.state !== 'new') return ''
    this.state = 'open'
    const members = present(this.head).map(([key, value]) => `\n  ${JSON.stringify(key)}: ${this.scrub(JSON.stringify(value))},`)
    return `{${members.join('')}\n  ${JSON.stringify(this.arrayKey)}: [`
  }

  private async flush(): Promise<void> {
    const text = this.pending
    this.pending = ''
    if (text && !this.out.write(text)) await once(this.out, 'drain')
  }
}

/** The members JSON.stringify would write: an undefined value leaves its member out. */
function present(members: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(members).filter(([, value]) => value !== undefined)
}
