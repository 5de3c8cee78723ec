/** `service`: what is checked before a service definition is written. */
import {unsafeValues, type ServiceSpec} from '../core/service-units.js'
import {ConfigError, UsageError} from '../errors.js'

/**
 * Before anything is written: no value that would break out of its line in
 * a unit file, and a --user that exists and can read the config and the
 * secrets file (else the service fails at its first start, at night).
 */
export async function checkSpec(spec: ServiceSpec): Promise<void> {
  const unsafe = unsafeValues(spec)[0]
  if (unsafe) {
    throw new UsageError('SERVICE_VALUE_UNSAFE', `${unsafe.field} ${unsafe.why}; nothing was written.`, 'Give paths and an account without line breaks or other control characters.')
  }
  if (!spec.user || spec.kind === 'winsw') return
  const {lookupAccount, unreadableFor} = await import('../adapters/accounts.js')
  const account = await lookupAccount(spec.user)
  if (!account) {
    throw new UsageError('SERVICE_USER_UNKNOWN', `The account "${spec.user}" (--user) does not exist on this machine; nothing was written.`, 'Create it first (e.g. `sudo useradd --system --home-dir /var/lib/melon-immotop melon-immotop`), or name an existing account.')
  }
  for (const file of [spec.config, spec.secretsFile].filter((f): f is string => Boolean(f))) {
    const blocked = await unreadableFor(account, file)
    if (blocked === null) continue
    const where = blocked === file ? '' : ` (the folder ${blocked} is not open to it)`
    throw new ConfigError(
      'SERVICE_USER_CANNOT_READ',
      `The account "${account.name}" (--user) cannot read ${file}${where}: the service would fail at its first start; nothing was written.`,
      blocked === file ? `Give it read access, e.g. \`sudo chgrp ${account.name} ${file} && sudo chmod 640 ${file}\`, or run the service as the file's owner.` : `Give it search access to ${blocked} (e.g. \`sudo chmod o+x ${blocked}\`, or a group it is in), or keep the file in a folder it can reach.`,
    )
  }
}
