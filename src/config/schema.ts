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

export const ConfigSchema = z
  .object({
    melon: MelonConfigSchema,
    immotop: ImmotopConfigSchema,
    staging: StagingConfigSchema,
    stateDir: dir,
    publish: PublishConfigSchema.default({source: 'rest', includeSale: false}),
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
} as const

/** Where the config path may come from besides --config. */
export const CONFIG_PATH_ENV = 'MELON_IMMOTOP_CONFIG'
