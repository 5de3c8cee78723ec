#!/usr/bin/env node
// Everything this tool writes (configs, temporary dossier copies, state,
// staging files) is owner-only, whatever the caller's umask.
process.umask(0o077)

const args = process.argv.slice(2)

// Before anything else is loaded: on an older Node.js the bundle's packages and node:sqlite are missing, and
// what broke would be a stack trace. The lines match package.json "engines" and src/core/node-lines.ts.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18) || major === 23) {
  const error = {
    code: 'NODE_UNSUPPORTED',
    message: `melon-immotop does not run on Node.js ${process.version}: it needs Node.js 22 (22.18 or later), 24 or 26.`,
    fix: 'Install Node.js 24 or 26 (or use the release zip, which brings its own node.exe), then run the same command again; `node --version` shows which one runs.',
    exitCode: 78,
  }
  if (args.includes('--json')) process.stdout.write(JSON.stringify({error}, null, 2) + '\n')
  else process.stderr.write(`Error: ${error.message}\nFix: ${error.fix}\n`)
  process.exit(78)
}
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
