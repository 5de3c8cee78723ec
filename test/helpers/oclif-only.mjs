// Runs the built CLI through oclif alone, past the fast paths of bin/run.js
// (--version, <command> --help) and with oclif's plugins loaded for every
// command: what test/e2e/fast-help.test.ts compares them with.
const {main} = await import(new URL('../../dist/cli/main.js', import.meta.url).href)
await main(new URL('../../bin/run.js', import.meta.url).href, {allPlugins: true})
