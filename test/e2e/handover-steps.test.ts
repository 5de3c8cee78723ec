/**
 * The handover's steps, each run in process against the sandbox and real
 * folders (no CLI process): fetch fills the spool, deliver writes staging
 * folder 2, pick-up waits for Immotop 2 (and stays "delivered" when it does
 * not come), notify sends the one mail. The driver then finds it all done.
 */
import {createHash} from 'node:crypto'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Mailer} from '../../src/adapters/mailer.js'
import {MelonClient} from '../../src/adapters/melon-client.js'
import {StagingDirectory} from '../../src/adapters/staging-dir.js'
import {ConfigSchema, type AppConfig} from '../../src/config/schema.js'
import {deliverStep} from '../../src/services/handover/deliver.js'
import {fetchStep} from '../../src/services/handover/fetch.js'
import {exportTenant} from '../../src/services/handover/index.js'
import {notifyStep} from '../../src/services/handover/notify.js'
import {pickupStep} from '../../src/services/handover/pickup.js'
import {planHandover} from '../../src/services/handover/plan.js'
import {Spool} from '../../src/services/handover/spool.js'
import type {StepContext} from '../../src/services/handover/context.js'
import {Ledger} from '../../src/state/ledger.js'
import {getJson, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
let config: AppConfig
let ctx: StepContext
const stateDir = mkdtempSync(join(tmpdir(), 'mi-steps-'))

const pickup = (mode: 'saved' | 'off') => fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode})})
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
const waiting = () => readdirSync(sb.incomingDir).filter((n) => !n.startsWith('.'))

beforeAll(async () => {
  sb = await testSandbox()
  config = ConfigSchema.parse(sb.config)
  const melon = new MelonClient(config.melon)
  const ledger = new Ledger(stateDir)
  const plan = planHandover(await melon.getTenant('T-1002'), config.melon.project)
  ledger.claim({op_key: plan.opKey, tenant_id: plan.tenant.id, unit_ref: plan.record.unit.reference, handover_id: plan.id, dossier_hash: plan.dossierHash}, true)
  ledger.recordFiles(plan.opKey, plan.files.map((f) => ({file_name: f.fileName, kind: f.kind, size: f.size, sha256: f.sha256})))
  ctx = {melon, staging: new StagingDirectory(config.staging), ledger, mailer: new Mailer(config.notify!), plan, spool: new Spool(stateDir, plan.id), progress: () => {}}
  await pickup('off')
})
afterAll(async () => {
  ctx?.mailer?.close()
  ctx?.ledger.close()
  await sb.dispose()
  rmSync(stateDir, {recursive: true, force: true})
})

describe('the handover, step by step, in process', () => {
  it('fetch: every file in the spool with the size and SHA-256 melon declares; ledger at fetched', async () => {
    await fetchStep(ctx)
    for (const file of ctx.plan.files) expect(sha256(ctx.spool.path(file.fileName)), file.fileName).toBe(file.sha256)
    expect(ctx.ledger.get(ctx.plan.opKey)!.step).toBe('fetched')
  })

  it('deliver: documents, record and control files in staging folder 2; every control move recorded; the spool gone', async () => {
    await deliverStep(ctx)
    const names = waiting()
    for (const file of ctx.plan.files) expect(names, file.fileName).toContain(file.fileName)
    expect(names.filter((n) => n.endsWith('.xml_it2'))).toHaveLength(ctx.plan.files.length)
    expect(ctx.ledger.files(ctx.plan.opKey).every((f) => f.control_moved_at && f.delivered_at)).toBe(true)
    expect(ctx.ledger.get(ctx.plan.opKey)!.step).toBe('delivered')
    expect(await ctx.spool.present(ctx.plan.files[0]!.fileName, ctx.plan.files[0]!.size)).toBe(false)
  })

  it('pick-up that does not come within the wait: PICKUP_PENDING, the handover stays delivered, nothing removed', async () => {
    await expect(pickupStep(ctx, 0, true)).rejects.toMatchObject({code: 'PICKUP_PENDING'})
    expect(ctx.ledger.get(ctx.plan.opKey)!.step).toBe('delivered')
    expect(waiting().length).toBe(ctx.plan.files.length * 2)
  })

  it('pick-up: Immotop 2 takes every file; its DocumentIds are recorded, with the mail\'s intent', async () => {
    await pickup('saved')
    expect(await pickupStep(ctx, 30_000, true)).toBe('notifying')
    expect(waiting()).toEqual([])
    const rows = ctx.ledger.files(ctx.plan.opKey)
    expect(rows.every((f) => f.picked_up_at && f.immotop_document_id)).toBe(true)
    // The pick-ups and the mail's intent in one commit: the next step sends it.
    expect(ctx.ledger.get(ctx.plan.opKey)).toMatchObject({step: 'notifying', status: 'in_progress'})
    const {handovers} = await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)
    expect(handovers.find((h: any) => h.record?.source?.tenantId === 'T-1002').documents.map((d: any) => d.sha256).sort()).toEqual(ctx.plan.files.map((f) => f.sha256).sort())
  })

  it('notify: one mail for the handover; the ledger at notified, done', async () => {
    await notifyStep(ctx, 'notifying')
    const {mails} = await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)
    expect(mails).toHaveLength(1)
    expect(mails[0].subject).toContain('Marco Bernasconi')
    expect(ctx.ledger.get(ctx.plan.opKey)).toMatchObject({step: 'notified', status: 'done'})
  })

  it('the driver then finds the handover done and sends nothing', async () => {
    const result = await exportTenant(ctx, 'T-1002', {project: config.melon.project, dryRun: false, wait: true, pickupTimeoutMs: 1000, notify: true, redoChangedDossier: false})
    expect(result).toMatchObject({status: 'already_done', pickedUp: true, notified: true})
    expect((await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)).handovers).toHaveLength(1)
    expect((await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)).mails).toHaveLength(1)
  })
})
