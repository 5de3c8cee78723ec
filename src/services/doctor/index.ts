/**
 * doctor: every connection and setting, checked in parallel, reported in a
 * fixed order. Every fail and warn says what to change, where, and who usually
 * owns it. One module of checks per system (checks/), the runner, the report.
 */
import {configChecks} from './checks/config.js'
import {immotopChecks} from './checks/immotop.js'
import {clockCheck, nodeCheck, proxyCheck, stateCheck} from './checks/local.js'
import {mailChecks} from './checks/mail.js'
import {melonChecks} from './checks/melon.js'
import {pickupCheck, stagingChecks} from './checks/staging.js'
import type {Check, DoctorOptions} from './context.js'

export type {Check, CheckResult, CheckStatus, DoctorOptions, Owner} from './context.js'
export {foldSkipped, markdownReport} from './report.js'
export {runDoctor, type RunOptions} from './runner.js'

/** Every check, in the order the report shows them. */
export function doctorChecks(options: DoctorOptions): Check[] {
  return [
    ...configChecks(options),
    nodeCheck,
    proxyCheck,
    ...melonChecks(),
    ...immotopChecks(),
    ...stagingChecks(options),
    stateCheck,
    pickupCheck(),
    ...mailChecks(options),
    clockCheck,
  ]
}
