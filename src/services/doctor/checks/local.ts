/** This machine: Node.js, the proxy settings, the state folder and its ledger, the clock. */
import {getProxyForUrl} from 'proxy-from-env'
import {isLoopbackHost} from '../../../adapters/transport-rules.js'
import {melonBaseUrl} from '../../../config/schema.js'
import {failFrom, writableDir, type Check} from '../context.js'

const SKEW_WARN_S = 60
const SKEW_FAIL_S = 300

export const nodeCheck: Check = {
    id: 'node',
    title: 'Node.js version supported',
    needs: [],
    owner: 'operator',
    async run() {
      const {judgeNode} = await import('../../../core/node-lines.js')
      const verdict = judgeNode(process.versions.node, new Date().toISOString().slice(0, 10))
      if (verdict.status === 'fail') return verdict
      // The ledger needs Node's built-in SQLite: a Node.js without it (built without, or --no-experimental-sqlite) is named here, not as a damaged ledger.
      const {assertSqliteAvailable} = await import('../../../state/ledger.js')
      try {
        assertSqliteAvailable()
      } catch (error) {
        return failFrom(error, 'operator')
      }
      return verdict
    },
  }

export const proxyCheck: Check = {
    id: 'network.proxy',
    title: 'Proxy settings',
    needs: ['config'],
    owner: "customer's IT",
    async run(ctx) {
      const config = ctx.loaded!.config
      const used = (['melon', 'immotop'] as const).flatMap((system) => {
        const url = new URL(system === 'melon' ? melonBaseUrl(config.melon) : config.immotop.baseUrl)
        const proxy = isLoopbackHost(url.hostname) ? '' : getProxyForUrl(url.href)
        if (!proxy) return []
        const p = new URL(proxy)
        return [`${system} through ${p.protocol}//${p.username ? '…@' : ''}${p.host}`]
      })
      return {status: 'pass', detail: used.length ? `${used.join('; ')} (HTTPS_PROXY/HTTP_PROXY, NO_PROXY).` : 'No proxy in use (none set, or NO_PROXY covers both systems).'}
    },
  }

export const stateCheck: Check = {
    id: 'state',
    title: 'State directory writable',
    needs: ['config'],
    owner: 'operator',
    async run(ctx) {
      const dir = ctx.loaded!.config.stateDir
      const writable = await writableDir('stateDir', dir, true)
      if (writable.status !== 'pass') return writable
      const {Ledger, listBackups} = await import('../../../state/ledger.js')
      let ledger
      try {
        ledger = new Ledger(dir)
      } catch (error) {
        return failFrom(error, 'operator')
      }
      try {
        const problems = ledger.quickCheck()
        if (problems.length > 0) return {status: 'fail', detail: `The ledger ${ledger.path} fails SQLite's integrity check: ${problems[0]!.slice(0, 120)}.`, fix: 'Restore the latest backup with `melon-immotop state restore`, or rebuild it with `melon-immotop state rebuild`.', owner: 'operator'}
        const project = ctx.loaded!.config.melon.project
        const otherProject = ledger.projectMismatch(project)
        if (otherProject) return {status: 'fail', detail: `The ledger in ${dir} belongs to melon project "${ledger.project()}", not "${project}" (melon.project): sync and export-tenant refuse this config (exit 78).`, fix: otherProject.fix, owner: 'operator'}
        const backups = listBackups(dir)
        return {status: 'pass', detail: `${writable.detail} The ledger passes SQLite's integrity check; ${backups.length} backup(s)${backups[0] ? `, the newest ${backups[0]}` : ''}.`}
      } finally {
        ledger.close()
      }
    },
  }

export const clockCheck: Check = {
    id: 'clock',
    title: 'Clock in step with the servers',
    needs: ['melon.auth', 'immotop.test'],
    owner: "customer's IT",
    async run(ctx) {
      if (ctx.serverDates.length === 0) return {status: 'warn', detail: 'No server sent a Date header to compare with.', fix: 'Check the time of this machine by hand (NTP).'}
      const skews = ctx.serverDates.map((d) => ({system: d.system, skew: Math.round((Date.now() - Date.parse(d.date)) / 1000)}))
      const worst = skews.reduce((a, b) => (Math.abs(b.skew) > Math.abs(a.skew) ? b : a))
      const text = skews.map((s) => `${s.system} ${s.skew >= 0 ? '+' : ''}${s.skew} s`).join(', ')
      if (Math.abs(worst.skew) > SKEW_FAIL_S) return {status: 'fail', detail: `This machine's clock is off: ${text}.`, fix: 'Synchronise the clock with NTP (timedatectl set-ntp true).'}
      if (Math.abs(worst.skew) > SKEW_WARN_S) return {status: 'warn', detail: `This machine's clock is off: ${text}.`, fix: 'Synchronise the clock with NTP (timedatectl set-ntp true).'}
      return {status: 'pass', detail: `Within ${SKEW_WARN_S} s of the servers (${text}).`}
    },
  }
