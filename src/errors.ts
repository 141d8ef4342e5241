/**
 * The few error classes zephr-sync throws, each with a stable code that logs, `sync_runs.error_code`
 * and tests can rely on. Messages say what happened and what to do about it.
 */

export const syncErrorCodes = [
  "CONFIG_INVALID",
  "USAGE",
  "ZEPHR_AUTH",
  "ZEPHR_FORBIDDEN",
  "ZEPHR_BAD_REQUEST",
  "ZEPHR_UNAVAILABLE",
  "ZEPHR_NETWORK",
  "ZEPHR_TIMEOUT",
  "EXPORT_MALFORMED",
  "EXPORT_TOO_MANY_PAGES",
  "EXPORT_INCOMPLETE",
  "EXPORT_PAGING",
  /** An export file given to `load` is empty, cut short, not JSON or not UTF-8: nothing was loaded. */
  "EXPORT_FILE_INVALID",
  "DB_UNAVAILABLE",
  "DB_ERROR",
  "LOCK_LOST",
  "CANCELLED",
  "RECONCILE_REFUSED",
  "NOTHING_TO_RESUME",
  /** This database mirrors another Zephr tenant (ZEPHR_BASE_URL): refused before anything is written. */
  "TENANT_MISMATCH",
  /** Not a Zephr or database failure but a bug in zephr-sync; its stack is logged (see toSyncError). */
  "INTERNAL",
] as const;

export type SyncErrorCode = (typeof syncErrorCodes)[number];

export class SyncError extends Error {
  /** True when the same operation may succeed if tried again (network resets, 5xx, 429, 40001). */
  readonly transient: boolean;
  /** Milliseconds the server asked us to wait before trying again (`Retry-After`), if it said. */
  readonly retryAfterMs: number | undefined;
  /** The HTTP status Zephr answered, when the error is that answer (e.g. 404 for a listing it lacks). */
  readonly httpStatus: number | undefined;

  constructor(
    readonly code: SyncErrorCode,
    message: string,
    options?: { cause?: unknown; transient?: boolean; retryAfterMs?: number; httpStatus?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.transient = options?.transient ?? false;
    this.retryAfterMs = options?.retryAfterMs;
    this.httpStatus = options?.httpStatus;
  }
}

/** Raised before any work starts when the environment is incomplete or malformed: lists every problem. */
export class ConfigError extends SyncError {
  constructor(readonly problems: readonly string[]) {
    super(
      "CONFIG_INVALID",
      `Configuration is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}\nSee 'zephr-sync --help' or the README's configuration table.`,
    );
  }
}

/** SQLSTATE codes we act on, named once. */
export const sqlState = {
  uniqueViolation: "23505",
  cardinalityViolation: "21000",
  serializationFailure: "40001",
  deadlockDetected: "40P01",
  adminShutdown: "57P01",
  queryCanceled: "57014",
  lockNotAvailable: "55P03",
  diskFull: "53100",
  outOfMemory: "53200",
  tooManyConnections: "53300",
  cannotConnectNow: "57P03",
  invalidPassword: "28P01",
  invalidAuthorization: "28000",
  undefinedDatabase: "3D000",
  undefinedTable: "42P01",
  insufficientPrivilege: "42501",
} as const;

/** The message of anything thrown, without assuming it is an Error. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The SQLSTATE of a pg error, if the value is one. */
export function findSqlState(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const { code } = error;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
