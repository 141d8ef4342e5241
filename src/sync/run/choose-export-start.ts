import type { Logger } from "../../logger.js";

export interface ExportStartClock {
  /** ZEPHR_WATERMARK_CLOCK: whose clock the watermark is read from. */
  readonly clock: "server" | "local";
  /** ZEPHR_MAX_CLOCK_SKEW (ms). */
  readonly maxClockSkewMs: number;
}

/**
 * The instant an export started, which becomes the watermark when the run succeeds: Zephr's clock (the
 * HTTP Date of the first page) when it sent one, but never later than this machine's clock at the
 * request plus ZEPHR_MAX_CLOCK_SKEW. A Date further ahead is not trusted (a watermark in the future
 * would make every later `since` skip the users changed in between): the local clock at the request is
 * used instead, which is safe since an earlier watermark only widens the next window, re-reading users.
 * For the same reason a Date behind ours is kept, with a warning beyond the bound. No Date, or
 * ZEPHR_WATERMARK_CLOCK=local: the local clock at the request.
 */
export function chooseExportStart(
  settings: ExportStartClock,
  serverDateMs: number | undefined,
  requestedAtMs: number,
  logger: Logger,
): Date {
  if (settings.clock === "local" || serverDateMs === undefined) return new Date(requestedAtMs);
  const skewMs = serverDateMs - requestedAtMs;
  const context = {
    skewMs,
    serverDate: new Date(serverDateMs).toISOString(),
    localDate: new Date(requestedAtMs).toISOString(),
    maxClockSkewMs: settings.maxClockSkewMs,
  };
  if (skewMs > settings.maxClockSkewMs) {
    logger.warn(
      context,
      "Zephr's clock (HTTP Date) is ahead of this machine's by more than ZEPHR_MAX_CLOCK_SKEW: the watermark uses this machine's clock instead. Check the clocks.",
    );
    return new Date(requestedAtMs);
  }
  if (-skewMs > settings.maxClockSkewMs) {
    logger.warn(
      context,
      "Zephr's clock (HTTP Date) is behind this machine's by more than ZEPHR_MAX_CLOCK_SKEW: kept as the watermark (an earlier one only widens the next window). Check the clocks.",
    );
  }
  return new Date(serverDateMs);
}
