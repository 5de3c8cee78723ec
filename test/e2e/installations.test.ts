/**
 * Issue 24, hole 8: exactly once per melon project, not per state folder. A
 * second config for the same project with another state folder (init's
 * default depends on the current folder) must not hand a tenant over again:
 * melon's handover marker names the installation that holds it.
 */
import {readFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {configVariant, getJson, sandboxPerTest} from '../helpers/sandbox.js'

const sandbox = sandboxPerTest()

describe('one handover per tenant per melon project', () => {
  it('a second state folder for the same project is refused by melon\'s marker, naming the first installation; no second delivery, no second mail', async () => {
    const sb = await sandbox()
    const auth = {headers: {authorization: `Token ${sb.melon.token}`}}
    const first = await runCli(['export-tenant', 'T-1002', '--json', '--config', sb.configPath])
    expect(first.code, first.stderr).toBe(0)
    const {id} = JSON.parse(readFileSync(join(sb.stateDir, 'installation.json'), 'utf8'))
    const marked = await getJson(`${sb.melon.baseUrl}/api/partner/v1/tenants/T-1002`, auth)
    expect(marked.handover).toMatchObject({installation_id: id, installation_name: `${hostname()}:${sb.stateDir}`, handover_id: json(first).handoverId})

    const otherState = join(sb.root, 'elsewhere-state')
    const second = configVariant(sb, 'elsewhere', (c) => (c.stateDir = otherState))
    const again = await runCli(['export-tenant', 'T-1002', '--json', '--config', second])
    expect(again.code, again.stderr).toBe(5)
    expect(json(again).error).toMatchObject({
      code: 'HANDED_OVER_ELSEWHERE',
      message: `Tenant T-1002 is handed over by another melon-immotop installation (${hostname()}:${sb.stateDir}, since ${marked.handover.marked_at}); nothing was sent, so it reaches Immotop 2 once.`,
    })
    const pass = await runCli(['sync', '--once', '--json', '--config', second])
    expect(pass.code, pass.stderr).toBe(1)
    const report = json(pass)
    expect(report.exported.sort()).toEqual(['T-1001', 'T-1003'])
    expect(report.failed).toEqual([expect.objectContaining({tenantId: 'T-1002', code: 'HANDED_OVER_ELSEWHERE'})])
    // The first installation's sync hands over nothing of what the second one marked.
    const back = await runCli(['sync', '--once', '--json', '--config', sb.configPath])
    expect(back.code, back.stderr).toBe(1)
    expect(json(back).alreadyDone).toEqual(['T-1002'])
    expect(json(back).failed.map((f: any) => [f.tenantId, f.code]).sort()).toEqual([['T-1001', 'HANDED_OVER_ELSEWHERE'], ['T-1003', 'HANDED_OVER_ELSEWHERE']])

    const {handovers} = await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)
    const byTenant = (t: string) => handovers.filter((h: any) => h.record?.source?.tenantId === t)
    for (const t of ['T-1001', 'T-1002', 'T-1003']) expect(byTenant(t), t).toHaveLength(1)
    const {mails} = await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)
    expect(mails).toHaveLength(3)
  })

  it('two installations racing for the same tenant: melon takes the first marker, the other is refused before delivery', async () => {
    const sb = await sandbox()
    const configs = [sb.configPath, configVariant(sb, 'racer', (c) => (c.stateDir = join(sb.root, 'racer-state')))]
    const results = await Promise.all(configs.map((config) => runCli(['export-tenant', 'T-1001', '--json', '--config', config])))
    expect(results.map((r) => r.code).sort()).toEqual([0, 5])
    expect(json(results.find((r) => r.code === 5)!).error.code).toBe('HANDED_OVER_ELSEWHERE')
    const {handovers} = await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)
    expect(handovers.filter((h: any) => h.record?.source?.tenantId === 'T-1001')).toHaveLength(1)
  })

  it('a melon without the marker route is said as such (MELON_NO_HANDOVER_MARKER, exit 78), never taken for a missing tenant; melon.handoverMarkers false hands over without it', async () => {
    const sb = await sandbox()
    const missing = await fetch(`${sb.melon.baseUrl}/_sandbox/faults`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({spec: 'missing=/handover'})})
    expect(missing.status).toBe(200)
    const refused = await runCli(['export-tenant', 'T-1001', '--json', '--config', sb.configPath])
    expect(refused.code, refused.stderr).toBe(78)
    expect(json(refused).error).toMatchObject({code: 'MELON_NO_HANDOVER_MARKER', fix: expect.stringContaining('melon.handoverMarkers')})
    expect((await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)).handovers).toEqual([])
    const without = configVariant(sb, 'no-markers', (c) => (c.melon.handoverMarkers = false))
    const done = await runCli(['export-tenant', 'T-1001', '--json', '--config', without])
    expect(done.code, done.stderr).toBe(0)
    expect(json(done).status).toBe('exported')
    expect((await getJson(`${sb.melon.baseUrl}/api/partner/v1/tenants/T-1001`, {headers: {authorization: `Token ${sb.melon.token}`}})).handover ?? null).toBeNull()
  })
})
