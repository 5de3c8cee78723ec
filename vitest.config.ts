import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // End-to-end files spawn many CLI processes; two at a time fits a 2-core machine.
    poolOptions: {forks: {maxForks: 2, minForks: 1}},
  },
})
