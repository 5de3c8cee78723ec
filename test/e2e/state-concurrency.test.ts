/** State under real concurrency: the sync lock and the ledger, opened by processes started together. */
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {hostname} from 'node:os'
import {afterEach, beforeAll, describe, expect, it} from 'vitest'
import {StateLock} from '../../src/state/lock.js'
import {moduleForProcess} from '../helpers/module.js'

const dirs: string[] = []
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, {recursive: true, force: true})
})
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-lock-'))
  dirs.push(dir)
  return dir
}
// Each contender is a plain node process importing the lock compiled from src/.
let lockModule: string
beforeAll(async () => {
  lockModule = await moduleForProcess('src/state/lock.ts')
})

/**
 * A contender in its own process, as two `sync` runs would be. A barrier, not
 * timing, makes them overlap: each says "ready", all get "go" together, and
 * the winner holds the lock until every result is in ("end").
 */
function contender(dir: string) {
  const code = `const {StateLock} = await import(${JSON.stringify(lockModule)})
    const lines = (await import('node:readline')).createInterface({input: process.stdin})
    const l = new StateLock(process.argv[1])
    console.log('ready')
    for await (const line of lines) {
      if (line === 'go') console.log(l.acquire().ok ? 'won' : 'lost')
      if (line === 'end') { l.release(); break }
    }
    process.exit(0)`
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, dir], {stdio: ['pipe', 'pipe', 'inherit']})
  const said = (word: string) =>
    new Promise<string>((resolve) => {
      let out = ''
      const listen = (d: Buffer) => {
        out += d
        const match = out.split('\n').find((l) => l === word || (word === 'result' && (l === 'won' || l === 'lost')))
        if (match) {
          child.stdout.off('data', listen)
          resolve(match)
        }
      }
      child.stdout.on('data', listen)
    })
  const ready = said('ready')
  return {
    ready,
    go: () => {
      const result = said('result')
      child.stdin.write('go\n')
      return result
    },
    end: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.stdin.write('end\n')
    }),
  }
}

describe('StateLock', () => {
  it('six processes at once: exactly one wins, every round', async () => {
    for (let round = 0; round < 5; round++) {
      const dir = fresh()
      const contenders = Array.from({length: 6}, () => contender(dir))
      await Promise.all(contenders.map((c) => c.ready))
      const results = await Promise.all(contenders.map((c) => c.go()))
      expect(results.filter((r) => r === 'won')).toHaveLength(1)
      expect(results.filter((r) => r === 'lost')).toHaveLength(5)
      await Promise.all(contenders.map((c) => c.end()))
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
    const ledgerModule = await moduleForProcess('src/state/ledger.ts')
    const code = `const {Ledger} = await import(${JSON.stringify(ledgerModule)}); try { new Ledger(process.argv[1]).close(); console.log('ok') } catch (e) { console.log('ERR ' + e.code + ' ' + (e.cause?.code ?? '') + ' ' + String(e.cause?.message ?? e.message).slice(0, 80)) }`
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
