/**
 * melon's API promises no order of a tenant's documents. A handover's file
 * names, DmsDocumentIds and tenant record must not depend on it: a run that
 * resumes a handover while melon lists the documents in another order finds
 * the files it delivered, waits for them, and delivers nothing twice.
 */
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {MelonClient} from '../../src/adapters/melon-client.js'
import {StagingDirectory} from '../../src/adapters/staging-dir.js'
import {ConfigSchema, type AppConfig} from '../../src/config/schema.js'
import type {Tenant} from '../../src/wire/melon-wire.js'
import {deliverStep} from '../../src/services/handover/deliver.js'
import {fetchStep} from '../../src/services/handover/fetch.js'
import {exportTenant, type ExportOptions} from '../../src/services/handover/index.js'
import {planHandover} from '../../src/services/handover/plan.js'
import {Spool} from '../../src/services/handover/spool.js'
import {Ledger} from '../../src/state/ledger.js'
import {getJson, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
let config: AppConfig
let ledger: Ledger
let deps: Parameters<typeof exportTenant>[0]
const stateDir = mkdtempSync(join(tmpdir(), 'mi-order-'))

const pickup = (mode: 'saved' | 'off') => fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode})})
const waiting = () => readdirSync(sb.incomingDir).filter((n) => !n.startsWith('.')).sort()
const options = (over: Partial<ExportOptions>): ExportOptions => ({project: config.melon.project, dryRun: false, wait: true, pickupTimeoutMs: 30_000, notify: false, redoChangedDossier: false, ...over})

beforeAll(async () => {
  sb = await testSandbox()
  config = ConfigSchema.parse(sb.config)
  ledger = new Ledger(stateDir)
  deps = {melon: new MelonClient(config.melon), staging: new StagingDirectory(config.staging), ledger, mailer: null}
})
afterAll(async () => {
  ledger?.close()
  await sb.dispose()
  rmSync(stateDir, {recursive: true, force: true})
})

describe('a handover whatever the order in which melon lists the documents', () => {
  it('a resumed handover finds its files under the names it gave them, waits for them, and sends nothing twice', async () => {
    await pickup('off')
    const tenant: Tenant = await deps.melon.getTenant('T-1001')
    expect(tenant.documents.length).toBeGreaterThan(2)
    const first = await exportTenant(deps, tenant, options({wait: false}))
    expect(first.status).toBe('delivered')
    const delivered = waiting()
    expect(delivered).toHaveLength(first.files.length * 2)

    // melon now lists the documents the other way round.
    const reordered: Tenant = {...tenant, documents: [...tenant.documents].reverse()}
    await expect(exportTenant(deps, reordered, options({pickupTimeoutMs: 0}))).rejects.toMatchObject({code: 'PICKUP_PENDING'})
    expect(waiting()).toEqual(delivered)

    await pickup('saved')
    const done = await exportTenant(deps, reordered, options({}))
    expect(done).toMatchObject({status: 'exported', pickedUp: true})
    expect(done.files.map((f) => [f.fileName, f.dmsDocumentId, f.sha256])).toEqual(first.files.map((f) => [f.fileName, f.dmsDocumentId, f.sha256]))
    expect(done.files.every((f) => f.delivery === 'picked_up' && f.immotopDocumentId)).toBe(true)
    expect(waiting()).toEqual([])
    const {handovers} = await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)
    const ours = handovers.filter((h: any) => h.record?.source?.tenantId === 'T-1001')
    expect(ours).toHaveLength(1)
    expect(ours[0].documents.map((d: any) => d.sha256).sort()).toEqual(first.files.map((f) => f.sha256).sort())
    expect(ledger.files(ledger.doneForTenant('T-1001')!.op_key)).toHaveLength(first.files.length)
  })

  it('a handover that an earlier version delivered with other positions keeps them when it is resumed', async () => {
    await pickup('off')
    const tenant: Tenant = await deps.melon.getTenant('T-1003')
    // The positions an earlier version gave (melon's order then): the documents the other way round.
    const canonical = planHandover(tenant, config.melon.project)
    const n = tenant.documents.length
    const earlier = planHandover(
      tenant,
      config.melon.project,
      canonical.files.filter((f) => f.kind !== 'tenant_record').map((f, i) => ({fileName: `${canonical.id}_${String(n - i).padStart(2, '0')}_${f.kind}.pdf`, kind: f.kind, sha256: f.sha256})),
    )
    expect(earlier.files.map((f) => f.fileName)).not.toEqual(canonical.files.map((f) => f.fileName))
    ledger.claim({op_key: earlier.opKey, tenant_id: tenant.id, unit_ref: earlier.record.unit.reference, handover_id: earlier.id, dossier_hash: earlier.dossierHash}, false)
    ledger.recordFiles(earlier.opKey, earlier.files.map((f) => ({file_name: f.fileName, kind: f.kind, size: f.size, sha256: f.sha256})))
    const ctx = {...deps, plan: earlier, spool: new Spool(stateDir, earlier.id), progress: () => {}}
    await fetchStep(ctx)
    await deliverStep(ctx)
    ledger.release(earlier.opKey)
    const delivered = waiting()

    await expect(exportTenant(deps, tenant, options({pickupTimeoutMs: 0}))).rejects.toMatchObject({code: 'PICKUP_PENDING'})
    expect(waiting()).toEqual(delivered)
    await pickup('saved')
    const done = await exportTenant(deps, tenant, options({}))
    expect(done.files.map((f) => f.fileName)).toEqual(earlier.files.map((f) => f.fileName))
    expect(done.files.every((f) => f.delivery === 'picked_up' && f.immotopDocumentId)).toBe(true)
    const {handovers} = await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)
    expect(handovers.filter((h: any) => h.record?.source?.tenantId === 'T-1003')).toHaveLength(1)
    expect(ledger.files(earlier.opKey)).toHaveLength(earlier.files.length)
  })

  it('a new handover names the files alike whatever the order: the dossier PDF first, then the attachments by id', async () => {
    const tenant: Tenant = await deps.melon.getTenant('T-1002')
    const shuffled: Tenant = {...tenant, documents: [...tenant.documents.slice(1), tenant.documents[0]!].reverse()}
    const a = await exportTenant(deps, tenant, options({dryRun: true}))
    const b = await exportTenant(deps, shuffled, options({dryRun: true}))
    expect(b.files).toEqual(a.files)
    expect(a.files[0]).toMatchObject({kind: 'dossier', fileName: expect.stringMatching(/_01_dossier\.pdf$/)})
  })
})
