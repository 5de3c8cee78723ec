/**
 * Delivery places every document first, records the intents of all control
 * moves in one commit, then moves the control files in (one folder flush).
 * A crash at either seam loses nothing and writes nothing twice: killed after
 * placing (no intent yet), the next run places again and moves each control
 * file in once; killed after the intents, the next run only moves in what
 * waits in the private folder, never writing a control file anew, and the
 * sweep of old leftovers in that folder keeps those control files.
 */
import {mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {MelonClient} from '../../src/adapters/melon-client.js'
import {STAGING_TMP, StagingDirectory} from '../../src/adapters/staging-dir.js'
import {ConfigSchema, type AppConfig} from '../../src/config/schema.js'
import type {StepContext} from '../../src/services/handover/context.js'
import {deliverStep} from '../../src/services/handover/deliver.js'
import {fetchStep} from '../../src/services/handover/fetch.js'
import {sweepTemporary} from '../../src/services/handover/leftovers.js'
import {planHandover} from '../../src/services/handover/plan.js'
import {Spool} from '../../src/services/handover/spool.js'
import {Ledger} from '../../src/state/ledger.js'
import {testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
let config: AppConfig
let melon: MelonClient

beforeAll(async () => {
  sb = await testSandbox()
  config = ConfigSchema.parse(sb.config)
  melon = new MelonClient(config.melon)
  await fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode: 'off'})})
})
/** Each handover's own state folder, with its ledger: closed and removed at the end. */
const made: Array<{stateDir: string; ctx: StepContext}> = []
afterAll(async () => {
  for (const {stateDir, ctx} of made) {
    ctx.ledger.close()
    rmSync(stateDir, {recursive: true, force: true})
  }
  await sb.dispose()
})

/** A fetched handover of one tenant, with its own ledger and spool. */
async function fetched(tenantId: string): Promise<StepContext> {
  const stateDir = mkdtempSync(join(tmpdir(), 'mi-batch-'))
  const ledger = new Ledger(stateDir)
  const plan = planHandover(await melon.getTenant(tenantId), config.melon.project)
  ledger.claim({op_key: plan.opKey, tenant_id: plan.tenant.id, unit_ref: plan.record.unit.reference, handover_id: plan.id, dossier_hash: plan.dossierHash}, false)
  ledger.recordFiles(plan.opKey, plan.files.map((f) => ({file_name: f.fileName, kind: f.kind, size: f.size, sha256: f.sha256})))
  const ctx: StepContext = {melon, staging: new StagingDirectory(config.staging), ledger, plan, spool: new Spool(stateDir, plan.id), progress: () => {}}
  made.push({stateDir, ctx})
  await fetchStep(ctx)
  return ctx
}

const mine = (ctx: StepContext, dir: string) => readdirSync(dir).filter((n) => n.startsWith(ctx.plan.id)).sort()
const controls = (ctx: StepContext) => ctx.plan.files.map((f) => f.fileName.replace(/\.[^.]+$/, '.xml_it2')).sort()
const documents = (ctx: StepContext) => ctx.plan.files.map((f) => f.fileName).sort()

describe('delivery in one batch', () => {
  it('places every document, then one commit of intents, then the control files', async () => {
    const ctx = await fetched('T-1001')
    const order: string[] = []
    const transaction = ctx.ledger.transaction.bind(ctx.ledger)
    ctx.ledger.transaction = (work) => {
      order.push(`commit; controls in folder 2: ${mine(ctx, sb.incomingDir).filter((n) => n.endsWith('.xml_it2')).length}; documents: ${mine(ctx, sb.incomingDir).filter((n) => !n.endsWith('.xml_it2')).length}`)
      return transaction(work)
    }
    await deliverStep(ctx)
    const n = ctx.plan.files.length
    expect(order).toEqual([`commit; controls in folder 2: 0; documents: ${n}`, `commit; controls in folder 2: ${n}; documents: ${n}`])
    expect(mine(ctx, sb.incomingDir)).toEqual([...documents(ctx), ...controls(ctx)].sort())
    expect(ctx.ledger.files(ctx.plan.opKey).every((f) => f.control_moved_at && f.delivered_at)).toBe(true)
  })

  it('killed after placing, before the intents: the next run places again and moves each control file in once', async () => {
    const ctx = await fetched('T-1003')
    const markControlMoving = ctx.ledger.markControlMoving.bind(ctx.ledger)
    ctx.ledger.markControlMoving = () => {
      throw new Error('killed')
    }
    await expect(deliverStep(ctx)).rejects.toThrow('killed')
    expect(mine(ctx, sb.incomingDir)).toEqual(documents(ctx))
    expect(ctx.ledger.files(ctx.plan.opKey).some((f) => f.control_moved_at)).toBe(false)
    ctx.ledger.markControlMoving = markControlMoving
    await deliverStep(ctx)
    expect(mine(ctx, sb.incomingDir)).toEqual([...documents(ctx), ...controls(ctx)].sort())
    expect(mine(ctx, join(sb.incomingDir, STAGING_TMP))).toEqual([])
    expect(ctx.ledger.get(ctx.plan.opKey)!.step).toBe('delivered')
  })

  it('killed after the intents, before the moves: the next run moves in the waiting control files, without writing them anew, even after the sweep of old leftovers', async () => {
    const ctx = await fetched('T-1004')
    const moveControls = ctx.staging.moveControls.bind(ctx.staging)
    ctx.staging.moveControls = async () => {
      throw new Error('killed')
    }
    await expect(deliverStep(ctx)).rejects.toThrow('killed')
    const tmp = join(sb.incomingDir, STAGING_TMP)
    expect(mine(ctx, tmp)).toEqual(controls(ctx))
    const inodes = new Map(controls(ctx).map((name) => [name, statSync(join(tmp, name)).ino]))
    expect(ctx.ledger.files(ctx.plan.opKey).every((f) => f.control_moved_at)).toBe(true)
    // The next run comes an hour later and first sweeps old leftovers: a partial file goes, the intended control files stay.
    const hourAgo = new Date(Date.now() - 60 * 60_000)
    writeFileSync(join(tmp, 'mi-T-9-000000000000_01_partial.pdf'), 'partial')
    for (const name of [...controls(ctx), 'mi-T-9-000000000000_01_partial.pdf']) utimesSync(join(tmp, name), hourAgo, hourAgo)
    expect(await sweepTemporary(ctx.staging, ctx.ledger)).toBe(1)
    expect(mine(ctx, tmp)).toEqual(controls(ctx))
    expect(readdirSync(tmp)).not.toContain('mi-T-9-000000000000_01_partial.pdf')
    ctx.staging.moveControls = moveControls
    await deliverStep(ctx)
    expect(mine(ctx, tmp)).toEqual([])
    for (const [name, ino] of inodes) expect(statSync(join(sb.incomingDir, name)).ino, name).toBe(ino)
    expect(ctx.ledger.get(ctx.plan.opKey)!.step).toBe('delivered')
  })
})
