import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {Spool} from '../../src/services/handover/spool.js'

const roots: string[] = []
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, {recursive: true, force: true})
})
const sha = (text: string) => createHash('sha256').update(text).digest('hex')

function leftOver(): {spool: Spool; dir: string} {
  const root = mkdtempSync(join(tmpdir(), 'mi-spool-'))
  roots.push(root)
  const spool = new Spool(root, 'mi-T-1-abc')
  mkdirSync(spool.dir, {recursive: true})
  // What a killed run left: one complete file, one partial download.
  writeFileSync(spool.path('a.pdf'), 'complete')
  writeFileSync(spool.path('b.pdf.part'), 'half')
  return {spool, dir: spool.dir}
}

describe('the spool', () => {
  it('opened: partial downloads of a killed run go, complete files stay and are checked by size and SHA-256', async () => {
    const {spool} = leftOver()
    await spool.open()
    expect(existsSync(spool.path('b.pdf.part'))).toBe(false)
    expect(await spool.holds('a.pdf', 8, sha('complete'))).toBe(true)
    expect(await spool.holds('a.pdf', 8, sha('other!!!'))).toBe(false)
    expect(await spool.holds('a.pdf', 9, sha('complete'))).toBe(false)
    expect(await spool.holds('b.pdf', 4, sha('half'))).toBe(false)
  })

  it('reads its folder once per run: written and downloaded files are known from then on; removed, it starts anew', async () => {
    const {spool} = leftOver()
    await spool.open()
    await spool.write('c.json', Buffer.from('{"a":1}'))
    expect(await spool.holds('c.json', 7, sha('{"a":1}'))).toBe(true)
    // A download lands by its own rename; the fetch step names it.
    writeFileSync(spool.path('d.pdf'), 'downloaded')
    expect(await spool.holds('d.pdf', 10, sha('downloaded'))).toBe(false)
    spool.added('d.pdf')
    expect(await spool.holds('d.pdf', 10, sha('downloaded'))).toBe(true)
    // Opening again within the run does not read the folder again (each file of a handover calls it).
    writeFileSync(spool.path('e.pdf.part'), 'x')
    await spool.open()
    expect(existsSync(spool.path('e.pdf.part'))).toBe(true)
    // Once removed, the next open makes the folder and reads it again.
    await spool.remove()
    expect(existsSync(spool.dir)).toBe(false)
    await spool.open()
    expect(existsSync(spool.dir)).toBe(true)
    expect(await spool.holds('a.pdf', 8, sha('complete'))).toBe(false)
  })
})
