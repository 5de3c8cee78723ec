/**
 * Masking of secrets. `mask('supersecret1234')` gives `…1234`; short values are
 * masked completely. The Redactor scrubs every registered secret out of any
 * text before it is printed, as the last line of defence.
 */
export function mask(secret: string | undefined | null): string {
  if (!secret) return '(not set)'
  if (secret.length < 12) return '…'
  return `…${secret.slice(-4)}`
}

export class Redactor {
  private readonly secrets = new Set<string>()
  /** The secrets longest first (so that a secret containing another is masked whole); kept between scrubs. */
  private ordered: Array<{secret: string; masked: string}> | null = null

  add(...values: Array<string | undefined | null>): this {
    for (const value of values) {
      if (value && value.length >= 4) {
        this.secrets.add(value)
        // The Basic-auth and URL-encoded spellings leak just as well.
        this.secrets.add(encodeURIComponent(value))
        this.ordered = null
      }
    }
    return this
  }

  addBasicAuth(user: string, password: string | undefined): this {
    if (password) this.add(Buffer.from(`${user}:${password}`).toString('base64'))
    return this
  }

  scrub(text: string): string {
    this.ordered ??= [...this.secrets].sort((a, b) => b.length - a.length).map((secret) => ({secret, masked: mask(secret)}))
    let out = text
    for (const {secret, masked} of this.ordered) {
      if (out.includes(secret)) out = out.split(secret).join(masked)
    }
    return out
  }
}
