/**
 * A listing withdrawn (unpublish) and published again comes back: the second
 * create is a new intent with its own Idempotency-Key, so melon writes it
 * instead of replaying the first create. Before, both said "created" while
 * melon's write log showed one PUT and one DELETE, and the listing stayed gone.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {getJson, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())

const writes = async () => ((await getJson(`${sb.melon.baseUrl}/_sandbox/writes`)).writes as Array<{method: string; path: string; status: number}>).map((w) => `${w.method} ${w.status}`)
const listed = async () => (await getJson<any[]>(`${sb.melon.baseUrl}/api/v2/objects/?format=json`)).map((o) => o.reference_number)

describe('publish after a withdrawal', () => {
  it('creates the listing again, and melon\'s write log shows each create', async () => {
    const publish = async () => json(await runCli(['publish', '1.10001.1012', '--json', '--config', sb.configPath])).items[0].action
    expect(await publish()).toBe('created')
    expect(await listed()).toEqual(['1.10001.1012'])
    expect((await runCli(['unpublish', '1.10001.1012', '--json', '--config', sb.configPath])).code).toBe(0)
    expect(await listed()).toEqual([])
    expect(await publish()).toBe('created')
    expect(await listed()).toEqual(['1.10001.1012'])
    expect(await writes()).toEqual(['PUT 201', 'DELETE 204', 'PUT 201'])
    // And once more: publishing the unchanged listing writes nothing.
    expect(await publish()).toBe('unchanged')
    expect(await writes()).toHaveLength(3)
  })
})
