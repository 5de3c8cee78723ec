/**
 * Starts the long test files first, also in a fresh clone. vitest orders by the durations it cached on the
 * last run, and without a cache by file size: then secrets.test.ts (small, about 45 s) started last and ran
 * alone for the final 25 s. Rough seconds per file on the 2-core machine, longest first; files not named
 * here (all under 5 s) follow in vitest's own order. Refresh from `npx vitest run --reporter=json`.
 */
import {relative} from 'node:path'
import {BaseSequencer, type TestSpecification} from 'vitest/node'

export const WEIGHTS: Record<string, number> = {
  'test/e2e/sync.test.ts': 69,
  'test/e2e/secrets.test.ts': 47,
  'test/e2e/contracts.test.ts': 40,
  'test/e2e/doctor.test.ts': 37,
  'test/e2e/untrusted-answers.test.ts': 30,
  'test/e2e/publish-sources.test.ts': 20,
  'test/e2e/fast-help.test.ts': 20,
  'test/e2e/export-tenant.test.ts': 16,
  'test/e2e/state-concurrency.test.ts': 16,
  'test/e2e/hostile.test.ts': 12,
  'test/e2e/ledger-loss.test.ts': 12,
  'test/e2e/transport.test.ts': 11,
  'test/e2e/config-commands.test.ts': 9,
  'test/e2e/init.test.ts': 9,
  'test/e2e/publish.test.ts': 8,
  'test/e2e/service.test.ts': 8,
  'test/e2e/first-minute.test.ts': 7,
  'test/e2e/tenants.test.ts': 7,
  'test/e2e/sandbox.test.ts': 5,
  'test/e2e/terminal.test.ts': 5,
}

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const weight = (file: TestSpecification) => WEIGHTS[relative(file.project.config.root, file.moduleId).replaceAll('\\', '/')] ?? 0
    // Array.prototype.sort is stable: equal weights keep vitest's order.
    return (await super.sort(files)).sort((a, b) => weight(b) - weight(a))
  }
}
