import { parseDurationMs } from "../duration.js";
import { parseInstant } from "../sync/normalize/parse-instant.js";
import type { SyncRequest } from "../sync/run/sync-request.js";

export interface BackfillFlags {
  readonly since?: string | undefined;
  readonly "registered-since"?: string | undefined;
  readonly "registered-before"?: string | undefined;
  readonly chunk?: string | undefined;
  readonly resume?: boolean | undefined;
  readonly full?: boolean | undefined;
  readonly "purge-deleted"?: boolean | undefined;
  readonly "dry-run"?: boolean | undefined;
}

/** Thrown for flags that do not make a backfill; the CLI maps it to exit 2. */
export class BackfillUsageError extends Error {}

function instant(flag: string, text: string): Date {
  const iso = parseInstant(text, "UTC");
  if (iso === undefined) {
    throw new BackfillUsageError(
      `--${flag} ${JSON.stringify(text)} is not an instant (e.g. 2024-01-31 or 2024-01-31T12:00:00Z)`,
    );
  }
  return new Date(iso);
}

/**
 * `backfill` takes exactly one of --since, --registered-since, --resume, --full; --dry-run goes with any
 * but --resume, --purge-deleted only with --full, --registered-before and --chunk only with
 * --registered-since (default: up to now, 30-day windows).
 */
export function parseBackfillArgs(flags: BackfillFlags, nowMs: number): SyncRequest {
  const modes = (["since", "registered-since", "resume", "full"] as const).filter(
    (m) => flags[m] !== undefined,
  );
  if (modes.length !== 1) {
    throw new BackfillUsageError(
      "backfill takes exactly one of --since, --registered-since, --resume or --full",
    );
  }
  const dryRun = flags["dry-run"] === true;
  const mode = modes[0];
  if (flags["purge-deleted"] === true && mode !== "full")
    throw new BackfillUsageError("--purge-deleted goes with --full");
  if (
    (flags["registered-before"] !== undefined || flags.chunk !== undefined) &&
    mode !== "registered-since"
  ) {
    throw new BackfillUsageError("--registered-before and --chunk go with --registered-since");
  }
  if (mode === "resume" && dryRun) throw new BackfillUsageError("--dry-run cannot be combined with --resume");
  switch (mode) {
    case "since":
      return { kind: "since", since: instant("since", flags.since ?? ""), dryRun };
    case "full":
      return { kind: "full", purgeDeleted: flags["purge-deleted"] === true, dryRun };
    case "resume":
      return { kind: "resume" };
    case "registered-since":
    default: {
      const registeredSince = instant("registered-since", flags["registered-since"] ?? "");
      const before = flags["registered-before"];
      const registeredBefore = before === undefined ? new Date(nowMs) : instant("registered-before", before);
      if (registeredBefore <= registeredSince) {
        throw new BackfillUsageError("--registered-before must be later than --registered-since");
      }
      const chunkMs = parseDurationMs(flags.chunk ?? "30d");
      if (chunkMs === undefined || chunkMs < 60_000) {
        throw new BackfillUsageError(
          `--chunk ${JSON.stringify(flags.chunk)} must be a duration of at least 1m, e.g. 7d or 30d`,
        );
      }
      return { kind: "registered", registeredSince, registeredBefore, chunkMs, dryRun };
    }
  }
}
