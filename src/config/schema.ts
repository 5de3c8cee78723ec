/**
 * The config file's schema (README "Config"). Unknown keys are errors, so that
 * a typo never silently falls back to a default.
 */
import * as z from 'zod/mini'
import {en} from 'zod/locales'

// Every command loads this module first, so it is written with zod's "mini" flavour: the same checks and
// messages, but a schema is a plain object instead of one with ~40 methods, which made building this one
// take twice as long (config show: ~6 ms of a ~100 ms start). zod's JIT, which compiles a parser per object
// schema with new Function() on first use, cost more than it saved for the handful of documents a run parses.
z.config({...en(), jitless: true})

const text = (min = 1) => z.string().check(z.minLength(min))
const dir = text()
const positiveInt = () => z.int().check(z.positive())
const mandantNr = positiveInt()

export const MelonConfigSchema = z.strictObject({
  baseUrl: z._default(text(), 'https://{project}.api.melon.rent'),
  project: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and -, as in <project>.melon.rent')),
  token: z.optional(text()),
  caFile: z.optional(text()),
  allowInsecureHttp: z._default(z.boolean(), false),
  timeoutMs: z._default(positiveInt(), 30_000),
  /** A document melon declares larger than this is refused before the download (and the body is cut at its declared size). */
  maxDocumentBytes: z._default(positiveInt(), 1024 ** 3),
  /** A download must keep at least this rate overall: it ends after downloadGraceSeconds + size / rate. */
  downloadMinBytesPerSecond: z._default(z.number().check(z.positive()), 32 * 1024),
  downloadGraceSeconds: z._default(z.number().check(z.positive()), 60),
  /** And never below this rate over any window of downloadFloorWindowSeconds (curl's --speed-limit and --speed-time). */
  downloadFloorBytesPerSecond: z._default(z.number().check(z.gte(0)), 4096),
  downloadFloorWindowSeconds: z._default(z.int().check(z.gte(1), z.lte(3600)), 30),
  /** The most pages one list may have (listings, tenants); more is a runaway answer. */
  maxPages: z._default(positiveInt(), 1000),
  /**
   * Mark each tenant in melon before its handover (PUT /tenants/{id}/handover): one handover per tenant per
   * melon project, whatever the state folder. false, for a melon without the route: exactly once per state folder only.
   */
  handoverMarkers: z._default(z.boolean(), true),
})

export const ImmotopConfigSchema = z.strictObject({
  baseUrl: text(),
  user: z._default(text(), 'wwdms'),
  password: z.optional(text()),
  apiVersion: z._default(text(), '1.0'),
  /** One mandant number, a list, or "all": every mandant whose mandanttypcode is in mandantTypes. */
  mandant: z.union([mandantNr, z.array(mandantNr).check(z.minLength(1)), z.literal('all')], {error: 'expected a mandant number, a list of numbers, or "all"'}),
  /** With mandant "all": the mandant types that let (W&W mandanttypcode: V Vermietung, S Stockwerk, G Genossenschaft). */
  mandantTypes: z._default(z.array(z.string().check(z.regex(/^[A-Z]$/, 'one capital letter, as W&W\'s mandanttypcode (V, S, G)'))).check(z.minLength(1)), ['V']),
  /** An IDX 3.01 or dta-mpexp export whose records give rooms, area, floor, type and rent of the units REST finds vacant. */
  detailsFile: z.optional(text()),
  caFile: z.optional(text()),
  allowInsecureHttp: z._default(z.boolean(), false),
  timeoutMs: z._default(positiveInt(), 30_000),
})

export const StagingConfigSchema = z.pipe(
  z.strictObject({
    /** W&W's staging folder 2 (DMS → Immotop 2): melon-immotop delivers here. */
    incomingDir: dir,
    /** W&W's staging folder 1 (Immotop 2 → DMS): where answers (SavedDocument, FehlerText) arrive, if Immotop 2 writes any. */
    ackDir: dir,
    /** How long export-tenant and sync wait for Immotop 2 to pick the files up; then the handover stays "waiting for pick-up". */
    pickupTimeoutSeconds: z.optional(z.number().check(z.positive())),
    /** The earlier name of pickupTimeoutSeconds, still read. */
    ackTimeoutSeconds: z.optional(z.number().check(z.positive())),
    /**
     * Assumption (W&W does not document it): staging folder 2 keeps its inode number and birth time, also across
     * mounts, so a handover waiting there recognises it under another path, and an empty folder in its place (a share
     * not mounted) is not taken for it. false where the file system gives new inode numbers on each mount.
     */
    checkFolderIdentity: z._default(z.boolean(), true),
    /** An answer (control file) in ackDir larger than this is not read. */
    maxAnswerBytes: z._default(positiveInt(), 64 * 1024),
    /** The id of the archive configured in Immotop 2 (W&W's DmsArchivId, e.g. "Archiv1"); empty when unset. */
    dmsArchivId: z._default(z.string().check(z.maxLength(64), z.regex(/^[^\u0000-\u001f<>&]*$/, 'printable text without <, > or &')), ''),
  }),
  z.transform(({ackTimeoutSeconds, pickupTimeoutSeconds, ...rest}) => ({...rest, pickupTimeoutSeconds: pickupTimeoutSeconds ?? ackTimeoutSeconds ?? 120})),
)

export const PublishConfigSchema = z
  .strictObject({
    /** Where `publish --all` reads vacancies: Immotop 2's REST views, a dta-mpexp export or an IDX 3.01 file. */
    source: z._default(z.enum(['rest', 'dta-mpexp', 'idx']), 'rest'),
    /** The export file, for source dta-mpexp or idx. */
    file: z.optional(text()),
    /** Publish IDX SALE records too. */
    includeSale: z._default(z.boolean(), false),
  })
  .check(z.refine((p) => p.source === 'rest' || p.file !== undefined, {message: 'publish.file is required when publish.source is dta-mpexp or idx', path: ['file']}))

export const NotifyConfigSchema = z.strictObject({
  /** Who draws up contracts: each gets one mail per tenant handed over. */
  recipients: z.array(z.email()).check(z.minLength(1)),
  from: text(3),
  smtp: z.strictObject({
    host: text(),
    port: z._default(z.int().check(z.gte(1), z.lte(65535)), 587),
    /** Implicit TLS (port 465). Otherwise STARTTLS, required for hosts that are not loopback. */
    secure: z._default(z.boolean(), false),
    user: z.optional(text()),
    password: z.optional(text()),
    caFile: z.optional(text()),
    /** Allow SMTP without TLS to a host that is not loopback. */
    allowInsecure: z._default(z.boolean(), false),
    timeoutMs: z._default(positiveInt(), 15_000),
  }),
})

export const SyncConfigSchema = z.strictObject({
  /** Tenants handed over at the same time. */
  concurrency: z._default(z.int().check(z.gte(1), z.lte(16)), 4),
  /** Seconds between passes of `sync` without --once. */
  intervalSeconds: z._default(z.number().check(z.positive()), 60),
  /** Also publish the vacancies of the configured source on every pass. */
  publish: z._default(z.boolean(), false),
  /**
   * Closing the loop: once the contract exists in Immotop 2, melon learns it and
   * the listing is set to rented (or withdrawn); `off` stops watching.
   */
  onContract: z._default(z.enum(['rented', 'withdraw', 'off']), 'rented'),
  /** A new tenancy counts as the contract when it starts within this many days of the requested move-in date. */
  contractWindowDays: z._default(z.int().check(z.gte(0), z.lte(366)), 31),
  /** How long after the pick-up a handover is watched for its contract; then the watch closes as expired. */
  contractWatchDays: z._default(z.int().check(z.gte(1), z.lte(3660)), 120),
})

export const ConfigSchema = z.strictObject({
  melon: MelonConfigSchema,
  immotop: ImmotopConfigSchema,
  staging: StagingConfigSchema,
  stateDir: dir,
  publish: z._default(PublishConfigSchema, {source: 'rest', includeSale: false}),
  notify: z.optional(NotifyConfigSchema),
  sync: z._default(SyncConfigSchema, {concurrency: 4, intervalSeconds: 60, publish: false, onContract: 'rented', contractWindowDays: 31, contractWatchDays: 120}),
})

export type AppConfigInput = z.input<typeof ConfigSchema>
export type AppConfig = z.output<typeof ConfigSchema>
export type MelonConfig = AppConfig['melon']
export type ImmotopConfig = AppConfig['immotop']
export type StagingConfig = AppConfig['staging']

/** The one mandant that two-part unit references and dta-mpexp files imply, when exactly one is configured. */
export function singleMandant(mandant: ImmotopConfig['mandant']): number | undefined {
  if (typeof mandant === 'number') return mandant
  if (Array.isArray(mandant) && mandant.length === 1) return mandant[0]
  return undefined
}

/** Environment variables that may supply a secret instead of the file. */
export const SECRET_ENV = {
  'melon.token': 'MELON_IMMOTOP_MELON_TOKEN',
  'immotop.password': 'MELON_IMMOTOP_IMMOTOP_PASSWORD',
  'notify.smtp.password': 'MELON_IMMOTOP_SMTP_PASSWORD',
} as const

/** Secrets every connected run needs; the SMTP password is needed only when the server asks for one. */
export const REQUIRED_SECRETS = ['melon.token', 'immotop.password'] as const
export type RequiredSecret = (typeof REQUIRED_SECRETS)[number]

/** Where the config path may come from besides --config. */
export const CONFIG_PATH_ENV = 'MELON_IMMOTOP_CONFIG'

/** melon's API base URL for the config: `{project}` in `melon.baseUrl` is the project name. */
export function melonBaseUrl(config: Pick<MelonConfig, 'baseUrl' | 'project'>): string {
  return config.baseUrl.replace('{project}', config.project)
}
