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
  // `<command> --help` from the manifest with oclif's Help class alone (dist/cli/fast-help.js says when it can).
  const answered = args.length >= 2 && ['--help', '-h'].includes(args.at(-1)) && (await import('../dist/cli/fast-help.js')).fastHelp(new URL('..', import.meta.url), args)
  if (!(await answered)) {
    const {main} = await import('../dist/cli/main.js')
    await main(import.meta.url)
  }
}
