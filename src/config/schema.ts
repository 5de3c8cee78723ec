/**
 * The config file's schema (README "Config"). Unknown keys are errors, so that
 * a typo never silently falls back to a default.
 */
import {z} from 'zod'

const dir = z.string().min(1)

export const MelonConfigSchema = z
  .object({
    baseUrl: z.string().min(1).default('https://{project}.api.melon.rent'),
    project: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and -, as in <project>.melon.rent'),
    token: z.string().min(1).optional(),
    caFile: z.string().min(1).optional(),
    allowInsecureHttp: z.boolean().default(false),
    timeoutMs: z.number().int().positive().default(30_000),
  })
  .strict()

export const ImmotopConfigSchema = z
  .object({
    baseUrl: z.string().min(1),
    user: z.string().min(1).default('wwdms'),
    password: z.string().min(1).optional(),
    apiVersion: z.string().min(1).default('1.0'),
    mandant: z.number().int().positive(),
    caFile: z.string().min(1).optional(),
    allowInsecureHttp: z.boolean().default(false),
    timeoutMs: z.number().int().positive().default(30_000),
  })
  .strict()

export const StagingConfigSchema = z
  .object({
    incomingDir: dir,
    ackDir: dir,
    ackTimeoutSeconds: z.number().positive().default(120),
  })
  .strict()

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
    sync: SyncConfigSchema.default({concurrency: 4, intervalSeconds: 60, publish: false}),
  })
  .strict()

export type AppConfigInput = z.input<typeof ConfigSchema>
export type AppConfig = z.output<typeof ConfigSchema>
export type MelonConfig = AppConfig['melon']
export type ImmotopConfig = AppConfig['immotop']

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
