/**
 * The lean install: the sandbox's packages are optional peers (and dev
 * dependencies for the repository), only the sandbox imports them, and the
 * install hint of `sandbox` names the same majors. .ci/pack-smoke installs
 * the packed tarball both ways.
 */
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {SANDBOX_PACKAGES} from '../../src/commands/sandbox.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const files = (dir: string): string[] => readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))

describe('the lean install', () => {
  const names = SANDBOX_PACKAGES.map((p) => p.split('@')[0]!)

  it('keeps the sandbox packages out of the dependencies: optional peers, dev dependencies for the repository', () => {
    for (const name of names) {
      expect(pkg.dependencies[name], name).toBeUndefined()
      expect(pkg.peerDependenciesMeta[name], name).toEqual({optional: true})
      expect(pkg.devDependencies[name], name).toBe(pkg.peerDependencies[name])
    }
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual([...names].sort())
  })

  it('names the same majors in the install hint as package.json', () => {
    for (const spec of SANDBOX_PACKAGES) {
      const [name, major] = spec.split('@')
      expect(pkg.peerDependencies[name!].replace(/^\^/, '').split('.')[0], spec).toBe(major)
    }
  })

  it('imports them only in src/sandbox', () => {
    const pattern = new RegExp(`from '(${names.join('|')})'|import\\('(${names.join('|')})'\\)`)
    const offenders = files(join(root, 'src')).filter((f) => !f.includes(`${join('src', 'sandbox')}`) && pattern.test(readFileSync(f, 'utf8')))
    expect(offenders).toEqual([])
  })
})
