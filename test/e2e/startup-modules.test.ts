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

describe('start-up of the commands that speak HTTP', () => {
  it('axios answers, mail goes out, and Node\'s fetch (undici) is never loaded', async () => {
    const sb = await testSandbox()
    sandboxes.push(sb)
    // Written by the CLI's own process as it exits: the modules of Node it loaded that belong to undici.
    const probe = join(sb.root, 'probe.cjs')
    writeFileSync(probe, "process.on('exit', () => require('node:fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici')))))\n")
    const run = async (args: string[]) => {
      const out = join(sb.root, `${args[0]}-modules.json`)
      const result = await runCli([...args, '--json', '--config', sb.configPath], {env: {NODE_OPTIONS: `--require ${JSON.stringify(probe)}`, PROBE_OUT: out}})
      expect(result.code, result.stderr).toBe(0)
      return {report: json(result), undici: JSON.parse(readFileSync(out, 'utf8'))}
    }
    const tenants = await run(['tenants'])
    expect(tenants.report.count).toBe(3)
    expect(tenants.undici).toEqual([])
    const sync = await run(['sync', '--once'])
    expect(sync.report.summary).toMatchObject({exported: 3, failed: 0})
    expect(sync.undici).toEqual([])
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
