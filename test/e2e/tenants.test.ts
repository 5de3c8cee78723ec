import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {configVariant, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())

describe('tenants', () => {
  it('lists the tenants without contract, not the one with contract; piped, as tab-separated rows with the count on stderr', async () => {
    const result = await runCli(['tenants', '--config', sb.configPath])
    expect(result.code).toBe(0)
    const rows = result.stdout.trimEnd().split('\n').map((line) => line.split('\t'))
    expect(rows[0]).toEqual(['id', 'names', 'unit', 'address', 'move-in', 'assigned'])
    expect(rows).toHaveLength(4)
    expect(rows.every((r) => r.length === 6)).toBe(true)
    expect(result.stdout).not.toMatch(/[│─┌]/)
    const laura = rows.find((r) => r[1] === 'Laura Meier, Jonas Meier')!
    expect(laura[3]).toBe('Seestrasse 112, 8800 Thalwil')
    expect(result.stdout).toContain('Marco Bernasconi')
    expect(result.stdout).toContain('Aylin Demir')
    expect(result.stdout).not.toContain('Peter Huber')
    expect(result.stdout).not.toContain('tenant(s) with status')
    expect(result.stderr).toContain('3 tenant(s) with status without_contract.')
  })

  it('--json gives the full records with document metadata, never document contents', async () => {
    const result = await runCli(['tenants', '--json', '--config', sb.configPath])
    const out = json(result)
    // The human count line is not written in JSON mode, not even to stderr.
    expect(result.stderr).not.toContain('tenant(s) with status')
    expect(out.status).toBe('without_contract')
    expect(out.count).toBe(3)
    const laura = out.tenants[0]
    expect(laura.persons).toHaveLength(2)
    expect(laura.persons[0]).toMatchObject({first_name: 'Laura', date_of_birth: '1989-03-14', nationality_code: 'CH', marital_status: 'married'})
    expect(laura.documents.map((d: any) => d.kind)).toEqual(['dossier', 'id_copy', 'debt_enforcement_extract', 'salary_statement'])
    for (const doc of laura.documents) {
      expect(Object.keys(doc).sort()).toEqual(['content_type', 'file_name', 'id', 'kind', 'sha256', 'size'])
    }
    expect(result.stdout).not.toContain('%PDF')
  })

  it('--status with_contract lists the other tab', async () => {
    const out = json(await runCli(['tenants', '--status', 'with_contract', '--json', '--config', sb.configPath]))
    expect(out.tenants.map((t: any) => t.persons[0].surname)).toEqual(['Huber'])
  })

  it('reads every page: 60 more tenants are all listed', async () => {
    const response = await fetch(`${sb.melon.baseUrl}/_sandbox/tenants`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({count: 60, persons: 2})})
    expect(response.status).toBe(201)
    const out = json(await runCli(['tenants', '--json', '--config', sb.configPath]))
    expect(out.count).toBe(63)
    expect(new Set(out.tenants.map((t: any) => t.id)).size).toBe(63)
  })

  it('an empty tab says so', async () => {
    const result = await runCli(['tenants', '--status', 'terminated', '--config', sb.configPath])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim()).toBe('No tenants with status terminated.')
  })

  it('an unknown status is a usage error', async () => {
    const result = await runCli(['tenants', '--status', 'gekündigt', '--config', sb.configPath])
    expect(result.code).toBe(2)
  })

  it('a wrong token exits 4 with a one-line message and a fix', async () => {
    const config = configVariant(sb, 'wrong-token', (c) => (c.melon.token = 'wrong-token-99999999'))
    const result = await runCli(['tenants', '--config', config])
    expect(result.code).toBe(4)
    expect(result.stderr.trim().split('\n')).toHaveLength(2)
    expect(result.stderr).toMatch(/^Error: melon GET \/tenants: 401/)
  })

  it('an unknown project exits 3 and names melon.project', async () => {
    const config = configVariant(sb, 'project', (c) => (c.melon.project = 'other'))
    const result = await runCli(['tenants', '--config', config])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('melon.project')
  })
})
