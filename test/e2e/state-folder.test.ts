/**
 * The state folder as the commands that lock it first meet it (sync, state
 * restore): missing, it is created owner-only, as the README promises; where
 * it cannot be created, the error names it (exit 74), never an internal error.
 */
import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {configVariant, sandboxPerTest} from '../helpers/sandbox.js'

const sandbox = sandboxPerTest()

describe('a state folder that is not there yet', () => {
  it('state restore --from a missing backup says so (exit 2, not an internal error); sync --once creates the folder 0700', async () => {
    const sb = await sandbox()
    const stateDir = join(sb.root, 'new', 'nested', 'state')
    const config = configVariant(sb, 'new-state', (c) => (c.stateDir = stateDir))
    const restore = await runCli(['state', 'restore', '--from', join(sb.root, 'no-such-backup.sqlite'), '--json', '--config', config])
    expect(restore.code).toBe(2)
    expect(json(restore).error.code).toBe('NO_BACKUP')
    const sync = await runCli(['sync', '--once', '--json', '--config', config])
    expect(sync.code, sync.stderr).toBe(0)
    expect(json(sync).summary).toMatchObject({exported: 3, failed: 0})
    expect(statSync(stateDir).mode & 0o777).toBe(0o700)
  })

  it('a file where the state folder should be: STATE_DIR_UNUSABLE (exit 74) naming it, for sync and for state rebuild', async () => {
    const sb = await sandbox()
    mkdirSync(join(sb.root, 'blocked'))
    writeFileSync(join(sb.root, 'blocked', 'state'), 'not a folder')
    const stateDir = join(sb.root, 'blocked', 'state')
    const config = configVariant(sb, 'blocked-state', (c) => (c.stateDir = stateDir))
    for (const args of [['sync', '--once'], ['state', 'rebuild']]) {
      const result = await runCli([...args, '--json', '--config', config])
      expect(result.code, `${args.join(' ')}: ${result.stdout}`).toBe(74)
      expect(json(result).error).toMatchObject({code: 'STATE_DIR_UNUSABLE', message: expect.stringContaining(`${stateDir} is not a folder`)})
    }
    expect(readFileSync(stateDir, 'utf8')).toBe('not a folder')
  })
})
