import { existsSync } from "node:fs";
import { z } from "zod";
import { parseDurationMs } from "../duration.js";
import { findCronProblem } from "../schedule/create-cron-schedule.js";

/**
 * The kinds of value an environment variable can hold: each a zod schema from the variable's trimmed,
 * non-empty text to its typed value. A problem is an issue whose message completes a sentence that
 * starts with the variable's name; with `params.value` the name is followed by `="the text"`, so a
 * kind leaves `value` out where the text may hold a secret (a database password, URL credentials).
 */
export type ValueKind<T> = z.ZodType<T, string>;

/** Adds a problem to a kind's issues; returns z.NEVER, the value of a transform that failed. */
export function reportProblem(ctx: z.RefinementCtx, message: string, value?: string): never {
  ctx.addIssue(
    value === undefined ? { code: "custom", message } : { code: "custom", message, params: { value } },
  );
  return z.NEVER;
}

/** Any text (keys and secrets): never refused, so never echoed. */
export const text: ValueKind<string> = z.string();

/** A duration such as 90s, 15m, 1h30m or 7d, in milliseconds, at least `minMs`. */
export function duration(minMs: number): ValueKind<number> {
  return z.string().transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined || ms < minMs) {
      return reportProblem(
        ctx,
        "must be a duration such as 30s, 15m, 1h or 1h30m" + (minMs > 0 ? ` of at least ${minMs}ms` : ""),
        value,
      );
    }
    return ms;
  });
}

/** A whole number from `min` to `max`, written in digits only. */
export function integer(min: number, max: number, what = "a whole number"): ValueKind<number> {
  return z.string().transform((value, ctx) => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      return reportProblem(ctx, `must be ${what} from ${min} to ${max}`, value);
    }
    return number;
  });
}

/** A TCP port to listen on. */
export const port: ValueKind<number> = integer(1, 65_535, "a port number");

/** A share from 0 to 1 (0, 1, 0.5, .25, 1.0). */
export const fraction: ValueKind<number> = z.string().transform((value, ctx) => {
  if (!/^(0|1|0?\.\d+|1\.0+)$/.test(value)) {
    return reportProblem(ctx, "must be a number from 0 to 1, e.g. 0.5", value);
  }
  return Number(value);
});

/** One of a fixed list of words, spelled exactly; every other word is refused. */
export function choice<const T extends string>(choices: readonly [T, ...T[]]): ValueKind<T> {
  return z.string().transform((value, ctx) => {
    const found = choices.find((c) => c === value);
    return found ?? reportProblem(ctx, `must be one of: ${choices.join(", ")}`, value);
  });
}

/** `true` or `false`, nothing else (no yes/1/on: a typo must not silently mean false). */
export const boolean: ValueKind<boolean> = choice(["false", "true"]).transform((value) => value === "true");

/** An IANA time zone name that this Node's Intl knows. */
export const timezone: ValueKind<string> = z.string().transform((value, ctx) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
  } catch {
    return reportProblem(ctx, "is not an IANA time zone (e.g. UTC, Europe/London)", value);
  }
  return value;
});

/** A cron expression that croner accepts with the fields the scheduler allows (see findCronProblem). */
export const cron: ValueKind<string> = z.string().transform((value, ctx) => {
  const problem = findCronProblem(value);
  if (problem !== undefined) {
    return reportProblem(
      ctx,
      `is not a cron expression (${problem}; minute hour day-of-month month day-of-week, e.g. "0 2 * * *")`,
      value,
    );
  }
  return value;
});

/** The path of a file that exists now (read later, when the run needs it). */
export const existingFile: ValueKind<string> = z.string().transform((value, ctx) => {
  if (!existsSync(value)) return reportProblem(ctx, "does not exist", value);
  return value;
});

/** A postgres:// or postgresql:// connection string; never echoed, since it may hold the password. */
export const postgresUrl: ValueKind<string> = z.string().transform((value, ctx) => {
  if (!/^postgres(ql)?:\/\//.test(value)) {
    return reportProblem(ctx, "must start with postgres:// or postgresql://");
  }
  return value;
});

/**
 * A schema name PostgreSQL never folds or truncates (lowercase letters, digits, underscores, at most 63
 * bytes; written quoted wherever it goes into SQL), and none of the schemas PostgreSQL or every database
 * already has.
 */
export const schemaName: ValueKind<string> = z.string().transform((value, ctx) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
    return reportProblem(
      ctx,
      "must be a lowercase schema name: a letter or _ then letters, digits or _, at most 63 in all (e.g. zephr, tenant_b)",
      value,
    );
  }
  if (value.startsWith("pg_") || value === "public" || value === "information_schema") {
    return reportProblem(
      ctx,
      "is a schema PostgreSQL reserves or every database shares: pick a schema of zephr-sync's own, e.g. zephr or tenant_b",
      value,
    );
  }
  return value;
});

/**
 * An https:// (or http://) API origin with an optional path, returned without a trailing slash. Whether
 * plain http:// is allowed depends on ZEPHR_ALLOW_HTTP: a check across variables (config-checks.ts).
 */
export const apiUrl: ValueKind<string> = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return reportProblem(ctx, "is not a URL (expected https://TENANT.api.zephr.com)", value);
  }
  // Both problems are listed together; neither message echoes the text, which may hold credentials.
  const before = ctx.issues.length;
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    reportProblem(ctx, "must be an https:// (or, for a local simulator, http://) URL");
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    reportProblem(ctx, "must not contain credentials, a query or a fragment");
  }
  if (ctx.issues.length > before) return z.NEVER;
  return url.origin + url.pathname.replace(/\/+$/, "");
});

/** An IP address or host name to listen on, no port or scheme; `[::]` is returned as `::`. */
export const listenHost: ValueKind<string> = z.string().transform((value, ctx) => {
  if (!/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[A-Za-z0-9.-]+)$/.test(value)) {
    return reportProblem(
      ctx,
      "must be an address to listen on, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)",
      value,
    );
  }
  return value.replace(/^\[(.*)\]$/, "$1");
});
