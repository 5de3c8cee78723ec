/**
 * StagingDirectory against real folders, in process: delivery per W&W's use
 * case 5, pick-up as the acknowledgement, answers as extra information, and a
 * share where someone else planted links.
 */
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {StagingDirectory, STAGING_TMP, type StagedFile} from '../../src/adapters/staging-dir.js'
import {Sqlite} from '../../src/state/sqlite.js'
import {Ledger, listBackups} from '../../src/state/ledger.js'

let root: string
let incoming: string
let ack: string
let staging: StagingDirectory
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mi-staging-'))
  incoming = join(root, 'in')
  ack = join(root, 'ack')
  mkdirSync(incoming)
  mkdirSync(ack)
  staging = new StagingDirectory({incomingDir: incoming, ackDir: ack, dmsArchivId: 'Archiv1'})
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

function local(name: string, body: string): {path: string; file: StagedFile} {
  const path = join(root, name)
  writeFileSync(path, body)
  return {path, file: {fileName: name, dmsDocumentId: `dms-${name}`, dateiName: 'Referenz.pdf', size: body.length, sha256: createHash('sha256').update(body).digest('hex')}}
}
const visible = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.')).sort()
const answer = (name: string, id: string, fields: string) => writeFileSync(join(ack, name), `<ControlFile><Version>1.0</Version><Action>SavedDocument</Action><DmsDocumentId>${id}</DmsDocumentId>${fields}</ControlFile>`)

describe('delivery', () => {
  it('puts the document and its W&W control file in, owner-only, and records the intent just before the control file moves', async () => {
    const {path, file} = local('mi-T-1-abc_01_reference.pdf', '%PDF- one')
    const events: string[] = []
    const outcome = await staging.deliver(path, file, {controlMoved: false, beforeControlMove: () => events.push(`intent; control in folder: ${existsSync(join(incoming, 'mi-T-1-abc_01_reference.xml_it2'))}`)})
    expect(outcome).toBe('delivered')
    expect(events).toEqual(['intent; control in folder: false'])
    expect(visible(incoming)).toEqual(['mi-T-1-abc_01_reference.pdf', 'mi-T-1-abc_01_reference.xml_it2'])
    for (const name of visible(incoming)) expect(statSync(join(incoming, name)).mode & 0o077).toBe(0)
    expect(readFileSync(join(incoming, 'mi-T-1-abc_01_reference.xml_it2'), 'utf8')).toContain('<DmsArchivId>Archiv1</DmsArchivId>')
    expect(readdirSync(join(incoming, STAGING_TMP))).toEqual([])
  })

  it('deferred: the document goes in, its control file waits in the private folder until moveControls moves it in', async () => {
    const {path, file} = local('mi-T-1-def_01_reference.pdf', '%PDF- deferred')
    expect(await staging.deliver(path, file, {controlMoved: false, defer: true})).toBe('placed')
    expect(visible(incoming)).toEqual(['mi-T-1-def_01_reference.pdf'])
    expect(readdirSync(join(incoming, STAGING_TMP))).toEqual(['mi-T-1-def_01_reference.xml_it2'])
    // A control file already moved (an earlier attempt) is no error.
    await staging.moveControls([file, {fileName: 'mi-T-1-def_02_gone.pdf'}])
    expect(visible(incoming)).toEqual(['mi-T-1-def_01_reference.pdf', 'mi-T-1-def_01_reference.xml_it2'])
    expect(readdirSync(join(incoming, STAGING_TMP))).toEqual([])
    rmSync(join(incoming, 'mi-T-1-def_01_reference.pdf'))
    rmSync(join(incoming, 'mi-T-1-def_01_reference.xml_it2'))
  })

  it('a file whose control move was recorded is never written again: picked up meanwhile, it stays picked up', async () => {
    const {path, file} = local('mi-T-1-abc_02_reference.pdf', '%PDF- two')
    // Recorded, then Immotop 2 picked both files up; a resumed run must not deliver them again.
    expect(await staging.deliver(path, file, {controlMoved: true, beforeControlMove: () => {}})).toBe('delivered')
    expect(visible(incoming)).toEqual([])
    expect((await staging.pickupState([file])).pickedUp.map((p) => p.fileName)).toEqual([file.fileName])
  })

  it('a recorded move that did not happen (killed between intent and rename) is finished, not written anew', async () => {
    const {path, file} = local('mi-T-1-abc_03_reference.pdf', '%PDF- three')
    mkdirSync(join(incoming, STAGING_TMP), {mode: 0o700})
    writeFileSync(join(incoming, STAGING_TMP, 'mi-T-1-abc_03_reference.xml_it2'), '<ControlFile/>')
    writeFileSync(join(incoming, 'mi-T-1-abc_03_reference.pdf'), '%PDF- three')
    expect(await staging.deliver(path, file, {controlMoved: true, beforeControlMove: () => {}})).toBe('delivered')
    expect(readFileSync(join(incoming, 'mi-T-1-abc_03_reference.xml_it2'), 'utf8')).toBe('<ControlFile/>')
  })

  it('pick-up: both files gone completes a file without any answer; a SavedDocument answer adds Immotop 2\'s id; a FehlerText refuses', async () => {
    const a = local('a.pdf', 'A')
    const b = local('b.pdf', 'B')
    const c = local('c.pdf', 'C')
    for (const x of [a, b, c]) await staging.deliver(x.path, x.file, {controlMoved: false, beforeControlMove: () => {}})
    expect((await staging.pickupState([a.file, b.file, c.file])).waiting).toEqual(['a.pdf', 'b.pdf', 'c.pdf'])
    for (const name of ['a.pdf', 'a.xml_it2', 'b.pdf', 'b.xml_it2']) rmSync(join(incoming, name))
    answer('b.xml_it2', 'dms-b.pdf', '<DocumentId>117</DocumentId>')
    const state = await staging.pickupState([a.file, b.file, c.file])
    expect(state.pickedUp).toEqual([
      {fileName: 'a.pdf', documentId: null, answer: null},
      {fileName: 'b.pdf', documentId: '117', answer: 'b.xml_it2'},
    ])
    expect(state.waiting).toEqual(['c.pdf'])
    // Sub-folders (one per client and user in W&W's folder 1) and links are not answers.
    mkdirSync(join(ack, 'client-1.xml_it2'))
    answer('c-answer.xml_it2', 'dms-c.pdf', '<FehlerText>Dokumentart fehlt</FehlerText>')
    await expect(staging.waitForPickup([c.file], 5_000)).rejects.toThrow('Immotop 2 did not take c.pdf: Dokumentart fehlt.')
  })

  it('waitForPickup returns what still waits once the time is up, and resends nothing', async () => {
    const {path, file} = local('w.pdf', 'W')
    await staging.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})
    const before = statSync(join(incoming, 'w.xml_it2')).mtimeMs
    const state = await staging.waitForPickup([file], 0)
    expect(state.waiting).toEqual(['w.pdf'])
    expect(await staging.deliver(path, file, {controlMoved: true, beforeControlMove: () => {}})).toBe('pending')
    expect(statSync(join(incoming, 'w.xml_it2')).mtimeMs).toBe(before)
  })
})

describe('a staging folder that cannot be read', () => {
  it('is never an empty folder: at the deadline the wait says so, and nothing counts as picked up', async () => {
    const {path, file} = local('u.pdf', 'U')
    await staging.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})
    renameSync(incoming, `${incoming}.offline`)
    await expect(staging.waitForPickup([file], 0)).rejects.toMatchObject({code: 'STAGING_UNREADABLE', message: expect.stringContaining(incoming)})
    await expect(staging.pickupState([file])).rejects.toMatchObject({code: 'STAGING_UNREADABLE'})
    // Answers too: with a refusal unseen, files gone from folder 2 would count as picked up.
    renameSync(`${incoming}.offline`, incoming)
    rmSync(ack, {recursive: true})
    await expect(staging.pickupState([file])).rejects.toMatchObject({code: 'STAGING_UNREADABLE', message: expect.stringContaining(ack)})
  })

  it('a share that drops out during the wait and comes back: the wait goes on and sees the pick-up', async () => {
    const {path, file} = local('v.pdf', 'V')
    await staging.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})
    renameSync(incoming, `${incoming}.offline`)
    let retried = 0
    const poll = {
      withEvents: 10 * 60_000,
      // Read when the wait pauses after a look that failed: the share comes back meanwhile, without the files (taken).
      get withoutEvents() {
        if (retried++ === 0) {
          for (const name of visible(`${incoming}.offline`)) rmSync(join(`${incoming}.offline`, name))
          renameSync(`${incoming}.offline`, incoming)
        }
        return 0
      },
    }
    const flaky = new StagingDirectory({incomingDir: incoming, ackDir: ack, dmsArchivId: 'Archiv1'}, {poll})
    const state = await flaky.waitForPickup([file], 10 * 60_000)
    expect(retried).toBe(1)
    expect(state.pickedUp.map((f) => f.fileName)).toEqual(['v.pdf'])
  }, 60_000)
})

describe('one pass over the bytes', () => {
  it('on the same file system the staged document is a hard link of the local copy (no second write), intact', async () => {
    const {path, file} = local('l.pdf', '%PDF- linked')
    await staging.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})
    expect(statSync(join(incoming, 'l.pdf')).ino).toBe(statSync(path).ino)
    expect(readFileSync(join(incoming, 'l.pdf'), 'utf8')).toBe('%PDF- linked')
  })

  it('where hard links are refused (a share, another drive) one streamed copy, intact', async () => {
    const refusing = new StagingDirectory({incomingDir: incoming, ackDir: ack, dmsArchivId: 'Archiv1'}, {link: async () => Promise.reject(Object.assign(new Error('cross-device link'), {code: 'EXDEV'}))})
    const {path, file} = local('c.pdf', '%PDF- copied')
    await refusing.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})
    expect(statSync(join(incoming, 'c.pdf')).ino).not.toBe(statSync(path).ino)
    expect(readFileSync(join(incoming, 'c.pdf'), 'utf8')).toBe('%PDF- copied')
  })

  it.each([
    ['linked', undefined],
    ['copied', async () => Promise.reject(Object.assign(new Error('no links'), {code: 'EPERM'}))],
  ] as const)('a local copy that changed since it was checked is refused (%s), and nothing is staged', async (_mode, link) => {
    const stager = new StagingDirectory({incomingDir: incoming, ackDir: ack, dmsArchivId: 'Archiv1'}, {link})
    const {path, file} = local('t.pdf', '%PDF- original')
    writeFileSync(path, '%PDF- tampered')
    await expect(stager.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})).rejects.toMatchObject({code: 'CHECKSUM_MISMATCH'})
    expect(visible(incoming)).toEqual([])
  })
})

describe('waiting for the pick-up', () => {
  it("wakes on the folders' change events: with polling set to ten minutes, the pick-up is still seen at once", async () => {
    const tenMinutes = 10 * 60_000
    // A barrier, not a sleep: the wait reads the poll interval just before it starts waiting for a change.
    let waitingNow: () => void = () => {}
    const waitBegins = new Promise<void>((resolve) => (waitingNow = resolve))
    const poll = {
      get withEvents() {
        waitingNow()
        return tenMinutes
      },
      withoutEvents: tenMinutes,
    }
    const watched = new StagingDirectory({incomingDir: incoming, ackDir: ack, dmsArchivId: 'Archiv1'}, {poll})
    const {path, file} = local('e.pdf', 'E')
    await watched.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})
    const waiting = watched.waitForPickup([file], tenMinutes)
    await waitBegins
    // Immotop 2 takes the files (use case 5) while the wait is asleep.
    for (const name of visible(incoming)) rmSync(join(incoming, name))
    const state = await waiting
    expect(state.waiting).toEqual([])
    expect(state.pickedUp.map((f) => f.fileName)).toEqual(['e.pdf'])
  }, 60_000)

  it('an abort ends the wait at once, with what still waits', async () => {
    const tenMinutes = 10 * 60_000
    const watched = new StagingDirectory({incomingDir: incoming, ackDir: ack, dmsArchivId: 'Archiv1'}, {poll: {withEvents: tenMinutes, withoutEvents: tenMinutes}})
    const {path, file} = local('a.pdf', 'A')
    await watched.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})
    const stop = new AbortController()
    const waiting = watched.waitForPickup([file], tenMinutes, stop.signal)
    stop.abort()
    expect((await waiting).waiting).toEqual(['a.pdf'])
  }, 60_000)

  it('handovers waiting at the same time read the folders once between changes, not once each', async () => {
    const waits = ['p.pdf', 'q.pdf', 'r.pdf'].map((name) => local(name, name))
    for (const {path, file} of waits) await staging.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})
    const before = staging.looks
    const states = await Promise.all(waits.map(({file}) => staging.waitForPickup([file], 0)))
    expect(states.map((s) => s.waiting)).toEqual([['p.pdf'], ['q.pdf'], ['r.pdf']])
    expect(staging.looks - before).toBe(1)
  }, 60_000)

  it('a wait never takes a look begun before it: a file placed just before the wait is waiting, not picked up', async () => {
    const tenMinutes = 10 * 60_000
    let asleep: () => void = () => {}
    const firstAsleep = new Promise<void>((resolve) => (asleep = resolve))
    const watched = new StagingDirectory({incomingDir: incoming, ackDir: ack, dmsArchivId: 'Archiv1'}, {poll: {get withEvents() { asleep(); return tenMinutes }, withoutEvents: tenMinutes}})
    const first = local('f.pdf', 'F')
    await watched.deliver(first.path, first.file, {controlMoved: false, beforeControlMove: () => {}})
    const stop = new AbortController()
    const waitingFirst = watched.waitForPickup([first.file], tenMinutes, stop.signal)
    await firstAsleep
    // In one tick, so no change event can be counted in between: a file appears and a second wait begins.
    const second = local('g.pdf', 'G').file
    writeFileSync(join(incoming, 'g.pdf'), 'G')
    writeFileSync(join(incoming, 'g.xml_it2'), watched.controlFor(second))
    const state = await watched.waitForPickup([second], 0)
    expect(state).toEqual({pickedUp: [], waiting: ['g.pdf'], refused: []})
    stop.abort()
    expect((await waitingFirst).waiting).toEqual(['f.pdf'])
  }, 60_000)
})

describe('a share where someone planted links', () => {
  it('a symlinked temporary folder is refused naming the path; nothing reaches its target', async () => {
    const elsewhere = join(root, 'elsewhere')
    mkdirSync(elsewhere)
    symlinkSync(elsewhere, join(incoming, STAGING_TMP))
    const {path, file} = local('s.pdf', 'secret dossier')
    await expect(staging.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})).rejects.toThrow(`${join(incoming, STAGING_TMP)} is a symbolic link`)
    expect(readdirSync(elsewhere)).toEqual([])
  })

  it('a link planted under the predictable temporary name is removed, never written through', async () => {
    const target = join(root, 'target.txt')
    writeFileSync(target, 'untouched')
    mkdirSync(join(incoming, STAGING_TMP), {mode: 0o700})
    symlinkSync(target, join(incoming, STAGING_TMP, 'l.pdf'))
    symlinkSync(target, join(incoming, STAGING_TMP, 'l.xml_it2'))
    const {path, file} = local('l.pdf', 'secret dossier')
    expect(await staging.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})).toBe('delivered')
    expect(readFileSync(target, 'utf8')).toBe('untouched')
    expect(readFileSync(join(incoming, 'l.pdf'), 'utf8')).toBe('secret dossier')
  })

  it('a temporary folder open to others is tightened to 0700', async () => {
    mkdirSync(join(incoming, STAGING_TMP), {mode: 0o777})
    const {path, file} = local('m.pdf', 'M')
    await staging.deliver(path, file, {controlMoved: false, beforeControlMove: () => {}})
    expect(statSync(join(incoming, STAGING_TMP)).mode & 0o777).toBe(0o700)
  })
})

describe('ledger backups', () => {
  it('keeps the newest five generations, owner-only, each a complete ledger', async () => {
    const dir = join(root, 'state-b')
    const ledger = new Ledger(dir)
    try {
      const made: string[] = []
      for (let i = 0; i < 7; i++) {
        ledger.recordPublication(`1.1.${i}`, 'rest', 'created', null)
        made.push(await ledger.backup())
      }
      expect(listBackups(dir)).toEqual(made.slice(-5).reverse())
      for (const file of listBackups(dir)) expect(statSync(file).mode & 0o777).toBe(0o600)
      const newest = new Sqlite(listBackups(dir)[0]!, {readOnly: true})
      expect((newest.prepare('SELECT COUNT(*) AS n FROM events').get() as {n: number}).n).toBe(7)
      newest.close()
      expect(readdirSync(join(dir, 'backups')).filter((n) => n.endsWith('.part'))).toEqual([])
    } finally {
      ledger.close()
    }
  })
})

describe('ledger migration', () => {
  it('a ledger from before pick-up gains its columns (and the staging folder of a handover) and renames "acknowledged" to "picked_up", once', () => {
    const dir = join(root, 'state')
    mkdirSync(dir)
    const old = new Sqlite(join(dir, 'ledger.sqlite'))
    old.exec(`
      CREATE TABLE operations (op_key TEXT PRIMARY KEY, kind TEXT NOT NULL, tenant_id TEXT NOT NULL, unit_ref TEXT NOT NULL, handover_id TEXT NOT NULL, dossier_hash TEXT NOT NULL,
        step TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error_code TEXT, last_error TEXT, notify INTEGER NOT NULL DEFAULT 0,
        owner_pid INTEGER, lease_until INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE operation_files (op_key TEXT NOT NULL, file_name TEXT NOT NULL, kind TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
        delivered_at TEXT, immotop_document_id TEXT, PRIMARY KEY (op_key, file_name));
      INSERT INTO operations VALUES ('k', 'handover', 'T-1', '1.1.1', 'mi-T-1-k', 'h', 'acknowledged', 'done', 1, NULL, NULL, 0, NULL, NULL, '2026-01-01', '2026-01-01');
      INSERT INTO operation_files VALUES ('k', 'f.pdf', 'dossier', 1, 'a', '2026-01-01', '7');
    `)
    old.close()
    for (let i = 0; i < 2; i++) {
      const ledger = new Ledger(dir)
      expect(ledger.get('k')).toMatchObject({step: 'picked_up', status: 'done', delivered_at: null, staging_dir: null, staging_dir_id: null})
      expect(ledger.files('k')[0]).toMatchObject({immotop_document_id: '7', control_moved_at: null, picked_up_at: null})
      ledger.close()
    }
  })
})
