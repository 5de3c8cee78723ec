/**
 * Pick-up is judged by the handover's files leaving staging folder 2. So a
 * look that sees no file must be a look that really read the folder the
 * files were delivered into:
 *
 * - a staging folder that cannot be read (a share gone offline, a drive not
 *   mapped for the service account) says nothing: no file counts as picked
 *   up, no mail goes out, the handover keeps waiting;
 * - a handover stays bound to the folder it was delivered into, when
 *   staging.incomingDir is changed while it waits; files moved into the new
 *   folder by hand still count as waiting;
 * - the same folder under another path (a link, a mapped drive and its UNC
 *   path) is recognised by its identity, and the handover follows the new path.
 */
import {mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'
import {MelonClient} from '../../src/adapters/melon-client.js'
import {StagingDirectory} from '../../src/adapters/staging-dir.js'
import {ConfigSchema, type AppConfig} from '../../src/config/schema.js'
import {exportTenant, type ExportOptions} from '../../src/services/handover/index.js'
import {Ledger} from '../../src/state/ledger.js'
import {testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
let config: AppConfig
let ledger: Ledger
let melon: MelonClient
const root = mkdtempSync(join(tmpdir(), 'mi-folder-'))

const pickup = (mode: 'saved' | 'off') => fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode})})
const names = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.')).sort()
const options = (over: Partial<ExportOptions> = {}): ExportOptions => ({project: config.melon.project, dryRun: false, wait: true, pickupTimeoutMs: 0, notify: false, redoChangedDossier: false, ...over})
const deps = (incomingDir: string, over: Partial<AppConfig['staging']> = {}) => ({melon, staging: new StagingDirectory({...config.staging, incomingDir, ...over}), ledger, mailer: null})
const newTenant = async () => {
  const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({count: 1})})
  return ((await created.json()) as {id: string}).id
}
const folder = (name: string) => {
  const dir = join(root, name)
  mkdirSync(dir)
  return dir
}

beforeAll(async () => {
  sb = await testSandbox()
  config = ConfigSchema.parse(sb.config)
  ledger = new Ledger(join(root, 'state'))
  melon = new MelonClient(config.melon)
})
afterAll(async () => {
  ledger?.close()
  await sb.dispose()
  rmSync(root, {recursive: true, force: true})
})

describe('a staging folder that cannot be read', () => {
  it('counts nothing as picked up: the handover keeps waiting, and is judged once the folder is back', async () => {
    const share = folder('share')
    const delivered = await exportTenant(deps(share), 'T-1001', options({wait: false}))
    expect(delivered.status).toBe('delivered')
    const files = names(share)
    expect(files).toHaveLength(delivered.files.length * 2)

    // The share goes offline: its path no longer resolves.
    renameSync(share, `${share}.offline`)
    await expect(exportTenant(deps(share), 'T-1001', options())).rejects.toMatchObject({code: 'STAGING_UNREADABLE', exitCode: 7})
    expect(ledger.byHandoverId(delivered.handoverId)!.step).toBe('delivered')
    expect(ledger.doneForTenant('T-1001')).toBeUndefined()

    // Back again, with the files still there: waiting, not picked up.
    renameSync(`${share}.offline`, share)
    await expect(exportTenant(deps(share), 'T-1001', options())).rejects.toMatchObject({code: 'PICKUP_PENDING'})
    // Immotop 2 takes them: now it is picked up.
    for (const name of files) rmSync(join(share, name))
    const done = await exportTenant(deps(share), 'T-1001', options())
    expect(done).toMatchObject({status: 'exported', pickedUp: true})
  })
})

describe('staging.incomingDir changed while a handover waits', () => {
  it('judges the handover in the folder it was delivered into, and names it', async () => {
    await pickup('off')
    const before = await exportTenant(deps(sb.incomingDir), 'T-1002', options({wait: false}))
    expect(before.status).toBe('delivered')
    const files = names(sb.incomingDir)
    expect(files.length).toBeGreaterThan(0)

    // The config now names another folder, which holds none of these files.
    const other = folder('new-share')
    const pending = exportTenant(deps(other), 'T-1002', options())
    await expect(pending).rejects.toMatchObject({code: 'PICKUP_PENDING'})
    await expect(pending).rejects.toThrow(sb.incomingDir)
    expect(ledger.doneForTenant('T-1002')).toBeUndefined()
    expect(names(sb.incomingDir)).toEqual(files)

    // A document and its control file moved into the new folder by hand, and Immotop 2 takes the rest from the old one:
    // the moved document still waits (Immotop 2 does not import the new folder), so the handover is not done.
    const moved = files.filter((n) => n.includes('_01_'))
    expect(moved).toHaveLength(2)
    for (const name of moved) renameSync(join(sb.incomingDir, name), join(other, name))
    await pickup('saved')
    await vi.waitFor(() => expect(names(sb.incomingDir)).toEqual([]), {timeout: 30_000, interval: 50})
    const half = exportTenant(deps(other), 'T-1002', options())
    await expect(half).rejects.toMatchObject({code: 'PICKUP_PENDING', details: {waiting: 1}})
    expect(ledger.byHandoverId(before.handoverId)!.staging_dir).toBe(sb.incomingDir)

    // Moved back where Immotop 2 imports it, it is picked up: the handover is done.
    for (const name of moved) renameSync(join(other, name), join(sb.incomingDir, name))
    const done = await exportTenant(deps(other), 'T-1002', options({pickupTimeoutMs: 30_000}))
    expect(done).toMatchObject({status: 'exported', pickedUp: true})
    expect(names(sb.incomingDir)).toEqual([])
  })

  it('a former folder that cannot be read is named, with the configured one, and nothing counts as picked up', async () => {
    const old = folder('old-share')
    const delivered = await exportTenant(deps(old), 'T-1003', options({wait: false}))
    expect(delivered.status).toBe('delivered')
    // Removed, and a new folder made in its place elsewhere (which may even get the freed inode number).
    rmSync(old, {recursive: true})
    const other = folder('replacement')
    const pending = exportTenant(deps(other), 'T-1003', options())
    await expect(pending).rejects.toMatchObject({code: 'STAGING_UNREADABLE'})
    await expect(pending).rejects.toThrow(old)
    await expect(pending).rejects.toThrow(other)
    expect(ledger.doneForTenant('T-1003')).toBeUndefined()
  })

  it('the same folder under another path is recognised by its identity, and the handover follows the new path', async () => {
    const id = await newTenant()
    const first = folder('drive-letter')
    const delivered = await exportTenant(deps(first), id, options({wait: false}))
    expect(delivered.status).toBe('delivered')
    // The folder is now reached under another path only (the old one no longer resolves): the same folder, moved.
    const renamed = join(root, 'unc-path')
    renameSync(first, renamed)
    await expect(exportTenant(deps(renamed), id, options())).rejects.toMatchObject({code: 'PICKUP_PENDING'})
    expect(ledger.byHandoverId(delivered.handoverId)!.staging_dir).toBe(renamed)
    for (const name of names(renamed)) rmSync(join(renamed, name))
    expect(await exportTenant(deps(renamed), id, options())).toMatchObject({status: 'exported', pickedUp: true})
  })

  it('files moved by hand into the new folder, the old one gone (a new server): the handover follows them there', async () => {
    const id = await newTenant()
    const oldServer = folder('old-server')
    const delivered = await exportTenant(deps(oldServer), id, options({wait: false}))
    const newServer = folder('new-server')
    for (const name of names(oldServer)) renameSync(join(oldServer, name), join(newServer, name))
    rmSync(oldServer, {recursive: true})
    await expect(exportTenant(deps(newServer), id, options())).rejects.toMatchObject({code: 'PICKUP_PENDING', message: expect.not.stringContaining(oldServer)})
    expect(ledger.byHandoverId(delivered.handoverId)!.staging_dir).toBe(newServer)
    for (const name of names(newServer)) rmSync(join(newServer, name))
    expect(await exportTenant(deps(newServer), id, options())).toMatchObject({status: 'exported', pickedUp: true})
  })

  it('only some of its files in the new folder, the old one gone: nothing is judged', async () => {
    const id = await newTenant()
    const oldServer = folder('half-moved')
    await exportTenant(deps(oldServer), id, options({wait: false}))
    const newServer = folder('half-new')
    const [first, second] = names(oldServer)
    for (const name of [first!, second!]) renameSync(join(oldServer, name), join(newServer, name))
    rmSync(oldServer, {recursive: true})
    await expect(exportTenant(deps(newServer), id, options())).rejects.toMatchObject({code: 'STAGING_UNREADABLE'})
    expect(ledger.doneForTenant(id)).toBeUndefined()
  })

  it('--redeliver commits before it takes the files back: a crash in between never leaves a "waiting" handover without its files', async () => {
    await pickup('saved')
    const id = await newTenant()
    const old = folder('crash-window')
    const delivered = await exportTenant(deps(old), id, options({wait: false}))
    const staging = new StagingDirectory({...config.staging, incomingDir: sb.incomingDir})
    // Each take-back notes the step the ledger holds at that moment.
    const stepsSeen: string[] = []
    const boundTo = staging.boundTo.bind(staging)
    staging.boundTo = (former) => {
      const view = boundTo(former)
      const retract = view.retract.bind(view)
      view.retract = async (file) => {
        stepsSeen.push(ledger.byHandoverId(delivered.handoverId)!.step)
        return retract(file)
      }
      return view
    }
    const again = await exportTenant({melon, staging, ledger, mailer: null}, id, options({redeliver: {confirm: async () => true}, pickupTimeoutMs: 30_000}))
    expect(again).toMatchObject({status: 'exported', pickedUp: true})
    expect(stepsSeen).toHaveLength(delivered.files.length)
    expect(new Set(stepsSeen)).toEqual(new Set(['started']))
    expect(names(old)).toEqual([])
  })

  it('a handover not yet delivered goes to the folder configured now', async () => {
    const id = await newTenant()
    const missing = join(root, 'never-created')
    await expect(exportTenant(deps(missing), id, options())).rejects.toMatchObject({code: 'STAGING_UNUSABLE'})
    const fixed = folder('fixed')
    const delivered = await exportTenant(deps(fixed), id, options({wait: false}))
    expect(delivered.status).toBe('delivered')
    expect(names(fixed)).toHaveLength(delivered.files.length * 2)
    expect(ledger.byHandoverId(delivered.handoverId)!.staging_dir).toBe(fixed)
  })
})

describe('another folder at the same path (a share not mounted shows the empty folder beneath it)', () => {
  it('is not taken for the folder the files went into: nothing counts as picked up until the share is back', async () => {
    const id = await newTenant()
    const mount = folder('mount')
    const delivered = await exportTenant(deps(mount), id, options({wait: false}))
    expect(delivered.status).toBe('delivered')
    const files = names(mount)
    renameSync(mount, `${mount}.share`)
    mkdirSync(mount)
    const replaced = exportTenant(deps(mount), id, options())
    await expect(replaced).rejects.toMatchObject({code: 'STAGING_FOLDER_REPLACED', exitCode: 7})
    await expect(replaced).rejects.toMatchObject({fix: expect.stringContaining('staging.checkFolderIdentity')})
    expect(ledger.doneForTenant(id)).toBeUndefined()
    // Another process may claim it meanwhile: the claim was released.
    expect(ledger.byHandoverId(delivered.handoverId)!.owner_pid).toBeNull()

    rmSync(mount, {recursive: true})
    renameSync(`${mount}.share`, mount)
    await expect(exportTenant(deps(mount), id, options())).rejects.toMatchObject({code: 'PICKUP_PENDING'})
    for (const name of files) rmSync(join(mount, name))
    expect(await exportTenant(deps(mount), id, options())).toMatchObject({status: 'exported', pickedUp: true})
  })

  it('staging.checkFolderIdentity false (inode numbers that change on each mount) judges the folder at the path, as configured', async () => {
    const id = await newTenant()
    const mount = folder('noserverino')
    const loose = {checkFolderIdentity: false}
    const delivered = await exportTenant(deps(mount, loose), id, options({wait: false}))
    expect(ledger.byHandoverId(delivered.handoverId)!.staging_dir_id).toBeNull()
    // Remounted with new inode numbers: the files are there, under a folder of another identity.
    renameSync(mount, `${mount}.old`)
    mkdirSync(mount)
    for (const name of names(`${mount}.old`)) renameSync(join(`${mount}.old`, name), join(mount, name))
    await expect(exportTenant(deps(mount, loose), id, options())).rejects.toMatchObject({code: 'PICKUP_PENDING'})
  })
})
