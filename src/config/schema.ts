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

export const ConfigSchema = z
  .object({
    melon: MelonConfigSchema,
    immotop: ImmotopConfigSchema,
    staging: StagingConfigSchema,
    stateDir: dir,
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
