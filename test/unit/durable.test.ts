import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {hashFile, removeFile, renameDurably} from '../../src/adapters/durable.js'

const busy = (code: string) => Object.assign(new Error(`${code}: resource busy`), {code})

/** A rename that fails with the given codes first, then succeeds; it counts its calls. */
function flaky(codes: string[]) {
  const calls: string[] = []
  return {
    calls,
    rename: async (from: string, to: string) => {
      calls.push(`${from}->${to}`)
      const code = codes.shift()
      if (code) throw busy(code)
    },
  }
}

describe('renameDurably (a virus scanner holding a fresh file on Windows)', () => {
  it('on win32 retries EBUSY, EPERM and EACCES until the rename goes through', async () => {
    const fs = flaky(['EBUSY', 'EPERM', 'EACCES'])
    await renameDurably('a.tmp', 'a.pdf', {platform: 'win32', rename: fs.rename, delaysMs: [0, 0, 0, 0]})
    expect(fs.calls).toHaveLength(4)
  })
  it('gives up after the bounded retries with the last error', async () => {
    const fs = flaky(['EBUSY', 'EBUSY', 'EBUSY'])
    await expect(renameDurably('a.tmp', 'a.pdf', {platform: 'win32', rename: fs.rename, delaysMs: [0, 0]})).rejects.toMatchObject({code: 'EBUSY'})
    expect(fs.calls).toHaveLength(3)
  })
  it('elsewhere, and for other errors, the first error is final', async () => {
    const linux = flaky(['EBUSY'])
    await expect(renameDurably('a', 'b', {platform: 'linux', rename: linux.rename, delaysMs: [0]})).rejects.toMatchObject({code: 'EBUSY'})
    expect(linux.calls).toHaveLength(1)
    const full = flaky(['ENOSPC'])
    await expect(renameDurably('a', 'b', {platform: 'win32', rename: full.rename, delaysMs: [0]})).rejects.toMatchObject({code: 'ENOSPC'})
    expect(full.calls).toHaveLength(1)
  })
})

describe('hashFile', () => {
  it('hashes a file larger than its buffer exactly, and never reads through a link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-hash-'))
    try {
      const bytes = Buffer.alloc(700_001)
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251
      const file = join(dir, 'doc.pdf')
      writeFileSync(file, bytes)
      expect(await hashFile(file)).toBe(createHash('sha256').update(bytes).digest('hex'))
      writeFileSync(join(dir, 'empty.pdf'), '')
      expect(await hashFile(join(dir, 'empty.pdf'))).toBe(createHash('sha256').digest('hex'))
      symlinkSync(file, join(dir, 'link.pdf'))
      await expect(hashFile(join(dir, 'link.pdf'))).rejects.toMatchObject({code: 'ELOOP'})
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('removeFile', () => {
  it('removes a file; one already gone is no error; a link goes, its target stays; a folder is refused, not emptied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-remove-'))
    try {
      const file = join(dir, 'a.part')
      writeFileSync(file, 'x')
      await removeFile(file)
      expect(existsSync(file)).toBe(false)
      await removeFile(file)
      const target = join(dir, 'target')
      writeFileSync(target, 'keep')
      symlinkSync(target, join(dir, 'link.part'))
      await removeFile(join(dir, 'link.part'))
      expect(existsSync(join(dir, 'link.part'))).toBe(false)
      expect(readFileSync(target, 'utf8')).toBe('keep')
      mkdirSync(join(dir, 'folder'))
      writeFileSync(join(dir, 'folder', 'inside'), 'x')
      await expect(removeFile(join(dir, 'folder'))).rejects.toMatchObject({code: expect.stringMatching(/^(EISDIR|EPERM)$/)})
      expect(existsSync(join(dir, 'folder', 'inside'))).toBe(true)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
