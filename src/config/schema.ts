/**
 * The config file's schema (README "Config"). Unknown keys are errors, so that
 * a typo never silently falls back to a default.
 */
import * as z from 'zod'

// Every command loads this module first. A run parses a handful of documents: zod's JIT, which compiles a
// parser per object schema with new Function() on first use, cost more than it saved (doctor: ~40 ms).
z.config({jitless: true})

const dir = z.string().min(1)
const mandantNr = z.number().int().positive()

export const MelonConfigSchema = z
  .object({
    baseUrl: z.string().min(1).default('https://{project}.api.melon.rent'),
    project: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and -, as in <project>.melon.rent'),
    token: z.string().min(1).optional(),
    caFile: z.string().min(1).optional(),
    allowInsecureHttp: z.boolean().default(false),
    timeoutMs: z.number().int().positive().default(30_000),
    /** A document melon declares larger than this is refused before the download (and the body is cut at its declared size). */
    maxDocumentBytes: z.number().int().positive().default(1024 ** 3),
    /** A download must keep at least this rate overall: it ends after downloadGraceSeconds + size / rate. */
    downloadMinBytesPerSecond: z.number().positive().default(32 * 1024),
    downloadGraceSeconds: z.number().positive().default(60),
    /** The most pages one list may have (listings, tenants); more is a runaway answer. */
    maxPages: z.number().int().positive().default(1000),
  })
  .strict()

export const ImmotopConfigSchema = z
  .object({
    baseUrl: z.string().min(1),
    user: z.string().min(1).default('wwdms'),
    password: z.string().min(1).optional(),
    apiVersion: z.string().min(1).default('1.0'),
    /** One mandant number, a list, or "all": every mandant whose mandanttypcode is in mandantTypes. */
    mandant: z.union([mandantNr, z.array(mandantNr).min(1), z.literal('all')], {error: 'expected a mandant number, a list of numbers, or "all"'}),
    /** With mandant "all": the mandant types that let (W&W mandanttypcode: V Vermietung, S Stockwerk, G Genossenschaft). */
    mandantTypes: z.array(z.string().regex(/^[A-Z]$/, 'one capital letter, as W&W\'s mandanttypcode (V, S, G)')).min(1).default(['V']),
    /** An IDX 3.01 or dta-mpexp export whose records give rooms, area, floor, type and rent of the units REST finds vacant. */
    detailsFile: z.string().min(1).optional(),
    caFile: z.string().min(1).optional(),
    allowInsecureHttp: z.boolean().default(false),
    timeoutMs: z.number().int().positive().default(30_000),
  })
  .strict()

export const StagingConfigSchema = z
  .object({
    /** W&W's staging folder 2 (DMS → Immotop 2): melon-immotop delivers here. */
    incomingDir: dir,
    /** W&W's staging folder 1 (Immotop 2 → DMS): where answers (SavedDocument, FehlerText) arrive, if Immotop 2 writes any. */
    ackDir: dir,
    /** How long export-tenant and sync wait for Immotop 2 to pick the files up; then the handover stays "waiting for pick-up". */
    pickupTimeoutSeconds: z.number().positive().optional(),
    /** The earlier name of pickupTimeoutSeconds, still read. */
    ackTimeoutSeconds: z.number().positive().optional(),
    /** An answer (control file) in ackDir larger than this is not read. */
    maxAnswerBytes: z.number().int().positive().default(64 * 1024),
    /** The id of the archive configured in Immotop 2 (W&W's DmsArchivId, e.g. "Archiv1"); empty when unset. */
    dmsArchivId: z.string().max(64).regex(/^[^\u0000-\u001f<>&]*$/, 'printable text without <, > or &').default(''),
  })
  .strict()
  .transform(({ackTimeoutSeconds, pickupTimeoutSeconds, ...rest}) => ({...rest, pickupTimeoutSeconds: pickupTimeoutSeconds ?? ackTimeoutSeconds ?? 120}))

export const PublishConfigSchema = z
  .object({
    /** Where `publish --all` reads vacancies: Immotop 2's REST views, a dta-mpexp export or an IDX 3.01 file. */
    source: z.enum(['rest', 'dta-mpexp', 'idx']).default('rest'),
    /** The export file, for source dta-mpexp or idx. */
    file: z.string().min(1).optional(),
    /** Publish IDX SALE records too. */
    includeSale: z.boolean().default(false),
  })
  .strict()
  .refine((p) => p.source === 'rest' || p.file !== undefined, {message: 'publish.file is required when publish.source is dta-mpexp or idx', path: ['file']})

export const NotifyConfigSchema = z
  .object({
    /** Who draws up contracts: each gets one mail per tenant handed over. */
    recipients: z.array(z.string().email()).min(1),
    from: z.string().min(3),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        /** Implicit TLS (port 465). Otherwise STARTTLS, required for hosts that are not loopback. */
        secure: z.boolean().default(false),
        user: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        caFile: z.string().min(1).optional(),
        /** Allow SMTP without TLS to a host that is not loopback. */
        allowInsecure: z.boolean().default(false),
        timeoutMs: z.number().int().positive().default(15_000),
      })
      .strict(),
  })
  .strict()

export const SyncConfigSchema = z
  .object({
    /** Tenants handed over at the same time. */
    concurrency: z.number().int().min(1).max(16).default(4),
    /** Seconds between passes of `sync` without --once. */
    intervalSeconds: z.number().positive().default(60),
    /** Also publish the vacancies of the configured source on every pass. */
    publish: z.boolean().default(false),
    /**
     * Closing the loop: once the contract exists in Immotop 2, melon learns it and
     * the listing is set to rented (or withdrawn); `off` stops watching.
     */
    onContract: z.enum(['rented', 'withdraw', 'off']).default('rented'),
    /** A new tenancy counts as the contract when it starts within this many days of the requested move-in date. */
    contractWindowDays: z.number().int().min(0).max(366).default(31),
    /** How long after the pick-up a handover is watched for its contract; then the watch closes as expired. */
    contractWatchDays: z.number().int().min(1).max(3660).default(120),
  })
  .strict()

export const ConfigSchema = z
  .object({
    melon: MelonConfigSchema,
    immotop: ImmotopConfigSchema,
    staging: StagingConfigSchema,
    stateDir: dir,
    publish: PublishConfigSchema.default({source: 'rest', includeSale: false}),
    notify: NotifyConfigSchema.optional(),
    sync: SyncConfigSchema.default({concurrency: 4, intervalSeconds: 60, publish: false, onContract: 'rented', contractWindowDays: 31, contractWatchDays: 120}),
  })
  .strict()

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
