import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {testSandbox, type TestSandbox} from '../helpers/sandbox.js'

const sandboxes: TestSandbox[] = []
afterEach(async () => {
  while (sandboxes.length) await sandboxes.pop()!.dispose()
})

/**
 * Written into the CLI's own process (--require): Node's fetch family of globals
 * replaced by getters that note each use, written out as the process exits.
 * Node 22 and later load undici's module whatever a program does, as soon as an
 * ES module imports node:http (its facade reads http.WebSocket), so the modules
 * loaded cannot tell whether the tool reached for fetch; a use of these globals
 * can (axios's fetch adapter builds a Request and a Response as it loads, its
 * utils read FormData: what scripts/bundle.mjs leaves out).
 */
const PROBE = `const used = new Set()
for (const name of ['fetch', 'Request', 'Response', 'Headers', 'FormData', 'WebSocket', 'EventSource']) {
  const d = Object.getOwnPropertyDescriptor(globalThis, name)
  if (!d) continue
  Object.defineProperty(globalThis, name, {configurable: true, enumerable: d.enumerable, get() { used.add(name); return d.get ? d.get.call(globalThis) : d.value }, set: d.set})
}
process.on('exit', () => require('node:fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify([...used])))
`

describe('start-up of the commands that speak HTTP', () => {
  it('axios answers, mail goes out, and Node\'s fetch (undici) is never reached for', async () => {
    const sb = await testSandbox()
    sandboxes.push(sb)
    const probe = join(sb.root, 'probe.cjs')
    writeFileSync(probe, PROBE)
    const env = (out: string) => ({NODE_OPTIONS: `--require ${JSON.stringify(probe)}`, PROBE_OUT: out})
    // The probe sees a use: a plain Node process that builds a Request, under the same Node.
    const control = join(sb.root, 'control.json')
    execFileSync(process.execPath, ['-e', "new Request('http://127.0.0.1/'); void FormData"], {env: {...process.env, ...env(control)}})
    expect(JSON.parse(readFileSync(control, 'utf8'))).toEqual(['Request', 'FormData'])
    const run = async (args: string[]) => {
      const out = join(sb.root, `${args[0]}-globals.json`)
      const result = await runCli([...args, '--json', '--config', sb.configPath], {env: env(out)})
      expect(result.code, result.stderr).toBe(0)
      return {report: json(result), used: JSON.parse(readFileSync(out, 'utf8'))}
    }
    const tenants = await run(['tenants'])
    expect(tenants.report.count).toBe(3)
    expect(tenants.used).toEqual([])
    const sync = await run(['sync', '--once'])
    expect(sync.report.summary).toMatchObject({exported: 3, failed: 0})
    expect(sync.used).toEqual([])
  })

  it('the bundle carries no form-data package and no MIME database: axios gets a stand-in that says why', () => {
    const chunks = fileURLToPath(new URL('../../dist/chunks/', import.meta.url))
    const text = readdirSync(chunks).map((name) => readFileSync(join(chunks, name), 'utf8')).join('\n')
    // esbuild marks where each bundled module begins with its path.
    expect(text).toContain('// node_modules/axios/lib/platform/node/classes/FormData.js')
    expect(text).not.toMatch(/\/\/ node_modules\/(form-data|mime-db|mime-types)\//)
    expect(text).toContain('melon-immotop sends no multipart forms')
  })
})
