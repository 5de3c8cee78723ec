/**
 * The CLI on a real pseudo-terminal (util-linux `script`): `until(text)`
 * resolves once the screen shows the text (or the process ended), so keys are
 * typed on a barrier, never after a sleep.
 */
import {spawn, spawnSync} from 'node:child_process'
import {BIN} from './cli.js'

// `script` is util-linux; macOS has a different one and Windows none.
export const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0

export function onTerminal(args: string, cwd: string) {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  for (const key of ['CI', 'GITHUB_ACTIONS', 'MELON_IMMOTOP_CONFIG', 'MELON_IMMOTOP_MELON_TOKEN', 'MELON_IMMOTOP_IMMOTOP_PASSWORD']) delete env[key]
  const child = spawn('script', ['-qec', `"${process.execPath}" "${BIN}" ${args}`, '/dev/null'], {cwd, env, stdio: ['pipe', 'pipe', 'pipe']})
  const state = {screen: ''}
  const waiters: Array<{text: string; resolve: () => void}> = []
  child.stdout.on('data', (chunk) => {
    state.screen += chunk
    for (const w of waiters) if (state.screen.includes(w.text)) w.resolve()
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000)
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => (clearTimeout(killer), resolve(code))))
  const until = (text: string) => Promise.race([new Promise<void>((resolve) => waiters.push({text, resolve})), exited.then(() => undefined)])
  return {state, until, exited, type: (keys: string) => child.stdin.write(keys)}
}
