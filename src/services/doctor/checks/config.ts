/** The config, its permissions, the secrets (and with them the clients every later check uses). */
import {configAdvice, configWarnings, loadConfig} from '../../../config/load.js'
import {SECRET_ENV} from '../../../config/schema.js'
import {mask} from '../../../core/redact.js'
import {failFrom, type Check, type DoctorOptions} from '../context.js'

export function configChecks(options: DoctorOptions): Check[] {
  return [
    {
      id: 'config',
      title: 'Config found and valid',
      needs: [],
      owner: 'operator',
      async run(ctx) {
        try {
          ctx.loaded = await loadConfig({configPath: options.configPath})
          return {status: 'pass', detail: `Loaded ${ctx.loaded.filepath}.`}
        } catch (error) {
          return failFrom(error)
        }
      },
    },
    {
      id: 'config.permissions',
      title: 'Config file permissions',
      needs: ['config'],
      owner: 'operator',
      async run(ctx) {
        const warnings = configWarnings(ctx.loaded!)
        if (warnings.length > 0) return {status: 'warn', detail: warnings[0]!.message, fix: warnings[0]!.fix}
        const advice = configAdvice(ctx.loaded!)
        if (!advice) return {status: 'pass', detail: `${ctx.loaded!.filepath} is not readable by others, or holds no secret.`}
        // Windows: the file's NTFS access rules, by SID, decide.
        const [{readWindowsAcl}, {judgeAcl}] = await Promise.all([import('../../../adapters/windows-acl.js'), import('../../../core/windows-acl.js')])
        const reading = await readWindowsAcl(ctx.loaded!.filepath)
        if ('unavailable' in reading) return {status: 'warn', detail: `${ctx.loaded!.filepath}: its NTFS permissions could not be read (${reading.unavailable}).`, fix: advice}
        return judgeAcl(ctx.loaded!.filepath, reading.user, reading.rules)
      },
    },
    {
      id: 'secrets',
      title: 'Secrets present',
      needs: ['config'],
      owner: 'operator',
      async run(ctx) {
        const loaded = ctx.loaded!
        if (loaded.missingSecrets.length > 0) {
          const missing = loaded.missingSecrets
          return {status: 'fail', detail: `Missing: ${missing.join(', ')}.`, fix: `Set ${missing.map((key) => SECRET_ENV[key]).join(' and ')}, or add the keys to ${loaded.filepath}.`}
        }
        const {config, sources} = loaded
        // The HTTP clients (axios, proxy agents) load only when a config is there to use them.
        const [{MelonClient}, {ImmotopRestClient}] = await Promise.all([import('../../../adapters/melon-client.js'), import('../../../adapters/immotop-rest.js')])
        ctx.melon = new MelonClient(config.melon, {retry: {maxAttempts: 1}})
        ctx.immotop = new ImmotopRestClient(config.immotop, {retry: {maxAttempts: 1}})
        const smtp = config.notify?.smtp.password ? `, notify.smtp.password ${mask(config.notify.smtp.password)} (${sources['notify.smtp.password']})` : ''
        return {status: 'pass', detail: `melon.token ${mask(config.melon.token)} (${sources['melon.token']}), immotop.password ${mask(config.immotop.password)} (${sources['immotop.password']})${smtp}.`}
      },
    },
  ]
}
