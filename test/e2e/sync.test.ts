/**
 * Exactly-once handover under faults, crashes and concurrency, against the
 * sandbox with real processes, a real SMTP sink and the real ledger.
 */
import {readdirSync} from 'node:fs'
import {afterEach, describe, expect, it} from 'vitest'
import {json, runCli, startCli} from '../helpers/cli.js'
import {killRepeatedly, killSeed, mulberry32} from '../helpers/kill.js'
import {getJson, setFaults, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

const sandboxes: TestSandbox[] = []
afterEach(async () => {
  while (sandboxes.length) await sandboxes.pop()!.dispose()
})

async function sandboxWith(extraTenants: number): Promise<TestSandbox> {
  const sb = await testSandbox()
  sandboxes.push(sb)
  if (extraTenants > 0) {
    const response = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({count: extraTenants, persons: 2})})
    expect(response.status).toBe(201)
  }
  return sb
}

const auth = (sb: TestSandbox) => ({headers: {authorization: `Token ${sb.melon.token}`}})

/**
 * The final state every scenario must reach: each tenant once in Immotop 2,
 * intact, and one mail each in the mailbox. `extraDeliveries` is how many
 * SMTP resends a scenario may cause: 0 unless the process was killed, and
 * then at most one per kill (a kill between the server's acceptance and the
 * ledger's record), always with the same Message-ID.
 */
async function expectExactlyOnce(sb: TestSandbox, extraDeliveries = 0) {
  const tenants = (await getJson(`${sb.melon.baseUrl}/api/partner/v1/tenants?contract_status=without_contract&page_size=100`, auth(sb))).results as any[]
  const {handovers} = await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)
  const {mails} = await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)
  expect(handovers).toHaveLength(tenants.length)
  const byTenant = new Map<string, any>(handovers.map((h: any) => [h.record?.source?.tenantId, h]))
  expect(byTenant.size).toBe(tenants.length)
  for (const tenant of tenants) {
    const handover = byTenant.get(tenant.id)
    expect(handover, tenant.id).toBeDefined()
    expect(handover.documents).toHaveLength(tenant.documents.length + 1)
    for (const doc of tenant.documents) {
      const received = handover.documents.filter((d: any) => d.kind === doc.kind)
      expect(received).toHaveLength(1)
      expect(received[0].sha256).toBe(doc.sha256)
      expect(received[0].size).toBe(doc.size)
    }
  }
  expect(mails).toHaveLength(tenants.length)
  expect(new Set(mails.map((m: any) => m.messageId)).size).toBe(tenants.length)
  const resent = mails.reduce((sum: number, m: any) => sum + m.deliveries - 1, 0)
  expect(resent).toBeLessThanOrEqual(extraDeliveries)
  return {tenants, handovers, mails, resent}
}

describe('sync', () => {
  it('with faults (20% 503, 5% 429, 5% resets, 5% truncated dossiers), one pass over 53 tenants hands each over exactly once', async () => {
    const sb = await sandboxWith(50)
    await setFaults(sb, '503=0.2,429=0.05,reset=0.05,truncate=0.05')
    const result = await runCli(['sync', '--once', '--json', '--config', sb.configPath], {timeoutMs: 170_000})
    expect(result.code, result.stdout.slice(0, 2000)).toBe(0)
    const report = json(result)
    expect(report.summary).toMatchObject({tenants: 53, exported: 53, failed: 0})
    const injected = {...(await getJson(`${sb.melon.baseUrl}/_sandbox/faults`)).injected}
    expect(injected['503']).toBeGreaterThan(10)
    await setFaults(sb, '')
    await expectExactlyOnce(sb)
    // A second pass finds everything done and sends nothing.
    const again = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
    expect(again.summary).toMatchObject({exported: 0, alreadyDone: 53, failed: 0})
    await expectExactlyOnce(sb)
  }, 240_000)

  it('killed with SIGKILL at random moments, ten times, and restarted: the same exactly-once result', async () => {
    const seed = killSeed('kill test')
    const sb = await sandboxWith(30)
    await setFaults(sb, '503=0.1,reset=0.05,truncate=0.05,latency=20ms')
    await killRepeatedly(['sync', '--once', '--json', '--config', sb.configPath], 10, mulberry32(seed), 250, 1500)
    // One final run without faults, never retried: whatever the kills left, it must finish the job.
    await setFaults(sb, '')
    const final = await runCli(['sync', '--once', '--json', '--config', sb.configPath], {timeoutMs: 170_000})
    expect(final.code, `seed ${seed}: ${final.stdout.slice(0, 2000)}`).toBe(0)
    // At most one resend per kill, and only with the same Message-ID: the mailbox shows each once.
    await expectExactlyOnce(sb, 10)
  }, 240_000)

  it('two syncs started together: one runs, the other says so and exits 75; each tenant once', async () => {
    const sb = await sandboxWith(10)
    await setFaults(sb, 'latency=80ms')
    const [a, b] = await Promise.all([runCli(['sync', '--once', '--config', sb.configPath]), runCli(['sync', '--once', '--config', sb.configPath])])
    const codes = [a.code, b.code].sort()
    expect(codes).toEqual([0, 75])
    const loser = a.code === 75 ? a : b
    expect(loser.stderr).toMatch(/^Error: Another melon-immotop sync \(pid \d+ on .+, since .+\) is running on .+\.$/m)
    await setFaults(sb, '')
    await expectExactlyOnce(sb)
  })

  it('an answer with a FehlerText is reported, and the next run delivers the refused files anew', async () => {
    const sb = await sandboxWith(0)
    await setFaults(sb, 'ackerror=1')
    const failing = await runCli(['sync', '--once', '--json', '--config', sb.configPath])
    expect(failing.code).toBe(1)
    const report = json(failing)
    expect(report.summary).toMatchObject({exported: 0, failed: 3})
    expect(report.failed[0]).toMatchObject({code: 'IMMOTOP_REFUSED'})
    expect(report.failed[0].message).toMatch(/Immotop 2 did not take mi-T-\d+-[0-9a-f]+_\d\d_\w+\.\w+: Dokument .* konnte nicht archiviert werden/)
    expect((await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)).mails).toEqual([])
    const history = json(await runCli(['history', '--json', '--config', sb.configPath]))
    expect(history.handovers.every((h: any) => h.status === 'failed' && h.lastError.code === 'IMMOTOP_REFUSED')).toBe(true)

    await setFaults(sb, '')
    const retry = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
    expect(retry.summary).toMatchObject({exported: 3, retried: 3, failed: 0})
    await expectExactlyOnce(sb)
  })

  it('without --once it keeps polling, picks up new tenants, and stops cleanly with exit 0 on SIGTERM', async () => {
    const sb = await sandboxWith(0)
    const running = startCli(['sync', '--interval', '1', '--json', '--config', sb.configPath])
    const waitFor = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 200; i++) {
        if (await check()) return
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`timed out; stderr: ${running.output().stderr}`)
    }
    const mailCount = async () => (await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)).mails.length as number
    await waitFor(async () => (await mailCount()) === 3)
    await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})
    await waitFor(async () => (await mailCount()) === 4)
    running.child.kill('SIGTERM')
    const {code, stdout, stderr} = await running.exited
    expect(code).toBe(0)
    expect(stderr).toContain('SIGTERM: finishing the tenant(s) in hand')
    // JSON Lines: one compact document per pass, each on its own line.
    const passes = stdout.trim().split('\n').map((line) => JSON.parse(line))
    expect(passes.length).toBeGreaterThanOrEqual(2)
    expect(passes.flatMap((p: any) => p.exported).sort()).toEqual(['T-1001', 'T-1002', 'T-1003', 'T-1005'])
    await expectExactlyOnce(sb)
  })
})

describe('interrupted', () => {
  it('SIGINT during sync --once finishes the tenant in hand, reports the rest as not started, exits 130; the next run does the rest once', async () => {
    const sb = await sandboxWith(0)
    // Each document's pick-up is held back, so the first tenant is still in hand when the signal comes.
    await setFaults(sb, 'ackdelay=1500ms')
    const running = startCli(['sync', '--once', '--concurrency', '1', '--json', '--config', sb.configPath])
    // Barrier: the first control file is in the staging folder (the tenant is delivered, its pick-up pending).
    for (let i = 0; i < 400 && !readdirSync(sb.incomingDir).some((n) => n.endsWith('.xml_it2')); i++) await new Promise((r) => setTimeout(r, 50))
    expect(readdirSync(sb.incomingDir).some((n) => n.endsWith('.xml_it2')), running.output().stderr).toBe(true)
    running.child.kill('SIGINT')
    const result = await running.exited
    const {code, stderr} = result
    expect(stderr).toContain('SIGINT: finishing the tenant(s) in hand')
    expect(code, stderr).toBe(130)
    const report = json(result)
    expect(report.exported).toEqual(['T-1001'])
    expect(report.failed).toEqual([])
    expect(report.notStarted).toEqual(['T-1002', 'T-1003'])
    expect(stderr).not.toMatch(/failed|at .*\.js:\d+/)
    await setFaults(sb, '')
    const rest = await runCli(['sync', '--once', '--json', '--config', sb.configPath])
    expect(rest.code, rest.stderr).toBe(0)
    expect(json(rest).exported.sort()).toEqual(['T-1002', 'T-1003'])
    await expectExactlyOnce(sb)
  })
})

describe('notifications', () => {
  it('carry names, unit, move-in date and reference; never dossier content or attachments', async () => {
    const sb = await sandboxWith(0)
    const result = await runCli(['export-tenant', 'T-1001', '--json', '--config', sb.configPath])
    expect(result.code).toBe(0)
    expect(json(result).notified).toBe(true)
    const [mail] = (await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)).mails
    expect(mail.to).toEqual(['vertrag@muster-immo.example'])
    expect(mail.subject).toBe('Neuer Mieter ohne Vertrag: Laura Meier, Jonas Meier, 1.10001.1012')
    expect(mail.text).toContain('Mieter:              Laura Meier, Jonas Meier')
    expect(mail.text).toContain('Objekt:              4.5-Zimmerwohnung 2. OG rechts (1.10001.1012)')
    expect(mail.text).toMatch(/Gewünschter Beginn: {2}01\.\d\d\.\d{4}/)
    expect(mail.attachments).toBe(0)
    for (const secret of ['1989-03-14', '14.03.1989', 'Spital Zimmerberg', 'Pflegefachfrau', 'laura.meier@example.ch', 'Horgen']) expect(mail.text).not.toContain(secret)
    // Re-running export-tenant sends no second mail.
    expect((await runCli(['export-tenant', 'T-1001', '--config', sb.configPath])).code).toBe(0)
    expect((await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)).mails).toHaveLength(1)
    // --no-notify: handed over, no mail.
    expect((await runCli(['export-tenant', 'T-1002', '--no-notify', '--config', sb.configPath])).code).toBe(0)
    expect((await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)).mails).toHaveLength(1)
  })

  it('a pass sends all its mails over one pooled SMTP connection', async () => {
    const sb = await sandboxWith(4)
    const report = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
    expect(report.summary).toMatchObject({exported: 7, failed: 0})
    const {mails, connections} = await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)
    expect(mails).toHaveLength(7)
    expect(connections).toBe(1)
  })

  it('a wrong SMTP password fails the notification step only; the next run sends the mail without delivering again', async () => {
    const sb = await sandboxWith(0)
    const {configVariant} = await import('../helpers/sandbox.js')
    const wrong = configVariant(sb, 'smtp-wrong', (c) => (c.notify.smtp.password = 'wrong-smtp-password-1'))
    const failing = await runCli(['export-tenant', 'T-1003', '--json', '--config', wrong])
    expect(failing.code).toBe(4)
    expect(json(failing).error.code).toBe('SMTP_AUTH')
    expect(failing.stdout).not.toContain('wrong-smtp-password-1')
    const handoversBefore = (await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)).handovers
    const ok = await runCli(['export-tenant', 'T-1003', '--json', '--config', sb.configPath])
    expect(ok.code).toBe(0)
    expect(json(ok).notified).toBe(true)
    expect((await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)).handovers).toEqual(handoversBefore)
    expect((await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)).mails).toHaveLength(1)
  })
})

describe('history', () => {
  it('lists handovers with checksums, pick-up and Immotop 2\'s ids, and publications; filters by tenant, unit and date', async () => {
    const sb = await sandboxWith(0)
    await runCli(['publish', '1.10001.1012', '--config', sb.configPath])
    await runCli(['export-tenant', 'T-1002', '--config', sb.configPath])
    const all = json(await runCli(['history', '--json', '--config', sb.configPath]))
    expect(all.publications).toMatchObject([{reference: '1.10001.1012', action: 'created'}])
    expect(all.handovers).toHaveLength(1)
    const h = all.handovers[0]
    expect(h).toMatchObject({tenantId: 'T-1002', unitReference: '1.10002.2002', status: 'done', step: 'notified', attempts: 1})
    expect(h.events.map((e: any) => e.step)).toEqual(['started', 'fetched', 'delivered', 'picked_up', 'notifying', 'notified'])
    expect(h.waitingForPickupSince).toBeNull()
    expect(h.files).toHaveLength(5)
    for (const f of h.files) {
      expect(f.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(f.immotopDocumentId).toMatch(/^\d+$/)
      expect(f.pickedUpAt).toMatch(/^\d{4}-/)
    }
    expect(json(await runCli(['history', '--json', '--tenant', 'T-1001', '--config', sb.configPath])).handovers).toEqual([])
    expect(json(await runCli(['history', '--json', '--unit', '1.10002.2002', '--config', sb.configPath])).handovers).toHaveLength(1)
    expect(json(await runCli(['history', '--json', '--since', '2999-01-01', '--config', sb.configPath]))).toEqual({handovers: [], publications: []})
    const human = await runCli(['history', '--config', sb.configPath])
    expect(human.stdout).toMatch(/T-1002 → 1\.10002\.2002 {2}done at notified/)
    const bad = await runCli(['history', '--since', 'gestern', '--config', sb.configPath])
    expect(bad.code).toBe(2)
  })
})

describe('sync options', () => {
  it('concurrency is bounded by --concurrency, as the server sees it', async () => {
    const sb = await sandboxWith(8)
    const {configVariant} = await import('../helpers/sandbox.js')
    const held = async () => (await getJson(`${sb.melon.baseUrl}/_sandbox/faults`)).held as number
    for (const [concurrency, args] of [
      [2, ['--concurrency', '2', '--config', sb.configPath]],
      [4, ['--config', configVariant(sb, 'wide', (c) => (c.sync = {concurrency: 4}))]],
    ] as const) {
      if (concurrency === 4) await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({count: 8})})
      // Barrier, not timing: every document download is held until as many wait at once as may (a tenant's documents come one after another).
      await setFaults(sb, 'hold=/documents/')
      const running = startCli(['sync', '--once', ...args])
      for (let i = 0; i < 600 && (await held()) < concurrency; i++) await new Promise((r) => setTimeout(r, 50))
      expect(await held()).toBe(concurrency)
      await setFaults(sb, '')
      expect((await running.exited).code).toBe(0)
      expect((await getJson(`${sb.melon.baseUrl}/_sandbox/stats`)).downloads.max).toBeLessThanOrEqual(concurrency)
    }
  })

  it('sweeps partial files an interrupted run left in the staging temporary folder, but not recent ones', async () => {
    const sb = await sandboxWith(0)
    const {mkdirSync, writeFileSync, utimesSync, readdirSync} = await import('node:fs')
    const {join} = await import('node:path')
    const tmp = join(sb.incomingDir, '.melon-immotop-tmp')
    mkdirSync(tmp, {recursive: true})
    writeFileSync(join(tmp, 'mi-T-9-old_01_dossier.pdf'), 'partial')
    const old = new Date(Date.now() - 60 * 60_000)
    utimesSync(join(tmp, 'mi-T-9-old_01_dossier.pdf'), old, old)
    writeFileSync(join(tmp, 'mi-T-9-new_01_dossier.pdf'), 'in progress')
    const result = await runCli(['sync', '--once', '--config', sb.configPath])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('Removed 1 partial file(s)')
    expect(readdirSync(tmp)).toEqual(['mi-T-9-new_01_dossier.pdf'])
  })

  it('a state folder serves one melon project: a config of another project that points at it is refused (exit 78) before anything is read or sent', async () => {
    const sb = await sandboxWith(0)
    expect((await runCli(['sync', '--once', '--json', '--config', sb.configPath])).code).toBe(0)
    const {configVariant} = await import('../helpers/sandbox.js')
    const other = configVariant(sb, 'other-project', (c) => (c.melon.project = 'other-project'))
    for (const args of [['sync', '--once'], ['export-tenant', 'T-1001'], ['contracts', '--check']]) {
      const result = await runCli([...args, '--json', '--config', other])
      expect({args, code: result.code}).toEqual({args, code: 78})
      expect(json(result).error).toMatchObject({code: 'STATE_OF_ANOTHER_PROJECT', message: expect.stringContaining('holds the handovers of melon project "sandbox", not of "other-project"')})
    }
    // The project's own config still runs.
    expect((await runCli(['sync', '--once', '--json', '--config', sb.configPath])).code).toBe(0)
  })

  it('a handover waiting in a former staging folder that is gone is reported as failed, never as handed over: no mail, and it is judged once the folder is back', async () => {
    const sb = await sandboxWith(0)
    const {configVariant} = await import('../helpers/sandbox.js')
    const {mkdirSync, renameSync} = await import('node:fs')
    const {join} = await import('node:path')
    // First delivered into a folder Immotop 2 does not import (the emulator watches sb.incomingDir only).
    const former = join(sb.root, 'old-share')
    mkdirSync(former)
    const before = configVariant(sb, 'old-share', (c) => (c.staging.incomingDir = former))
    expect((await runCli(['export-tenant', 'T-1001', '--no-wait', '--config', before])).code).toBe(0)
    // The old share goes away, and the config now names the folder Immotop 2 imports.
    renameSync(former, `${former}.gone`)
    const pass = await runCli(['sync', '--once', '--json', '--config', sb.configPath])
    expect(pass.code).toBe(1)
    const report = json(pass)
    expect(report.failed).toEqual([expect.objectContaining({tenantId: 'T-1001', code: 'STAGING_UNREADABLE', message: expect.stringContaining(former)})])
    expect(report.summary).toMatchObject({exported: 2, failed: 1})
    const mails = async () => (await getJson(`${sb.immotop.baseUrl}/_sandbox/mails`)).mails.length
    expect(await mails()).toBe(2)
    // Back, with its files: still waiting (Immotop 2 never saw them), and still not mailed.
    renameSync(`${former}.gone`, former)
    const again = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
    expect(again.summary).toMatchObject({failed: 0, waiting: 1})
    expect(again.waiting[0]).toMatchObject({tenantId: 'T-1001'})
    expect(await mails()).toBe(2)
  })

  it('a tenant without its dossier PDF is reported and not handed over; the others are', async () => {
    const sb = await sandboxWith(0)
    const created = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({without_dossier: true})})
    const {id} = (await created.json()) as {id: string}
    const pass = await runCli(['sync', '--once', '--json', '--config', sb.configPath])
    expect(pass.code).toBe(1)
    const report = json(pass)
    expect(report.failed).toEqual([expect.objectContaining({tenantId: id, code: 'DOSSIER_MISSING'})])
    expect(report.summary).toMatchObject({exported: 3, failed: 1})
    const {handovers} = await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)
    expect(handovers.map((h: any) => h.record?.source?.tenantId)).not.toContain(id)
  })

  it('--publish also publishes the configured source\'s vacancies on the pass', async () => {
    const sb = await sandboxWith(0)
    const report = json(await runCli(['sync', '--once', '--publish', '--json', '--config', sb.configPath]))
    expect(report.publish.summary).toMatchObject({created: 6, failed: 0})
    // Every letting mandant (1 and 2; the Stockwerk mandant 3 is not one), without the deactivated unit 1.10001.1015.
    expect((await getJson(`${sb.melon.baseUrl}/api/v2/objects/?format=json`)).map((o: any) => o.reference_number).sort()).toEqual(['1.10001.1012', '1.10001.1013', '1.10001.1016', '1.10001.1901', '1.10002.2002', '2.20001.1'])
    expect(report.summary.exported).toBe(3)
  })

  it('a slow pick-up: the pass reports the handovers as waiting (not failed), and later passes complete them without sending again', async () => {
    const sb = await sandboxWith(0)
    await setFaults(sb, 'ackdelay=1500ms')
    const {configVariant} = await import('../helpers/sandbox.js')
    const impatient = configVariant(sb, 'impatient', (c) => (c.staging.pickupTimeoutSeconds = 0.5))
    const first = await runCli(['sync', '--once', '--json', '--concurrency', '1', '--config', impatient])
    expect(first.code).toBe(0)
    const report = json(first)
    expect(report.summary.failed).toBe(0)
    expect(report.summary.waiting).toBeGreaterThan(0)
    expect(report.waiting[0]).toMatchObject({tenantId: expect.stringMatching(/^T-/), handoverId: expect.stringMatching(/^mi-T-/), since: expect.stringMatching(/^\d{4}-/)})
    const human = await runCli(['sync', '--once', '--config', impatient])
    expect(human.stderr).toMatch(/waiting {6}T-\d+ {2}delivered .*, not yet picked up by Immotop 2/)
    expect(human.stderr).toContain('ask W&W to check that Immotop 2 imports its staging folder 2')
    await setFaults(sb, '')
    // The emulated Immotop 2 finishes what it has in hand; each pass checks, none resends. Bounded, not timed.
    let last: any = null
    for (let pass = 0; pass < 40 && !(last && last.summary.waiting === 0 && last.summary.exported + last.summary.alreadyDone === 3); pass++) {
      last = json(await runCli(['sync', '--once', '--json', '--config', sb.configPath]))
      expect(last.summary.failed).toBe(0)
    }
    expect(last.summary.waiting).toBe(0)
    await expectExactlyOnce(sb)
  })
})
