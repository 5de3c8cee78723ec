import {defineConfig} from 'vitest/config'
import LongestFirst from './test/sequencer.js'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    sequence: {sequencer: LongestFirst},
    // End-to-end files spawn CLI processes and wait on the sandbox much of the time: three files at once
    // keep a 2-core machine busy without starving it (the suite holds under two extra CPU-bound loads).
    maxWorkers: 3,
    // `npm run coverage`: what the tests run in process (the CLI's own processes run the built dist/).
    coverage: {provider: 'v8', include: ['src/**'], reporter: ['text-summary', 'html'], reportsDirectory: 'coverage'},
  },
})
