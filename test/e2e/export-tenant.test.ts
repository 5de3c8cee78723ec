import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {configVariant, getJson, testSandbox, type TestSandbox} from '../helpers/sandbox.js'
import {hasScript, onTerminal} from '../helpers/terminal.js'

let sb: TestSandbox
let tmp: string
beforeAll(async () => {
  sb = await testSandbox()
  tmp = join(sb.root, 'tmp')
  mkdirSync(tmp)
})
afterAll(() => sb.dispose())

const handovers = async () => (await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)).handovers as any[]
const tenant = (id: string) => getJson(`${sb.melon.baseUrl}/api/partner/v1/tenants/${id}`, {headers: {authorization: `Token ${sb.melon.token}`}})
const visible = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.'))
const run = (args: string[]) => runCli(args, {env: {TMPDIR: tmp}})

/** A new tenant whose handover waits in a folder of its own that Immotop 2 does not import. */
async function waitingIn(name: string): Promise<{id: string; folder: string; handoverId: string; fileNames: string[]}> {
  const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})
  const {id} = (await created.json()) as {id: string}
  const folder = join(sb.root, name)
  mkdirSync(folder)
  const result = await run(['export-tenant', id, '--no-wait', '--json', '--config', configVariant(sb, name, (c) => (c.staging.incomingDir = folder))])
  expect(result.code).toBe(0)
  return {id, folder, handoverId: json(result).handoverId, fileNames: json(result).files.map((f: any) => f.fileName)}
}

describe('export-tenant', () => {
  it('--dry-run lists what would be delivered and delivers nothing', async () => {
    const result = await run(['export-tenant', 'T-1001', '--dry-run', '--json', '--config', sb.configPath])
    expect(result.code).toBe(0)
    const out = json(result)
    expect(out).toMatchObject({tenantId: 'T-1001', unitReference: '1.10001.1012', dryRun: true, pickedUp: false})
    expect(out.files.map((f: any) => f.kind)).toEqual(['dossier', 'id_copy', 'debt_enforcement_extract', 'salary_statement', 'tenant_record'])
    expect(await handovers()).toEqual([])
    expect(visible(sb.incomingDir)).toEqual([])
  })

  it('hands the tenant with the complete dossier to Immotop 2, every SHA-256 equal to melon\'s, and cleans up', async () => {
    const result = await run(['export-tenant', 'T-1001', '--json', '--config', sb.configPath])
    expect(result.code).toBe(0)
    const out = json(result)
    expect(out.pickedUp).toBe(true)
    expect(out.handoverId).toMatch(/^mi-T-1001-[0-9a-f]{12}$/)
    const melon = await tenant('T-1001')
    const [handover] = await handovers()
    expect(handover.handoverId).toBe(out.handoverId)
    expect(handover.unitReference).toBe('1.10001.1012')
    const received = new Map<string, any>(handover.documents.map((d: any) => [d.kind, d]))
    expect(received.size).toBe(5)
    for (const doc of melon.documents) {
      expect(received.get(doc.kind)).toMatchObject({sha256: doc.sha256, size: doc.size})
    }
    // The CLI reports the ids Immotop 2 answered with, and the speaking names it received.
    for (const file of out.files) expect(file.immotopDocumentId).toBe(received.get(file.kind)!.documentId)
    expect(handover.documents.map((d: any) => d.dateiName).sort()).toEqual(['Ausweiskopie.pdf', 'Betreibungsregisterauszug.pdf', 'Bewerbungsdossier.pdf', 'Lohnausweis.pdf', 'Mieterdaten.json'])
    expect(handover.documents.every((d: any) => !/Meier|Laura/.test(d.dateiName + d.fileName))).toBe(true)
    // DmsArchivId is the configured archive, one for everything.
    expect(new Set(handover.documents.map((d: any) => d.archivePath.split('/').at(-2)))).toEqual(new Set(['melon']))
    // The tenant record carries all persons and references every document.
    const record = handover.record
    expect(record.schema).toBe('melon-immotop.tenant-record/1')
    expect(record.persons.map((p: any) => [p.position, p.role, p.firstName, p.surname, p.dateOfBirth])).toEqual([
      [1, 'main', 'Laura', 'Meier', '1989-03-14'],
      [2, 'co', 'Jonas', 'Meier', '1987-11-02'],
    ])
    expect(record.persons[0]).toMatchObject({nationalityCode: 'CH', language: 'de', maritalStatus: 'married', address: {city: 'Horgen', postalCode: '8810'}})
    expect(record.unit).toMatchObject({reference: '1.10001.1012', mandantNr: 1, liegenschaftNr: 10001, objektNr: 1012})
    expect(record.rent).toMatchObject({netMonthly: 2450, grossMonthly: 2730})
    expect(record.requestedMoveInDate).toBe(melon.requested_move_in_date)
    expect(record.documents.map((d: any) => d.sha256)).toEqual(melon.documents.map((d: any) => d.sha256))
    // The record lists every document with kind, size, hash and the ids of its control file.
    expect(record.documents.map((d: any) => [d.kind, d.dmsDocumentId, d.dateiName])).toEqual(
      out.files.filter((f: any) => f.kind !== 'tenant_record').map((f: any) => [f.kind, f.dmsDocumentId, f.dateiName]),
    )
    // Nothing left behind: staging and acknowledgement folders empty, no temporary files.
    expect(visible(sb.incomingDir)).toEqual([])
    expect(visible(sb.ackDir)).toEqual([])
    expect(readdirSync(tmp)).toEqual([])
  })

  it('running it again sends nothing twice: Immotop 2 holds each document once, with the same ids', async () => {
    const before = await handovers()
    const result = await run(['export-tenant', 'T-1001', '--json', '--config', sb.configPath])
    expect(result.code).toBe(0)
    const after = await handovers()
    expect(after).toHaveLength(1)
    expect(after[0].documents).toEqual(before[0].documents)
    expect(json(result).files.map((f: any) => f.immotopDocumentId)).toEqual(json(result).files.map((f: any) => after[0].documents.find((d: any) => d.fileName === f.fileName).documentId))
  })

  it('a tenant whose dossier PDF melon does not list (yet) is not handed over: exit 5, nothing delivered, nothing recorded as done', async () => {
    const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({without_dossier: true})})
    const {id} = (await created.json()) as {id: string}
    expect((await tenant(id)).documents.map((d: any) => d.kind)).not.toContain('dossier')
    const before = (await handovers()).length
    for (const args of [['--dry-run'], []]) {
      const result = await run(['export-tenant', id, ...args, '--json', '--config', sb.configPath])
      expect(result.code).toBe(5)
      expect(json(result).error).toMatchObject({code: 'DOSSIER_MISSING', message: `melon lists tenant ${id} without its dossier PDF (a document of kind dossier); nothing was sent.`})
    }
    expect((await handovers()).length).toBe(before)
    expect(visible(sb.incomingDir)).toEqual([])
    const history = json(await run(['history', '--tenant', id, '--json', '--config', sb.configPath]))
    expect(JSON.stringify(history)).not.toContain('picked_up')
  })

  it('--redeliver: a waiting handover whose folder was lost is delivered again into staging.incomingDir, once, after a confirmation', async () => {
    // Delivered into a share Immotop 2 never imported, which is then gone with its files.
    const {id, folder: lost, handoverId, fileNames} = await waitingIn('lost-share')
    rmSync(lost, {recursive: true})
    const stuck = await run(['export-tenant', id, '--pickup-timeout', '1', '--json', '--config', sb.configPath])
    expect(json(stuck).error).toMatchObject({code: 'STAGING_UNREADABLE'})

    // Without a terminal it needs --yes; nothing changes meanwhile.
    const unconfirmed = await run(['export-tenant', id, '--redeliver', '--json', '--config', sb.configPath])
    expect(unconfirmed.code).toBe(2)
    expect(json(unconfirmed).error).toMatchObject({code: 'CONFIRMATION_NEEDED', message: expect.stringContaining(`delivered into ${lost}`)})
    const ours = async () => (await handovers()).filter((h) => h.record?.source?.tenantId === id)
    expect(await ours()).toEqual([])

    const again = await run(['export-tenant', id, '--redeliver', '--yes', '--json', '--config', sb.configPath])
    expect(again.code).toBe(0)
    expect(json(again)).toMatchObject({status: 'exported', pickedUp: true, handoverId})
    expect(json(again).files.map((f: any) => f.fileName)).toEqual(fileNames)
    expect(await ours()).toHaveLength(1)

    // Picked up now: there is nothing left to deliver again.
    const done = await run(['export-tenant', id, '--redeliver', '--yes', '--json', '--config', sb.configPath])
    expect(done.code).toBe(5)
    expect(json(done).error).toMatchObject({code: 'NOTHING_TO_REDELIVER'})
    expect(await ours()).toHaveLength(1)
  })

  it('--redeliver takes back what is left of the files in the former folder, so that no copy waits there', async () => {
    const {id, folder: orphan} = await waitingIn('never-imported')
    expect(visible(orphan).length).toBeGreaterThan(0)
    const again = await run(['export-tenant', id, '--redeliver', '--yes', '--json', '--config', sb.configPath])
    expect(again.code).toBe(0)
    expect(json(again)).toMatchObject({status: 'exported', pickedUp: true})
    expect(visible(orphan)).toEqual([])
    const history = await run(['history', '--tenant', id, '--config', sb.configPath])
    expect(history.stdout).toContain(`delivered again on request: the files in ${orphan} were lost`)
  })

  it.runIf(hasScript)('--redeliver on a terminal asks first: "no" changes nothing, "yes" delivers again', async () => {
    const {id, folder: orphan} = await waitingIn('asked-share')
    const waiting = visible(orphan)

    const declined = onTerminal(`export-tenant ${id} --redeliver --config "${sb.configPath}"`, sb.root)
    await declined.until('Deliver the files of handover')
    declined.type('n\r')
    expect(await declined.exited).toBe(2)
    expect(declined.state.screen).toContain('was not confirmed; nothing was changed')
    expect(visible(orphan)).toEqual(waiting)

    const accepted = onTerminal(`export-tenant ${id} --redeliver --config "${sb.configPath}"`, sb.root)
    await accepted.until('Deliver the files of handover')
    accepted.type('y\r')
    expect(await accepted.exited).toBe(0)
    expect(accepted.state.screen).toContain('files picked up')
    expect(visible(orphan)).toEqual([])
  })

  it('a staging folder that is not there stops it before anything is read or sent (exit 78, the key named)', async () => {
    const before = (await handovers()).length
    const offline = configVariant(sb, 'ack-offline', (c) => (c.staging.ackDir = join(sb.root, 'unmapped-drive', 'ack')))
    const result = await run(['export-tenant', 'T-1002', '--json', '--config', offline])
    expect(result.code).toBe(78)
    expect(json(result).error).toMatchObject({code: 'STAGING_UNUSABLE', message: expect.stringContaining('staging.ackDir'), fix: expect.stringContaining('mounted or mapped for the account')})
    expect((await handovers()).length).toBe(before)
    expect(visible(sb.incomingDir)).toEqual([])
  })

  it('--no-wait returns after delivery; a later run sees the pick-up without delivering again', async () => {
    const first = await run(['export-tenant', 'T-1002', '--no-wait', '--json', '--config', sb.configPath])
    expect(first.code).toBe(0)
    expect(json(first)).toMatchObject({status: 'delivered', pickedUp: false})
    const second = await run(['export-tenant', 'T-1002', '--json', '--config', sb.configPath])
    expect(second.code).toBe(0)
    expect(json(second).pickedUp).toBe(true)
    const h = (await handovers()).find((x) => x.handoverId === json(second).handoverId)
    expect(h.documents).toHaveLength(5)
    expect(visible(sb.ackDir)).toEqual([])
  })

  it('streams a dossier larger than any in-memory cap (80 MiB) with the SHA-256 verified end to end', async () => {
    const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({object_reference_number: '1.10001.1901', dossier_size_bytes: 80 * 1024 * 1024}),
    })
    const body = (await created.json()) as {id: string; ids: string[]}
    expect(body.ids).toEqual([body.id])
    const id = body.id
    const result = await run(['export-tenant', id, '--json', '--config', sb.configPath])
    expect(result.code).toBe(0)
    const melon = await tenant(id)
    const dossier = melon.documents.find((d: any) => d.kind === 'dossier')
    expect(dossier.size).toBe(80 * 1024 * 1024)
    const h = (await handovers()).find((x) => x.handoverId === json(result).handoverId)
    const received = h.documents.find((d: any) => d.kind === 'dossier')
    expect(received.sha256).toBe(dossier.sha256)
    // …and the archived bytes really hash to it.
    const archived = received.archivePath
    expect(statSync(archived).size).toBe(dossier.size)
    expect(createHash('sha256').update(readFileSync(archived)).digest('hex')).toBe(dossier.sha256)
    expect(readdirSync(tmp)).toEqual([])
  })

  it.each([
    ['an unknown tenant', ['T-9999'], 3, /melon has no tenant with id T-9999/],
    ['a tenant with contract', ['T-1004'], 5, /T-1004 is "with_contract", not "without_contract"/],
    ['an id with path characters', ['../../etc'], 2, /not a valid tenant id/],
  ])('refuses %s with a clear message and exit code', async (_name, args, code, message) => {
    const result = await run(['export-tenant', ...args, '--config', sb.configPath])
    expect(result.code).toBe(code)
    expect(result.stderr).toMatch(message)
  })

  it('a wrong token exits 4 and delivers nothing', async () => {
    const config = configVariant(sb, 'wrong-token', (c) => (c.melon.token = 'wrong-token-00000000'))
    const count = (await handovers()).length
    const result = await run(['export-tenant', 'T-1003', '--json', '--config', config])
    expect(result.code).toBe(4)
    expect(json(result).error.code).toBe('UNAUTHORIZED')
    expect(await handovers()).toHaveLength(count)
  })

  it('a staging folder that does not exist is a config error, with nothing downloaded', async () => {
    const config = configVariant(sb, 'no-staging', (c) => (c.staging.incomingDir = join(sb.root, 'nowhere')))
    const result = await run(['export-tenant', 'T-1003', '--config', config])
    expect(result.code).toBe(78)
    expect(result.stderr).toContain('staging.incomingDir')
    expect(readdirSync(tmp)).toEqual([])
  })

  it('an Immotop 2 that never picks up: waits only as long as told, says so naming W&W, never resends, and completes on pick-up alone', async () => {
    // A staging folder nobody processes stands in for a stopped Immotop 2.
    const silentAck = join(sb.root, 'silent-ack')
    mkdirSync(silentAck)
    const silentIn = join(sb.root, 'silent-in')
    mkdirSync(silentIn)
    const config = configVariant(sb, 'silent', (c) => {
      c.staging.incomingDir = silentIn
      c.staging.ackDir = silentAck
    })
    const result = await run(['export-tenant', 'T-1003', '--pickup-timeout', '1', '--json', '--config', config])
    expect(result.code).toBe(7)
    expect(json(result).error).toMatchObject({code: 'PICKUP_PENDING'})
    expect(json(result).error.message).toContain('has not picked up 5 of 5 files of tenant T-1003')
    expect(json(result).error.fix).toMatch(/Ask W&W to check that Immotop 2 imports its staging folder 2/)
    expect(visible(silentIn).filter((n) => n.endsWith('.xml_it2'))).toHaveLength(5)
    expect(visible(silentIn)).toHaveLength(10)
    for (const name of visible(silentIn)) expect(statSync(join(silentIn, name)).mode & 0o077).toBe(0)
    expect(readdirSync(tmp)).toEqual([])
    // The ledger says "delivered, waiting for pick-up", with the time.
    const history = json(await run(['history', '--tenant', 'T-1003', '--json', '--config', config]))
    expect(history.handovers[0]).toMatchObject({status: 'in_progress', step: 'delivered'})
    expect(history.handovers[0].waitingForPickupSince).toMatch(/^\d{4}-\d\d-\d\dT/)

    // A second run checks again and writes nothing: the same files, untouched.
    const stamp = (dir: string) => visible(dir).map((n) => `${n}:${statSync(join(dir, n)).ino}:${statSync(join(dir, n)).mtimeMs}`).sort()
    const before = stamp(silentIn)
    const again = await run(['export-tenant', 'T-1003', '--pickup-timeout', '1', '--json', '--config', config])
    expect(again.code).toBe(7)
    expect(stamp(silentIn)).toEqual(before)

    // Immotop 2 picks the files up (deletes them) and answers nothing, as W&W documents it: that completes the handover.
    for (const name of visible(silentIn)) rmSync(join(silentIn, name))
    const done = await run(['export-tenant', 'T-1003', '--pickup-timeout', '1', '--json', '--config', config])
    expect(done.code).toBe(0)
    expect(json(done)).toMatchObject({status: 'exported', pickedUp: true})
    expect(json(done).files.every((f: any) => f.delivery === 'picked_up' && f.immotopDocumentId === null)).toBe(true)
    expect(visible(silentIn)).toEqual([])
  })

  it('an Immotop 2 that picks up without answering (pick-up mode consume) completes the handover', async () => {
    await fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode: 'consume'})})
    try {
      const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({object_reference_number: '2.20001.1'})})
      const {id} = (await created.json()) as {id: string}
      const result = await run(['export-tenant', id, '--json', '--config', sb.configPath])
      expect(result.code).toBe(0)
      expect(json(result)).toMatchObject({status: 'exported', pickedUp: true})
      expect(json(result).files.map((f: any) => f.immotopDocumentId)).toEqual(json(result).files.map(() => null))
      const h = (await handovers()).find((x) => x.handoverId === json(result).handoverId)
      expect(h.documents.map((d: any) => d.sha256).sort()).toEqual(json(result).files.map((f: any) => f.sha256).sort())
      expect(visible(sb.ackDir)).toEqual([])
    } finally {
      await fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode: 'saved'})})
    }
  })
})

describe('export-tenant interrupted', () => {
  it('SIGINT during a download exits 130 with a note, and leaves no temporary files and nothing half-delivered', async () => {
    const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({object_reference_number: '1.10002.2002', dossier_size_bytes: 400 * 1024 * 1024}),
    })
    const {ids} = (await created.json()) as {ids: string[]}
    const {spawn} = await import('node:child_process')
    const {BIN} = await import('../helpers/cli.js')
    const before = (await handovers()).length
    const child = spawn(process.execPath, [BIN, 'export-tenant', ids[0]!, '--config', sb.configPath], {env: {...process.env, TMPDIR: tmp, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (c) => (stderr += c))
    // Interrupt once the download into the spool has visibly started.
    const spool = join(sb.stateDir, 'spool')
    let started = false
    for (let i = 0; i < 400 && !started; i++) {
      const work = existsSync(spool) ? readdirSync(spool) : []
      started = work.some((w) => readdirSync(join(spool, w)).length > 0)
      if (!started) await new Promise((r) => setTimeout(r, 25))
    }
    expect(started).toBe(true)
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    expect(code).toBe(130)
    expect(stderr).toMatch(/Interrupted by SIGINT while exporting tenant/)
    expect(readdirSync(tmp)).toEqual([])
    expect(readdirSync(spool)).toEqual([])
    expect(visible(sb.incomingDir)).toEqual([])
    expect(readdirSync(join(sb.incomingDir, '.melon-immotop-tmp'))).toEqual([])
    expect(await handovers()).toHaveLength(before)
  })

  it('--redeliver looks first: files Immotop 2 took by consumption are not sent again (ALREADY_PICKED_UP, exit 5); a run without it records the pick-up (issue 24, hole 6)', async () => {
    await fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode: 'consume'})})
    try {
      const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({object_reference_number: '2.20001.1'})})
      const {id} = (await created.json()) as {id: string}
      const delivered = await run(['export-tenant', id, '--no-wait', '--json', '--config', sb.configPath])
      expect(delivered.code, delivered.stderr).toBe(0)
      const handoverId = json(delivered).handoverId
      const ours = async () => (await handovers()).filter((h) => h.handoverId === handoverId)
      // Barrier: the emulated Immotop 2 has taken every file (bounded, not timed).
      const taken = async () => visible(sb.incomingDir).length === 0 && (await ours())[0]?.documents.length === 5
      for (let i = 0; i < 400 && !(await taken()); i++) await new Promise((r) => setTimeout(r, 50))
      expect(await ours()).toHaveLength(1)
      expect(visible(sb.incomingDir)).toEqual([])
      const refused = await run(['export-tenant', id, '--redeliver', '--yes', '--json', '--config', sb.configPath])
      expect(refused.code, refused.stderr).toBe(5)
      expect(json(refused).error).toMatchObject({code: 'ALREADY_PICKED_UP', message: `Immotop 2 has taken 5 of 5 files of handover ${handoverId} from ${sb.incomingDir} (gone from the folder, as Immotop 2 takes them); delivering them again would put them into Immotop 2 twice, so nothing was sent.`})
      expect(visible(sb.incomingDir)).toEqual([])
      expect(await ours()).toHaveLength(1)
      const done = await run(['export-tenant', id, '--json', '--config', sb.configPath])
      expect(done.code, done.stderr).toBe(0)
      expect(json(done)).toMatchObject({status: 'exported', pickedUp: true, handoverId})
      expect(await ours()).toHaveLength(1)
      expect((await handovers()).filter((h) => h.record?.source?.tenantId === id)).toHaveLength(1)
    } finally {
      await fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode: 'saved'})})
    }
  })
})
