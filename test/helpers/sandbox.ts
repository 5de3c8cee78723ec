/** Starts the real sandbox in this process on free loopback ports, with its data in a fresh temporary folder. */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach} from 'vitest'
import {startSandbox, type SandboxHandle} from '../../src/sandbox/index.js'

export interface TestSandbox extends SandboxHandle {
  root: string
  configPath: string
  dispose(): Promise<void>
}

export function testSandbox(): Promise<TestSandbox> {
  return testSandboxWith({})
}

/** For a test file: a function that starts a sandbox which is disposed after the test that started it. */
export function sandboxPerTest(): () => Promise<TestSandbox> {
  const sandboxes: TestSandbox[] = []
  afterEach(async () => {
    while (sandboxes.length) await sandboxes.pop()!.dispose()
  })
  return async () => {
    const sb = await testSandbox()
    sandboxes.push(sb)
    return sb
  }
}

export async function getJson<T = any>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init)
  if (!response.ok) throw new Error(`${url}: ${response.status}`)
  return (await response.json()) as T
}

/** Writes a variant of the sandbox config (e.g. a wrong password) and returns its path. */
export function configVariant(sb: TestSandbox, name: string, patch: (config: any) => void): string {
  const config = structuredClone(sb.config) as any
  patch(config)
  const path = join(sb.root, `${name}.json`)
  writeFileSync(path, JSON.stringify(config), {mode: 0o600})
  return path
}

/** A sandbox with options (TLS, faults, public host name). */
export async function testSandboxWith(options: Omit<Parameters<typeof startSandbox>[0], 'dataDir' | 'writeConfig'>): Promise<TestSandbox> {
  const root = mkdtempSync(join(tmpdir(), 'mi-test-'))
  const configPath = join(root, 'config.json')
  const sandbox = await startSandbox({...options, dataDir: join(root, 'data'), writeConfig: configPath})
  return {
    ...sandbox,
    root,
    configPath,
    async dispose() {
      await sandbox.close()
      rmSync(root, {recursive: true, force: true})
    },
  }
}

/** Sets the sandbox's faults at run time on both emulators. */
export async function setFaults(sb: SandboxHandle, spec: string): Promise<void> {
  for (const base of [sb.melon.baseUrl, sb.immotop.baseUrl]) {
    const response = await fetch(`${base}/_sandbox/faults`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({spec})})
    if (!response.ok) throw new Error(`setting faults on ${base}: ${response.status} ${await response.text()}`)
  }
}
