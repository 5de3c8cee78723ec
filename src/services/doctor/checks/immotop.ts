/** Immotop 2: the network layers, Test, Basic auth, the Version header, the mandants, the version-gated columns. */
import {mask} from '../../../core/redact.js'
import {isPublishable} from '../../../core/vacancy.js'
import {swissToday} from '../../../core/swiss-date.js'
import {toAppError} from '../../../errors.js'
import {failFrom, immotopTest, type Check} from '../context.js'
import {configuredMandants, isLettingMandant} from '../../../core/mandants.js'
import {networkChecks} from './network.js'

export function immotopChecks(): Check[] {
  return [
    ...networkChecks('immotop', 'Immotop 2', "customer's IT"),
    {
      id: 'immotop.test',
      title: 'Immotop 2: REST services answer (Test)',
      needs: ['secrets', 'immotop.tls'],
      owner: 'W&W',
      async run(ctx) {
        try {
          await immotopTest(ctx)
          return {status: 'pass', detail: `${ctx.immotop!.testUrl} answered.`}
        } catch (error) {
          const app = toAppError(error)
          // Refusals are answers: auth and Version header are judged by the next checks.
          if (app.code === 'UNAUTHORIZED' || app.code === 'IMMOTOP_REJECTED') return {status: 'pass', detail: 'Test answered (with a refusal that the next checks explain).'}
          if (app.code === 'NOT_FOUND') return {status: 'fail', detail: `${app.message} The REST services are not at this address.`, fix: 'Set immotop.baseUrl to the RestServiceUrl of the Immotop 2 application server (config.ini), e.g. https://server:5100.', owner: 'W&W'}
          return failFrom(error, 'W&W')
        }
      },
    },
    {
      id: 'immotop.auth',
      title: 'Immotop 2: Basic auth accepted',
      needs: ['immotop.test'],
      owner: 'W&W',
      async run(ctx) {
        try {
          await immotopTest(ctx)
        } catch (error) {
          const app = toAppError(error)
          if (app.code === 'UNAUTHORIZED') return {status: 'fail', detail: `${app.message}`, fix: `Check immotop.user (${ctx.loaded!.config.immotop.user}) and immotop.password (or MELON_IMMOTOP_IMMOTOP_PASSWORD); W&W issues the password.`, owner: 'W&W'}
        }
        return {status: 'pass', detail: `User ${ctx.loaded!.config.immotop.user} accepted (password ${mask(ctx.loaded!.config.immotop.password)}).`}
      },
    },
    {
      id: 'immotop.version-header',
      title: 'Immotop 2: Version header accepted',
      needs: ['immotop.auth'],
      owner: 'W&W',
      async run(ctx) {
        try {
          await immotopTest(ctx)
          return {status: 'pass', detail: `Version: ${ctx.loaded!.config.immotop.apiVersion} accepted.`}
        } catch (error) {
          return failFrom(error, 'W&W')
        }
      },
    },
    {
      id: 'immotop.mandant',
      title: 'Immotop 2: mandants, their units and vacancies',
      needs: ['immotop.version-header'],
      owner: 'W&W',
      async run(ctx) {
        const immotop = ctx.loaded!.config.immotop
        try {
          const all = await ctx.immotop!.mandants()
          const configured = configuredMandants(immotop.mandant)
          const wanted = configured === 'all' ? all.filter((m) => isLettingMandant(m, immotop.mandantTypes)).map((m) => m.nr) : configured
          const missing = wanted.filter((nr) => !all.some((m) => m.nr === nr))
          if (missing.length > 0) return {status: 'fail', detail: `Immotop 2 has no mandant ${missing.join(', ')} (it has ${all.map((m) => m.nr).join(', ') || 'none'}).`, fix: 'Set immotop.mandant to the numbers Immotop 2 shows, a list of them, or "all".', owner: 'operator'}
          if (wanted.length === 0) return {status: 'fail', detail: `Immotop 2 has no mandant of type ${immotop.mandantTypes.join(', ')}.`, fix: 'Set immotop.mandant to the mandants to publish, or immotop.mandantTypes to the types that let.', owner: 'operator'}
          const today = swissToday(new Date())
          const parts: string[] = []
          const notLetting: number[] = []
          // What the REST user cannot see shows as nothing: a mandant without any unit, units without their Liegenschaft.
          const unseen: string[] = []
          for (const nr of wanted) {
            const mandant = all.find((m) => m.nr === nr)!
            if (!isLettingMandant(mandant, immotop.mandantTypes)) notLetting.push(nr)
            const {units, withoutLiegenschaft} = await ctx.immotop!.mandantRead(nr)
            const vacant = units.filter((u) => isPublishable(u, today)).length
            parts.push(`${nr} ${mandant.bez} (${mandant.mandanttypcode}): ${units.length} units, ${vacant} vacant`)
            if (units.length === 0 && withoutLiegenschaft.length === 0) unseen.push(`mandant ${nr} shows no unit at all`)
            else if (withoutLiegenschaft.length > 0) unseen.push(`${withoutLiegenschaft.length} unit(s) of mandant ${nr} have no Liegenschaft in GetDmsLiegenschaft`)
          }
          const detail = `Mandant ${parts.join('; ')}.`
          if (unseen.length > 0) {
            return {
              status: 'warn',
              detail: `${detail} ${unseen.join('; ')}: the REST user may lack rights to them (publish --prune withdraws none of their listings).`,
              fix: 'Ask W&W to give the REST user (immotop.user) read rights on every Liegenschaft of these mandants; if a mandant really holds no unit, remove it from immotop.mandant.',
              owner: 'W&W',
            }
          }
          if (notLetting.length > 0) return {status: 'warn', detail: `${detail} Mandant ${notLetting.join(', ')} is not of a letting type (${immotop.mandantTypes.join(', ')}).`, fix: 'Check immotop.mandant: a Stockwerk (S) mandant holds owners, not tenants.', owner: 'operator'}
          return {status: 'pass', detail}
        } catch (error) {
          return failFrom(error, 'W&W')
        }
      },
    },
    {
      id: 'immotop.features',
      title: 'Immotop 2: the views carry the columns melon-immotop needs (feature check)',
      needs: ['immotop.mandant'],
      owner: 'W&W',
      async run(ctx) {
        const config = ctx.loaded!.config.immotop
        const manual = 'The REST services do not report their version: check it by hand in Immotop 2 (Hilfe › Info); melon\'s interface requires the current version.'
        try {
          const configured = configuredMandants(config.mandant)
          const first = configured === 'all' ? (await ctx.immotop!.mandants())[0]?.nr : configured[0]
          if (first === undefined) return {status: 'skip', detail: 'No mandant to look at.'}
          const features = await ctx.immotop!.features(first)
          if (!features.sampled.objekt) return {status: 'warn', detail: `Mandant ${first} has no Objekt rows, so the columns cannot be checked. ${manual}`, fix: 'Run doctor again once Immotop 2 holds units.', owner: 'W&W'}
          const needed = features.missing.filter((m) => m.view === 'GetDmsObjekt' && (m.column === 'gueltigvon' || m.column === 'gueltigbis'))
          if (needed.length > 0) {
            return {status: 'fail', detail: `GetDmsObjekt has no ${needed.map((m) => m.column).join('/')}: those columns come with Immotop 2 ${needed[0]!.version}, and without them a deactivated unit looks vacant.`, fix: `Ask W&W to update Immotop 2 to ${needed[0]!.version} or newer.`, owner: 'W&W'}
          }
          const other = features.missing.map((m) => `${m.view}.${m.column} (${m.version})`)
          if (other.length > 0) return {status: 'warn', detail: `Missing gated columns: ${other.join(', ')}. ${manual}`, fix: 'Ask W&W to update Immotop 2 to the current version.', owner: 'W&W'}
          return {status: 'pass', detail: `Objekt validity (gueltigvon/gueltigbis, 2.7.19), timestamps (insts/updts, 2.6.32) and every other gated column are present. ${manual}`}
        } catch (error) {
          return failFrom(error, 'W&W')
        }
      },
    },
  ]
}
