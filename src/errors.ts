/**
 * The one error taxonomy of melon-immotop. Every failure that reaches the user
 * is one of these classes; each carries a stable code, a one-line message, a
 * fix line and a documented exit code (README "Exit codes").
 *
 * Messages must never contain secrets or dossier content. Adapters build them
 * from ids, hosts, paths and status codes only.
 */
export const ExitCode = {
  OK: 0,
  CHECKS_FAILED: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  AUTH: 4,
  CONFLICT: 5,
  REJECTED: 6,
  UNAVAILABLE: 7,
  INTEGRITY: 8,
  DATA: 65,
  INTERNAL: 70,
  STATE: 74,
  TEMPFAIL: 75,
  CONFIG: 78,
  SIGINT: 130,
  SIGTERM: 143,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface AppErrorOptions {
  /** Extra facts shown only with --verbose (never secrets). */
  details?: Record<string, unknown>
  cause?: unknown
}

export abstract class AppError extends Error {
  abstract readonly exitCode: ExitCodeValue
  readonly details?: Record<string, unknown>

  constructor(
    readonly code: string,
    message: string,
    readonly fix: string,
    options: AppErrorOptions = {},
  ) {
    super(message)
    this.name = new.target.name
    this.details = options.details
    if (options.cause !== undefined) Object.defineProperty(this, 'cause', {value: options.cause, enumerable: false})
  }

  toJSON(): {code: string; message: string; fix: string; exitCode: number} {
    return {code: this.code, message: this.message, fix: this.fix, exitCode: this.exitCode}
  }
}

/** Wrong flags or arguments. */
export class UsageError extends AppError {
  readonly exitCode = ExitCode.USAGE
}
/** The config file or environment is missing, unreadable or invalid. */
export class ConfigError extends AppError {
  readonly exitCode = ExitCode.CONFIG
}
/** A tenant, unit or listing does not exist. */
export class NotFoundError extends AppError {
  readonly exitCode = ExitCode.NOT_FOUND
}
/** Credentials refused (401) or a right is missing (403). */
export class AuthError extends AppError {
  readonly exitCode = ExitCode.AUTH
}
/** The thing exists but is in the wrong state (tenant already has a contract, unit is let). */
export class ConflictError extends AppError {
  readonly exitCode = ExitCode.CONFLICT
}
/** The remote system understood the request and refused it (400/422, FehlerText). */
export class RemoteRejectedError extends AppError {
  readonly exitCode = ExitCode.REJECTED
}
/** DNS, connection, TLS, timeout, 429 or 5xx: the remote cannot be used right now. */
export class UnavailableError extends AppError {
  readonly exitCode = ExitCode.UNAVAILABLE
}
/** An input file (IDX, dta-mpexp) is malformed: names file, line and field. */
export class InvalidInputError extends AppError {
  readonly exitCode = ExitCode.DATA
}
/** A checksum, size or response shape does not match the contract. */
export class IntegrityError extends AppError {
  readonly exitCode = ExitCode.INTEGRITY
}
/** Local state unusable: the ledger is lost or corrupt, a disk is full, a local folder cannot be written. */
export class StateError extends AppError {
  readonly exitCode = ExitCode.STATE
}
/** Try again later: another process holds the lock. */
export class BusyError extends AppError {
  readonly exitCode = ExitCode.TEMPFAIL
}
/** Our fault. */
export class BugError extends AppError {
  readonly exitCode = ExitCode.INTERNAL
}
/** The run was interrupted by SIGINT/SIGTERM. */
export class InterruptedError extends AppError {
  readonly exitCode: ExitCodeValue
  constructor(signal: 'SIGINT' | 'SIGTERM', message: string) {
    super('INTERRUPTED', message, 'Run the command again; nothing was left half-done.')
    this.exitCode = signal === 'SIGINT' ? ExitCode.SIGINT : ExitCode.SIGTERM
  }
}

/** Anything that is not an AppError is a bug: say so, keep the original for --verbose. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error
  const name = error instanceof Error ? error.name : typeof error
  // Ctrl-C at any @inquirer/prompts question ends it with an ExitPromptError: an interrupt, not a bug.
  if (name === 'ExitPromptError') return new InterruptedError('SIGINT', 'Interrupted by Ctrl-C at a question; nothing was changed.')
  return new BugError(
    'INTERNAL',
    `Internal error (${name}). This is a bug in melon-immotop.`,
    'Run again with --verbose and report the output (it is redacted) to the melon-immotop maintainers.',
    {cause: error},
  )
}

/** An error that was recorded as JSON (in a report) and is raised again with its own exit code. */
export class RecordedError extends AppError {
  readonly exitCode: ExitCodeValue
  constructor(recorded: {code: string; message: string; fix: string; exitCode: number}) {
    super(recorded.code, recorded.message, recorded.fix)
    this.exitCode = recorded.exitCode as ExitCodeValue
  }
}

/**
 * A full disk (ENOSPC, SQLITE_FULL) while writing into `folder`, said as such:
 * never a network error or a bug. `kept` tells what is safe.
 */
export function diskFullError(error: unknown, folder: string, kept: string): StateError | null {
  const code = (error as {code?: unknown} | null)?.code
  // node:sqlite says SQLITE_FULL as its numeric result code 13 (extended codes keep it in the low byte).
  const errcode = (error as {errcode?: unknown} | null)?.errcode
  const sqliteFull = typeof errcode === 'number' && (errcode & 0xff) === 13
  if (code !== 'ENOSPC' && code !== 'SQLITE_FULL' && code !== 'EDQUOT' && !sqliteFull) return null
  return new StateError('DISK_FULL', `The disk is full: no space left to write into ${folder}. ${kept}`, `Free space on the volume of ${folder} (or raise the quota), then run the same command again; nothing is sent twice.`, {cause: error})
}
