/**
 * The house rules in eslint.config.js fire (so that `npm run lint` can fail):
 * each probe is linted as if it stood at its path in src/, with the
 * project's own config.
 */
import {fileURLToPath} from 'node:url'
import {ESLint} from 'eslint'
import {describe, expect, it} from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
// The probes are not files of the project: the type-aware rules (which need them in tsconfig) stay out of it.
const eslint = new ESLint({cwd: root, overrideConfig: [{files: ['**/*.ts'], languageOptions: {parserOptions: {project: null, projectService: false}}, rules: {'@typescript-eslint/no-floating-promises': 'off'}}]})

async function rulesHit(code: string, path: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, {filePath: `${root}/${path}`})
  return result!.messages.map((m) => m.ruleId ?? m.message)
}

describe('lint rules', () => {
  it.each([
    ["import {readFileSync} from 'node:fs'\nexport const x = readFileSync\n", 'src/core/probe.ts', '@typescript-eslint/no-restricted-imports'],
    ["import {Ledger} from '../state/ledger.js'\nexport const x = Ledger\n", 'src/core/probe.ts', '@typescript-eslint/no-restricted-imports'],
    ["import {exportTenant} from '../services/handover/index.js'\nexport const x = exportTenant\n", 'src/sandbox/probe.ts', '@typescript-eslint/no-restricted-imports'],
    ["import axios from 'axios'\nexport const x = axios\n", 'src/services/probe.ts', '@typescript-eslint/no-restricted-imports'],
    ["import {DatabaseSync} from 'node:sqlite'\nexport const x = DatabaseSync\n", 'src/state/probe.ts', '@typescript-eslint/no-restricted-imports'],
    ["import {Ledger} from '../state/ledger.js'\nexport const x = Ledger\n", 'src/commands/probe.ts', '@typescript-eslint/no-restricted-imports'],
    ["import {MelonClient} from '../../adapters/melon-client.js'\nexport const x = MelonClient\n", 'src/commands/state/probe.ts', '@typescript-eslint/no-restricted-imports'],
    ["import axios from 'axios'\nexport const x = axios\n", 'src/commands/probe.ts', '@typescript-eslint/no-restricted-imports'],
    ["import axios from 'axios'\nexport const x = axios\n", 'src/sandbox/probe.ts', '@typescript-eslint/no-restricted-imports'],
    ['export function stop(): void {\n  process.exit(1)\n}\n', 'src/commands/probe.ts', 'no-restricted-properties'],
    ["export function say(): void {\n  console.log('x')\n}\n", 'src/services/probe.ts', 'no-console'],
  ])('%j at %s: %s', async (code, path, rule) => {
    expect(await rulesHit(code, path)).toContain(rule)
  })

  it('what the rules allow passes: a type from axios in an adapter, process.exit in BaseCommand, node:fs outside the core', async () => {
    expect(await rulesHit("import type {AxiosResponse} from 'axios'\nexport type R = AxiosResponse\n", 'src/adapters/probe.ts')).toEqual([])
    expect(await rulesHit('export function stop(): void {\n  process.exit(1)\n}\n', 'src/cli/base-command.ts')).toEqual([])
    expect(await rulesHit("import {readFileSync} from 'node:fs'\nexport const x = readFileSync\n", 'src/adapters/probe.ts')).toEqual([])
  })
})
