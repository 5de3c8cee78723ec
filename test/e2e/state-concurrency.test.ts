/** State under real concurrency: the sync lock and the ledger, opened by processes started together. */
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {hostname} from 'node:os'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {StateLock} from '../../src/state/lock.js'

const dirs: string[] = []
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, {recursive: true, force: true})
})
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-lock-'))
  dirs.push(dir)
  return dir
}
// The built module (npm test builds first): each contender is a plain node process.
const lockModule = fileURLToPath(new URL('../../dist/state/lock.js', import.meta.url))

function contender(dir: string): Promise<string> {
  // Each contender is its own process, as two `sync` runs would be.
  const code = `const {StateLock} = await import(${JSON.stringify(lockModule)}); const l = new StateLock(process.argv[1]); console.log(l.acquire().ok ? 'won' : 'lost'); await new Promise((r) => setTimeout(r, 400)); l.release()`
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, dir], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('exit', () => resolve(out.trim()))
  })
}

describe('StateLock', () => {
  it('six processes at once: exactly one wins, every round', async () => {
    for (let round = 0; round < 5; round++) {
      const dir = fresh()
      const results = await Promise.all(Array.from({length: 6}, () => contender(dir)))
      expect(results.filter((r) => r === 'won')).toHaveLength(1)
      expect(results.filter((r) => r === 'lost')).toHaveLength(5)
      expect(readdirSync(dir)).toEqual([])
    }
  }, 60_000)

  it('takes over the lock of a process that is gone, at once', () => {
    const dir = fresh()
    writeFileSync(join(dir, 'sync.lock'), JSON.stringify({pid: 2 ** 22 + 12345, host: hostname(), since: '2026-01-01T00:00:00Z'}))
    const lock = new StateLock(dir)
    expect(lock.acquire()).toEqual({ok: true})
    const second = new StateLock(dir).acquire()
    expect(second).toMatchObject({ok: false, holder: {pid: process.pid}})
    lock.release()
    expect(readdirSync(dir)).toEqual([])
  })
})

describe('Ledger', () => {
  it('processes opening a new ledger at the same moment all succeed (no SQLITE_BUSY)', async () => {
    // Regression: switching to WAL before setting busy_timeout made a concurrent opener fail
    // at once, and a second `sync` exited 70 instead of 75.
    const ledgerModule = fileURLToPath(new URL('../../dist/state/ledger.js', import.meta.url))
    const code = `const {Ledger} = await import(${JSON.stringify(ledgerModule)}); try { new Ledger(process.argv[1]).close(); console.log('ok') } catch (e) { console.log('ERR ' + e.code) }`
    const failures: string[] = []
    for (let round = 0; round < 40; round++) {
      const dir = fresh()
      const results = await Promise.all(
        Array.from(
          {length: 4},
          () =>
            new Promise<string>((resolve) => {
              const child = spawn(process.execPath, ['--input-type=module', '-e', code, dir], {stdio: ['ignore', 'pipe', 'inherit']})
              let out = ''
              child.stdout.on('data', (d) => (out += d))
              child.on('exit', () => resolve(out.trim()))
            }),
        ),
      )
      failures.push(...results.filter((r) => r !== 'ok'))
    }
    expect(failures).toEqual([])
  }, 120_000)
})
