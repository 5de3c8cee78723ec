#!/usr/bin/env node
// Everything this tool writes (configs, temporary dossier copies, state,
// staging files) is owner-only, whatever the caller's umask.
process.umask(0o077)

const args = process.argv.slice(2)
const versionOnly = args.some((a) => a === '--version' || a === '-v') && args.every((a) => a === '--version' || a === '-v' || a === '--json')
if (versionOnly) {
  // Answered without loading oclif (about 160 modules): the line oclif prints, or one JSON document.
  const {readFileSync} = await import('node:fs')
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const line = `${pkg.oclif.bin}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`
  const doc = {name: pkg.oclif.bin, version: pkg.version, platform: process.platform, arch: process.arch, node: process.version, userAgent: line}
  process.stdout.write(args.includes('--json') ? JSON.stringify(doc) + '\n' : line + '\n')
} else {
  const [{execute}, {settings}] = await Promise.all([import('@oclif/core/execute'), import('@oclif/core/settings')])
  // Always the built dist/: with NODE_ENV=development or test (set by vitest, by some shells and
  // by many CI images), oclif would otherwise try to register tsx/ts-node on every start (~0.15 s CPU)
  // and could run src/ instead of what was built and tested.
  settings.enableAutoTranspile = false
  await execute({dir: import.meta.url})
}
