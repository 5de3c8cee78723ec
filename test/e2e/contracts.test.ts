/**
 * Closing the loop against the sandbox, with the real CLI: the contract drawn
 * up in Immotop 2 (POST /_sandbox/tenancies) is found, melon learns it once,
 * and only listings this tool manages are set to rented or withdrawn.
 * Ambiguous and unmatched cases wait for a person; faults and kills never
 * make melon change twice.
 */
import {describe, expect, it} from 'vitest'
import {Ledger} from '../../src/state/ledger.js'
import {json, runCli} from '../helpers/cli.js'
import {killRepeatedly, killSeed, mulberry32} from '../helpers/kill.js'
import {configVariant, getJson, sandboxPerTest, setFaults, type TestSandbox} from '../helpers/sandbox.js'

const sandbox = sandboxPerTest()

const auth = (sb: TestSandbox) => ({headers: {authorization: `Token ${sb.melon.token}`}})
const tenant = (sb: TestSandbox, id: string) => getJson(`${sb.melon.baseUrl}/api/partner/v1/tenants/${id}`, auth(sb))
const listing = async (sb: TestSandbox, ref: string) => {
  const response = await fetch(`${sb.melon.baseUrl}/api/partner/v1/objects/${ref}`, auth(sb))
  return response.status === 404 ? null : response.json()
}
/** Contract updates melon accepted, idempotent replays not counted: one per tenant, or the update was sent twice. */
const contractWrites = async (sb: TestSandbox) => ((await getJson(`${sb.melon.baseUrl}/_sandbox/writes`)).writes as any[]).filter((w) => w.path.endsWith('/contract'))

/** What the contract staff do in Immotop 2: a new Mieter-Verhältnis on the unit. */
async function drawUpContract(sb: TestSandbox, body: {unit: string; from: string; name?: string | null}): Promise<string> {
  const response = await fetch(`${sb.immotop.baseUrl}/_sandbox/tenancies`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({to: null, ...body})})
  expect(response.status).toBe(201)
  return String((await response.json()).tenancy)
}

async function syncOnce(sb: TestSandbox, config = sb.configPath) {
  const result = await runCli(['sync', '--once', '--json', '--config', config], {timeoutMs: 120_000})
  expect(result.code, result.stderr + result.stdout.slice(0, 1500)).toBe(0)
  return json(result)
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

/** A listing someone else put on melon (no managed_by): the tool must never touch it. */
async function foreignListing(sb: TestSandbox, template: any, ref: string) {
  const {num_applications: _n, created_at: _c, updated_at: _u, ...input} = template
  const body = {...input, reference_number: ref, title: 'Von Hand erfasst', managed_by: null}
  const response = await fetch(`${sb.melon.baseUrl}/api/partner/v1/objects/${ref}`, {method: 'PUT', headers: {...auth(sb).headers, 'content-type': 'application/json'}, body: JSON.stringify(body)})
  expect(response.status).toBe(201)
  return response.json()
}

describe('closing the loop', () => {
  it('vacancy → listing → tenant → dossier in Immotop 2 → contract → melon "with contract" and the listing rented; a foreign listing is left alone', async () => {
    const sb = await sandbox()
    const published = await runCli(['publish', '1.10001.1012', '--config', sb.configPath])
    expect(published.code, published.stderr).toBe(0)
    const foreign = await foreignListing(sb, await listing(sb, '1.10001.1012'), '1.10001.1013')
    const first = await syncOnce(sb)
    expect(first.summary).toMatchObject({exported: 3, failed: 0, contracts: {waiting: 3, closed: 0}})

    const t1001 = await tenant(sb, 'T-1001')
    const t1003 = await tenant(sb, 'T-1003')
    const ref1001 = await drawUpContract(sb, {unit: '1.10001.1012', from: t1001.requested_move_in_date, name: 'Meier Laura'})
    const ref1003 = await drawUpContract(sb, {unit: '1.10001.1013', from: t1003.requested_move_in_date, name: 'Demir Aylin'})
    const second = await syncOnce(sb)
    expect(second.summary.contracts).toMatchObject({closed: 2, waiting: 1, ambiguous: 0, unmatched: 0, failed: 0})
    const closed = new Map<string, any>(second.contracts.closed.map((c: any) => [c.tenantId, c]))
    expect(closed.get('T-1001')).toMatchObject({unit: '1.10001.1012', state: 'closed', tenancy: {ref: ref1001, from: t1001.requested_move_in_date, settledBy: 'detected'}, listing: 'rented'})
    expect(closed.get('T-1003')).toMatchObject({tenancy: {ref: ref1003}, listing: 'not managed by melon-immotop; left as it is'})

    // melon learnt it: the tenants left "ohne Vertrag", with Immotop 2's tenancy and start.
    expect(await tenant(sb, 'T-1001')).toMatchObject({contract_status: 'with_contract', contract: {tenancy_reference: ref1001, start_date: t1001.requested_move_in_date}})
    expect((await tenant(sb, 'T-1003')).contract_status).toBe('with_contract')
    expect((await tenant(sb, 'T-1002')).contract_status).toBe('without_contract')
    // Our listing is rented; the foreign one is exactly as it was.
    expect((await listing(sb, '1.10001.1012')).object_state).toBe('rented')
    expect(await listing(sb, '1.10001.1013')).toEqual(foreign)
    expect((await getJson(`${sb.melon.baseUrl}/api/v2/objects/?format=json`)).find((o: any) => o.reference_number === '1.10001.1012').rentalgross_net).toBeNull()

    // history tells the whole story; a further pass changes nothing.
    const history = json(await runCli(['history', '--tenant', 'T-1001', '--json', '--config', sb.configPath]))
    expect(history.handovers[0].contract).toMatchObject({state: 'closed', tenancy: {ref: ref1001}, listing: 'rented'})
    expect(history.handovers[0].events.filter((e: any) => e.kind === 'contract').map((e: any) => e.step)).toEqual(['watching', 'found', 'telling', 'told', 'closed'])
    const third = await syncOnce(sb)
    expect(third.summary.contracts).toMatchObject({closed: 0, waiting: 1})
    expect(await contractWrites(sb)).toHaveLength(2)
  }, 120_000)

  it('sync.onContract withdraw takes our listing off melon', async () => {
    const sb = await sandbox()
    const withdraw = configVariant(sb, 'withdraw', (c) => (c.sync = {...c.sync, onContract: 'withdraw'}))
    expect((await runCli(['publish', '1.10001.1012', '--config', withdraw])).code).toBe(0)
    await syncOnce(sb, withdraw)
    await drawUpContract(sb, {unit: '1.10001.1012', from: (await tenant(sb, 'T-1001')).requested_move_in_date, name: 'Meier Laura'})
    const report = await syncOnce(sb, withdraw)
    expect(report.contracts.closed).toEqual([expect.objectContaining({tenantId: 'T-1001', listing: 'withdrawn'})])
    expect(await listing(sb, '1.10001.1012')).toBeNull()
  }, 120_000)

  it('never guesses: two candidates, a start far off, a tenancy for someone else; a person settles them with contracts confirm', async () => {
    const sb = await sandbox()
    await syncOnce(sb)
    const t1001 = await tenant(sb, 'T-1001')
    const t1002 = await tenant(sb, 'T-1002')
    const a = await drawUpContract(sb, {unit: '1.10001.1012', from: t1001.requested_move_in_date})
    const b = await drawUpContract(sb, {unit: '1.10001.1012', from: addDays(t1001.requested_move_in_date, 1)})
    const far = await drawUpContract(sb, {unit: '1.10002.2002', from: addDays(t1002.requested_move_in_date, 120), name: 'Bernasconi Marco'})
    await drawUpContract(sb, {unit: '1.10001.1013', from: (await tenant(sb, 'T-1003')).requested_move_in_date, name: 'Keller Beat'})

    const report = await syncOnce(sb)
    expect(report.summary.contracts).toMatchObject({closed: 0, ambiguous: 2, unmatched: 1, failed: 0})
    const ambiguous = new Map<string, any>(report.contracts.ambiguous.map((c: any) => [c.tenantId, c]))
    expect(ambiguous.get('T-1001').reason).toBe(`2 new tenancies fit (${a}, ${b}); melon shows tenant T-1001 as without_contract`)
    expect(ambiguous.get('T-1001').candidates.map((c: any) => c.ref)).toEqual([a, b])
    expect(ambiguous.get('T-1002').reason).toMatch(new RegExp(`^tenancy ${far} starts .*, 120 days from the requested ${t1002.requested_move_in_date} \\(window 31 days\\)`))
    expect(report.contracts.unmatched[0]).toMatchObject({tenantId: 'T-1003', reason: 'the unit has 1 new tenancy for another tenant; melon shows tenant T-1003 as without_contract'})
    // No names of the household in the report (dossier data stays out of output).
    expect(JSON.stringify(report.contracts)).not.toMatch(/Meier|Bernasconi|Demir|Keller/)
    expect(await contractWrites(sb)).toHaveLength(0)

    // The list says the same, offline; the text form names the fix.
    const listed = json(await runCli(['contracts', '--state', 'ambiguous', '--json', '--config', sb.configPath]))
    expect(listed.contracts.map((c: any) => c.tenantId).sort()).toEqual(['T-1001', 'T-1002'])
    const text = await runCli(['contracts', '--config', sb.configPath])
    expect(text.stdout + text.stderr).toContain('contracts confirm <tenant> --tenancy <ref>')

    // A tenancy that is not on the unit is refused; the right one settles it at once.
    const wrong = await runCli(['contracts', 'confirm', 'T-1001', '--tenancy', far, '--config', sb.configPath])
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain(`Immotop 2 has no Mieter tenancy ${far} on unit 1.10001.1012.`)
    const confirmed = json(await runCli(['contracts', 'confirm', 'T-1001', '--tenancy', b, '--json', '--config', sb.configPath]))
    expect(confirmed).toMatchObject({finishedNow: true, contract: {state: 'closed', tenancy: {ref: b, settledBy: 'operator'}, listing: 'no listing in melon'}})
    expect((await tenant(sb, 'T-1001')).contract).toEqual({tenancy_reference: b, start_date: addDays(t1001.requested_move_in_date, 1)})
    const again = await runCli(['contracts', 'confirm', 'T-1001', '--tenancy', a, '--config', sb.configPath])
    expect(again.code).toBe(5)
    expect(again.stderr).toContain('already settled')
    expect(await contractWrites(sb)).toHaveLength(1)
  }, 120_000)

  it('a household named by a particle ("von Allmen") is not matched by a new tenancy for "von Gunten Peter"; its own tenancy is (issue 24, hole 3)', async () => {
    const sb = await sandbox()
    const made = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({object_reference_number: '1.10002.2002', surname: 'von Allmen', first_name: 'Ruth', persons: 2})})
    expect(made.status).toBe(201)
    const id = (await made.json()).id as string
    const household = await tenant(sb, id)
    expect(household.persons.map((p: any) => p.surname)).toEqual(['von Allmen', 'von Allmen'])
    expect(household.persons[0].first_name).toBe('Ruth')
    await syncOnce(sb)
    await drawUpContract(sb, {unit: '1.10002.2002', from: household.requested_move_in_date, name: 'von Gunten Peter'})
    const report = await syncOnce(sb)
    expect(report.contracts.closed.map((c: any) => c.tenantId)).not.toContain(id)
    expect(report.contracts.unmatched.map((c: any) => c.tenantId)).toContain(id)
    expect((await tenant(sb, id)).contract_status).toBe('without_contract')
    expect(await contractWrites(sb)).toHaveLength(0)
    const own = await drawUpContract(sb, {unit: '1.10002.2002', from: household.requested_move_in_date, name: 'von Allmen Ruth'})
    const next = await syncOnce(sb)
    expect(next.contracts.closed).toEqual([expect.objectContaining({tenantId: id, tenancy: expect.objectContaining({ref: own})})])
    expect(await tenant(sb, id)).toMatchObject({contract_status: 'with_contract', contract: {tenancy_reference: own}})
  }, 120_000)

  it('contracts confirm while a pass checks the same watch: the confirmation stands, and that pass tells melon (issue 24, hole 4)', async () => {
    const sb = await sandbox()
    await syncOnce(sb)
    const t1001 = await tenant(sb, 'T-1001')
    const a = await drawUpContract(sb, {unit: '1.10001.1012', from: t1001.requested_move_in_date})
    await drawUpContract(sb, {unit: '1.10001.1012', from: addDays(t1001.requested_move_in_date, 1)})
    expect((await syncOnce(sb)).contracts.ambiguous.map((c: any) => c.tenantId)).toContain('T-1001')
    // The next pass reads the watch, then asks melon for the tenant: that request is held until the confirmation is in.
    const melonFaults = (spec: string) => fetch(`${sb.melon.baseUrl}/_sandbox/faults`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({spec})})
    expect((await melonFaults('hold=/api/partner/v1/tenants/T-1001')).status).toBe(200)
    const pass = runCli(['sync', '--once', '--json', '--config', sb.configPath], {timeoutMs: 120_000})
    for (let i = 0; i < 600 && (await getJson(`${sb.melon.baseUrl}/_sandbox/faults`)).held === 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect((await getJson(`${sb.melon.baseUrl}/_sandbox/faults`)).held).toBe(1)
    const confirmed = await runCli(['contracts', 'confirm', 'T-1001', '--tenancy', a, '--json', '--config', sb.configPath])
    expect(confirmed.code, confirmed.stderr).toBe(0)
    expect(json(confirmed)).toMatchObject({contract: {state: 'found', tenancy: {ref: a, settledBy: 'operator'}}})
    await melonFaults('')
    const done = await pass
    expect(done.code, done.stderr).toBe(0)
    expect(json(done).contracts.closed).toEqual([expect.objectContaining({tenantId: 'T-1001', tenancy: expect.objectContaining({ref: a, settledBy: 'operator'})})])
    expect(await tenant(sb, 'T-1001')).toMatchObject({contract_status: 'with_contract', contract: {tenancy_reference: a}})
    expect((await contractWrites(sb)).filter((w) => w.path.includes('T-1001'))).toHaveLength(1)
  }, 120_000)

  it('contracts confirm refuses a tenancy that is already another tenant\'s contract (issue 24, hole 11)', async () => {
    const sb = await sandbox()
    const made = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({object_reference_number: '1.10001.1012', surname: 'Huber', first_name: 'Eva'})})
    const other = (await made.json()).id as string
    await syncOnce(sb)
    const ref = await drawUpContract(sb, {unit: '1.10001.1012', from: (await tenant(sb, 'T-1001')).requested_move_in_date, name: 'Meier Laura'})
    const report = await syncOnce(sb)
    expect(report.contracts.closed).toEqual([expect.objectContaining({tenantId: 'T-1001', tenancy: expect.objectContaining({ref})})])
    expect(report.contracts.unmatched.map((c: any) => c.tenantId)).toEqual([other])
    const writes = (await contractWrites(sb)).length
    const refused = await runCli(['contracts', 'confirm', other, '--tenancy', ref, '--json', '--config', sb.configPath])
    expect(refused.code, refused.stderr).toBe(5)
    expect(json(refused).error).toMatchObject({code: 'TENANCY_TAKEN', message: `Tenancy ${ref} on unit 1.10001.1012 is already the contract of tenant T-1001; nothing was changed.`})
    expect((await tenant(sb, other)).contract_status).toBe('without_contract')
    expect(await contractWrites(sb)).toHaveLength(writes)
    const listed = json(await runCli(['contracts', '--tenant', other, '--json', '--config', sb.configPath]))
    expect(listed.contracts[0].state).toBe('unmatched')
  }, 120_000)

  it('detection before expiry: an old watch is not closed while Immotop 2 is unreachable, its contract is found once it answers; one with nothing new expires after a check (issue 24, hole 10)', async () => {
    const sb = await sandbox()
    await syncOnce(sb)
    // T-1001 and T-1002 were handed over 121 days ago (sync.contractWatchDays is 120).
    const ledger = new Ledger(sb.stateDir)
    try {
      ledger.db.prepare("UPDATE contracts SET handed_over_at = ? WHERE tenant_id IN ('T-1001', 'T-1002')").run(new Date(Date.now() - 121 * 86_400_000).toISOString())
    } finally {
      ledger.close()
    }
    const ref = await drawUpContract(sb, {unit: '1.10001.1012', from: (await tenant(sb, 'T-1001')).requested_move_in_date, name: 'Meier Laura'})
    const immotopFaults = (spec: string) => fetch(`${sb.immotop.baseUrl}/_sandbox/faults`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({spec})})
    await immotopFaults('503=1')
    const blind = json(await runCli(['contracts', '--check', '--json', '--config', sb.configPath], {timeoutMs: 120_000})).pass
    expect(blind.expired).toEqual([])
    expect(blind.unchecked.map((u: any) => u.tenantId).sort()).toEqual(['T-1001', 'T-1002', 'T-1003'])
    await immotopFaults('')
    const seen = json(await runCli(['contracts', '--check', '--json', '--config', sb.configPath], {timeoutMs: 120_000})).pass
    expect(seen.closed).toEqual([expect.objectContaining({tenantId: 'T-1001', tenancy: expect.objectContaining({ref})})])
    expect(seen.expired.map((e: any) => e.tenantId)).toEqual(['T-1002'])
    expect(seen.expired[0].reason).toContain('within 120 days')
    expect(await tenant(sb, 'T-1001')).toMatchObject({contract_status: 'with_contract', contract: {tenancy_reference: ref}})
    // An expired watch can still be confirmed when its contract came late.
    const late = await drawUpContract(sb, {unit: '1.10002.2002', from: (await tenant(sb, 'T-1002')).requested_move_in_date, name: null})
    const confirmed = await runCli(['contracts', 'confirm', 'T-1002', '--tenancy', late, '--json', '--config', sb.configPath])
    expect(confirmed.code, confirmed.stderr).toBe(0)
    expect(await tenant(sb, 'T-1002')).toMatchObject({contract_status: 'with_contract', contract: {tenancy_reference: late}})
  }, 120_000)

  it('a refused login to Immotop 2 is a failure, not a check deferred: contracts --check exits 4, sync --once reports it and exits 1', async () => {
    const sb = await sandbox()
    await syncOnce(sb)
    const wrong = configVariant(sb, 'wrong-immotop', (c) => (c.immotop.password = 'not-the-password'))
    const check = await runCli(['contracts', '--check', '--json', '--config', wrong])
    expect(check.code).toBe(4)
    expect(json(check).error.code).toBe('UNAUTHORIZED')
    const pass = await runCli(['sync', '--once', '--json', '--config', wrong])
    expect(pass.code).toBe(1)
    expect(json(pass).contracts.error.code).toBe('UNAUTHORIZED')
  }, 120_000)

  it('an answer lost after melon carried out the update: the repeat is the same request, and melon changes nothing twice', async () => {
    const sb = await sandbox()
    await syncOnce(sb)
    for (const [id, unit, name] of [['T-1001', '1.10001.1012', 'Meier Laura'], ['T-1002', '1.10002.2002', 'Bernasconi Marco'], ['T-1003', '1.10001.1013', 'Demir Aylin']] as const) {
      await drawUpContract(sb, {unit, from: (await tenant(sb, id)).requested_move_in_date, name})
    }
    // Every answer to a write is lost: melon carries out each update, the client never learns it, retries, and gives up for this pass.
    await setFaults(sb, 'lostanswer=1')
    const lost = await runCli(['sync', '--once', '--json', '--config', sb.configPath], {timeoutMs: 120_000})
    expect(lost.code, lost.stderr).toBe(1)
    expect(json(lost).summary.contracts).toMatchObject({closed: 0, failed: 3})
    expect((await tenant(sb, 'T-1001')).contract_status).toBe('with_contract')
    const injected = (await getJson(`${sb.melon.baseUrl}/_sandbox/faults`)).injected
    expect(injected.lostanswer).toBeGreaterThanOrEqual(3)
    // The next pass repeats the same request; melon answers it from its idempotency record.
    await setFaults(sb, '')
    expect((await syncOnce(sb)).summary.contracts).toMatchObject({closed: 3, failed: 0})
    expect((await contractWrites(sb)).map((w) => w.path).sort()).toEqual(['T-1001', 'T-1002', 'T-1003'].map((id) => `/api/partner/v1/tenants/${id}/contract`))
  }, 240_000)

  it('exactly once under faults and SIGKILL at random moments: melon changes each tenant once', async () => {
    const seed = killSeed('contract kill test')
    const sb = await sandbox()
    expect((await runCli(['publish', '1.10001.1012', '--config', sb.configPath])).code).toBe(0)
    await syncOnce(sb)
    for (const [id, unit, name] of [['T-1001', '1.10001.1012', 'Meier Laura'], ['T-1002', '1.10002.2002', 'Bernasconi Marco'], ['T-1003', '1.10001.1013', 'Demir Aylin']] as const) {
      await drawUpContract(sb, {unit, from: (await tenant(sb, id)).requested_move_in_date, name})
    }
    await setFaults(sb, '503=0.3,429=0.1,reset=0.1,latency=30ms')
    await killRepeatedly(['sync', '--once', '--json', '--config', sb.configPath], 8, mulberry32(seed), 300, 1500)
    // Two checks at once with faults still on: one holds the state folder, the other is told so (75) or finds the work done.
    const both = await Promise.all([0, 1].map(() => runCli(['contracts', '--check', '--json', '--config', sb.configPath], {timeoutMs: 120_000})))
    for (const r of both) expect([0, 1, 75], r.stderr).toContain(r.code)
    await setFaults(sb, '')
    const final = await syncOnce(sb)
    const listed = json(await runCli(['contracts', '--json', '--config', sb.configPath]))
    expect(listed.contracts.map((c: any) => [c.tenantId, c.state]), `seed ${seed}: ${JSON.stringify(final.contracts)}`).toEqual([
      ['T-1001', 'closed'],
      ['T-1002', 'closed'],
      ['T-1003', 'closed'],
    ])
    const writes = await contractWrites(sb)
    expect(writes.map((w) => w.path).sort(), `seed ${seed}`).toEqual(['T-1001', 'T-1002', 'T-1003'].map((id) => `/api/partner/v1/tenants/${id}/contract`))
    expect((await listing(sb, '1.10001.1012')).object_state).toBe('rented')
  }, 240_000)
})
