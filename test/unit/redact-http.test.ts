import {describe, expect, it} from 'vitest'
import {checkTransport, isLoopbackHost, retryDelay} from '../../src/adapters/http.js'
import {mask, Redactor} from '../../src/core/redact.js'
import {ConfigError} from '../../src/errors.js'

describe('mask and Redactor', () => {
  it('shows only the last four characters of long secrets, nothing of short ones', () => {
    expect(mask('mlt_abcdefghijklmnop1234')).toBe('…1234')
    expect(mask('short')).toBe('…')
    expect(mask(undefined)).toBe('(not set)')
  })
  it('scrubs every registered secret, its URL-encoded and Basic-auth spellings', () => {
    const r = new Redactor().add('s3cr3t/p@ss-very-long').addBasicAuth('wwdms', 's3cr3t/p@ss-very-long')
    const basic = Buffer.from('wwdms:s3cr3t/p@ss-very-long').toString('base64')
    const text = `pw=s3cr3t/p@ss-very-long url=${encodeURIComponent('s3cr3t/p@ss-very-long')} auth=Basic ${basic}`
    const out = r.scrub(text)
    expect(out).not.toContain('s3cr3t')
    expect(out).not.toContain(basic)
    expect(out).toContain('…long')
  })
})

describe('transport rules', () => {
  it.each(['127.0.0.1', 'localhost', '::1', '[::1]', '127.4.5.6', 'api.localhost'])('%s is loopback', (h) => expect(isLoopbackHost(h)).toBe(true))
  it.each(['10.0.0.1', 'example.ch', '128.0.0.1', 'localhost.example.ch'])('%s is not loopback', (h) => expect(isLoopbackHost(h)).toBe(false))

  const target = (baseURL: string, allowInsecureHttp = false) => ({baseURL, allowInsecureHttp, configKey: 'immotop', system: 'Immotop 2'})
  it('allows https anywhere and http to loopback', () => {
    expect(checkTransport(target('https://immotop.example.ch:5100')).host).toBe('immotop.example.ch:5100')
    expect(checkTransport(target('http://127.0.0.1:5100')).protocol).toBe('http:')
  })
  it('refuses http to a remote host unless opted in, naming the key', () => {
    expect(() => checkTransport(target('http://immotop.example.ch:5100'))).toThrowError(ConfigError)
    expect(() => checkTransport(target('http://immotop.example.ch:5100'))).toThrowError(/plain http:\/\/ to immotop\.example\.ch:5100 is refused/)
    expect(checkTransport(target('http://immotop.example.ch:5100', true)).protocol).toBe('http:')
  })
  it.each(['ftp://x', 'not a url', 'https://user:pw@host'])('refuses %j', (url) => {
    expect(() => checkTransport(target(url))).toThrowError(ConfigError)
  })
})

describe('retryDelay', () => {
  const policy = {maxAttempts: 5, totalBudgetMs: 60_000, baseDelayMs: 200, maxDelayMs: 5_000}
  it('honours Retry-After in seconds and as an HTTP date', () => {
    expect(retryDelay(1, policy, '3')).toBe(3000)
    const inTwo = new Date(Date.now() + 2000).toUTCString()
    expect(retryDelay(1, policy, inTwo)).toBeGreaterThan(500)
    expect(retryDelay(1, policy, inTwo)).toBeLessThanOrEqual(2000)
  })
  it('backs off exponentially with jitter below the cap', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const d = retryDelay(attempt, policy, undefined)
      expect(d).toBeGreaterThanOrEqual(0)
      expect(d).toBeLessThanOrEqual(Math.min(5000, 200 * 2 ** (attempt - 1)))
    }
  })
})
