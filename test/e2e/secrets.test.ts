/**
 * Recognisable secrets never appear in stdout or stderr of any command, in
 * success or failure, with or without --verbose and --json.
 */
import {cpSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../helpers/cli.js'
import {configVariant, testSandbox, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
const WRONG_PASSWORD = 'CANARY-wrong-pw-7391'
const WRONG_TOKEN = 'CANARY-wrong-token-8462'
const WRONG_SMTP = 'CANARY-wrong-smtp-9573'
function withWrongSecrets(c: any): void {
  c.immotop.password = WRONG_PASSWORD
  c.melon.token = WRONG_TOKEN
  c.notify.smtp.password = WRONG_SMTP
}

beforeAll(async () => {
  sb = await testSandbox()
})
afterAll(() => sb.dispose())

const COMMANDS = [
  ['doctor'],
  ['publish', '1.10001.1012'],
  ['publish', '1.10001.1012', '--dry-run'],
  ['tenants'],
  ['export-tenant', 'T-1002'],
  ['export-tenant', 'T-1003', '--dry-run'],
  ['config', 'show'],
  ['config', 'validate'],
  ['sync', '--once'],
  ['history'],
  ['unpublish', '1.10001.1012', '--dry-run'],
  ['contracts'],
  ['contracts', '--check'],
]
// Commands that make no network call cannot fail on a wrong secret.
const OFFLINE = new Set(['config show', 'config validate', 'history', 'contracts'])
const MODES = [[], ['--verbose'], ['--json'], ['--json', '--verbose']]

// One test per command: each runs its four modes, with its own timeout. The commands change the
// sandbox (export, sync, unpublish), so they run one after another; the offline matrix below runs in parallel.
const label = (command: string[]) => command.join(' ')

describe('secrets never appear in output, with the right secrets (success paths)', () => {
  it.each(COMMANDS.map((c) => [label(c), c] as const))('%s', async (_name, command) => {
    const secrets = [sb.melon.token, sb.immotop.password, sb.smtp.password, Buffer.from(`wwdms:${sb.immotop.password}`).toString('base64')]
    for (const mode of MODES) {
      const result = await runCli([...command, ...mode, '--config', sb.configPath])
      expect(result.code, `${label(command)} ${mode.join(' ')}: ${result.stderr}`).toBe(0)
      for (const secret of secrets) expect(result.stdout + result.stderr, `${label(command)} ${mode.join(' ')}`).not.toContain(secret)
    }
  })
})

// Wrong secrets change nothing in the sandbox: these run side by side.
describe.concurrent('secrets never appear in output, with wrong secrets (failure paths, including --verbose stacks)', () => {
  it.each(COMMANDS.filter((c) => !OFFLINE.has(label(c))).map((c) => [label(c), c] as const))('%s', async (_name, command) => {
    const secrets = [WRONG_PASSWORD, WRONG_TOKEN, WRONG_SMTP, Buffer.from(`wwdms:${WRONG_PASSWORD}`).toString('base64')]
    // Side by side, sync and contracts --check must fail on the secret, not on each other's lock: each gets
    // its own copy of the ledger the success paths left (so that contracts --check has watches to check).
    const name = label(command).replace(/\W+/g, '-')
    const stateDir = join(sb.root, `state-${name}`)
    cpSync(sb.config.stateDir, stateDir, {recursive: true})
    const config = configVariant(sb, `canary-${name}`, (c) => {
      withWrongSecrets(c)
      c.stateDir = stateDir
    })
    for (const mode of MODES) {
      const result = await runCli([...command, ...mode, '--config', config])
      expect(result.code, `${label(command)} ${mode.join(' ')}`).not.toBe(0)
      for (const secret of secrets) expect(result.stdout + result.stderr, `${label(command)} ${mode.join(' ')}`).not.toContain(secret)
      if (mode.includes('--json')) expect(() => JSON.parse(result.stdout)).not.toThrow()
      if (!mode.includes('--verbose')) expect(result.stdout + result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    }
  })
})

describe.concurrent('secrets in a config that fails to parse', () => {
  const FILES = [
    ['YAML', 'broken.yaml', 'melon:\n  project: acme\n  token: CANARY-yaml-token-4711\n   bad: [\nimmotop: {}\n'],
    ['JSON', 'broken.json', '{"melon": {"project": "acme", "token": "CANARY-json-token-4712",}}'],
  ] as const
  // Every command reads its config through the same loader; doctor has a path of its own. These three cover both.
  const READERS = [['doctor'], ['config', 'validate'], ['publish', '1.10001.1012']]
  it.each(FILES.flatMap(([kind, name, content]) => READERS.map((command) => [kind, label(command), name, content, command] as const)))(
    '%s, %s: the error names line and reason, never the text of the file',
    async (_kind, _name, name, content, command) => {
      const {writeFileSync} = await import('node:fs')
      const {join} = await import('node:path')
      const file = join(sb.root, name)
      writeFileSync(file, content)
      for (const mode of MODES) {
        const result = await runCli([...command, ...mode, '--config', file])
        expect(result.code, `${label(command)} ${mode.join(' ')}`).toBe(command[0] === 'doctor' ? 1 : 78)
        expect(result.stdout + result.stderr).not.toContain('CANARY')
        expect(result.stdout + result.stderr).toMatch(/line \d+, column \d+/)
      }
    },
  )
})
