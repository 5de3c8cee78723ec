/** melon: the network layers, the token, the project, the rights every command needs. */
import {melonBaseUrl} from '../../../config/schema.js'
import {mask} from '../../../core/redact.js'
import {toAppError} from '../../../errors.js'
import {failFrom, melonMe, type Check} from '../context.js'
import {networkChecks} from './network.js'

export function melonChecks(): Check[] {
  return [
    ...networkChecks('melon', 'melon', 'emonitor'),
    {
      id: 'melon.auth',
      title: 'melon: token accepted',
      needs: ['secrets', 'melon.tls'],
      owner: 'emonitor',
      async run(ctx) {
        try {
          const me = await melonMe(ctx)
          return {status: 'pass', detail: `${melonBaseUrl(ctx.loaded!.config.melon)} accepted the token (${mask(ctx.loaded!.config.melon.token)}) of user ${me.user}.`}
        } catch (error) {
          const app = toAppError(error)
          if (app.code === 'PROJECT_NOT_FOUND') return {status: 'pass', detail: 'The token was not refused; the project is checked next.'}
          return failFrom(error, 'emonitor')
        }
      },
    },
    {
      id: 'melon.project',
      title: 'melon: project exists',
      needs: ['melon.auth'],
      owner: 'emonitor',
      async run(ctx) {
        try {
          const me = await melonMe(ctx)
          return {status: 'pass', detail: `Project ${me.project}.`}
        } catch (error) {
          return failFrom(error, 'emonitor')
        }
      },
    },
    {
      id: 'melon.rights',
      title: 'melon: rights for every command',
      needs: ['melon.project'],
      owner: 'emonitor',
      async run(ctx) {
        const me = await melonMe(ctx)
        const needed: Record<string, string[]> = {
          'objects:read': ['publish', 'unpublish'],
          'objects:write': ['publish', 'unpublish'],
          'tenants:read': ['tenants', 'export-tenant', 'sync'],
          'documents:read': ['export-tenant', 'sync'],
          // The handover marker on the tenant, before delivery; and, with sync.onContract, the contract.
          'tenants:write': ['export-tenant', 'sync', ...(ctx.loaded!.config.sync.onContract !== 'off' ? ['sync (closing the loop)', 'contracts'] : [])],
        }
        const missing = Object.keys(needed).filter((right) => !me.scopes.includes(right))
        // Harmless reads prove what the scopes claim.
        for (const what of ['objects', 'tenants'] as const) {
          try {
            await ctx.melon!.probeRead(what)
          } catch (error) {
            const app = toAppError(error)
            if (app.code !== 'FORBIDDEN') return failFrom(error, 'emonitor')
            const right = `${what}:read`
            if (!missing.includes(right)) missing.push(right)
          }
        }
        if (missing.length > 0) {
          const commands = [...new Set(missing.flatMap((r) => needed[r] ?? []))]
          return {status: 'fail', detail: `The token lacks ${missing.join(', ')}: ${commands.join(', ')} will be refused.`, fix: `Ask emonitor to grant the API token of project ${me.project} the rights ${missing.join(', ')}.`, owner: 'emonitor'}
        }
        return {status: 'pass', detail: `Rights ${me.scopes.join(', ')}: every command is allowed (read calls proved).`}
      },
    },
  ]
}
