import type { SyncProgressEvent, SyncProgressListener } from "../sync/run/sync-progress.js";
import { formatCount, formatElapsed } from "./format.js";
import { describeStateEventsProgress } from "../sync/state-events/state-events-progress.js";

function formatMegabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)}MB`;
}

/** The one status line for an event, in the wording of Zephr's own console. */
export function describeProgress(event: SyncProgressEvent): string {
  switch (event.type) {
    case "preparing":
      return `Preparing user export… (run ${event.runId}, ${event.kind === "file" ? "export files" : event.sinceAt === null ? "full export" : `users updated since ${event.sinceAt.toISOString()}`})`;
    case "downloading": {
      const seconds = Math.max(event.elapsedMs, 1) / 1000;
      const rate = event.users / seconds;
      const size =
        event.totalBytes !== undefined
          ? `${formatMegabytes(event.bytes)} / ${formatMegabytes(event.totalBytes)}`
          : event.expectedUsers !== undefined && event.users > 0 && event.expectedUsers >= event.users
            ? `${formatMegabytes(event.bytes)} / ~${formatMegabytes((event.bytes / event.users) * event.expectedUsers)}`
            : formatMegabytes(event.bytes);
      const byteRate = event.bytes / seconds;
      const eta =
        event.totalBytes !== undefined && byteRate > 0 && event.totalBytes >= event.bytes
          ? `, ETA ${formatElapsed(((event.totalBytes - event.bytes) / byteRate) * 1000)}`
          : event.expectedUsers !== undefined && rate > 0 && event.expectedUsers >= event.users
            ? `, ETA ${formatElapsed(((event.expectedUsers - event.users) / rate) * 1000)}`
            : "";
      return `Downloading: ${size} (page ${event.pages + 1}, ${formatCount(event.users)} users, ${formatCount(Math.round(rate))} users/s${eta})`;
    }
    case "retrying":
      return `Retrying page ${event.page} in ${formatElapsed(event.delayMs)}: ${event.reason}`;
    case "complete":
      return `Export complete! ${formatCount(event.counts.usersReceived)} users in ${formatElapsed(event.elapsedMs)}, ${formatCount(event.counts.usersWritten)} written.`;
    case "failed":
      return `Export failed: ${event.error.message}`;
    case "state-events-downloading":
    case "state-events-complete":
    case "state-events-failed":
      return describeStateEventsProgress(event);
  }
}

/**
 * A progress line redrawn in place on a terminal (at most every `intervalMs`), with the final line
 * kept. Off a terminal it shows nothing: the JSON log lines tell the same story to machines.
 */
export function createProgressDisplay(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  now: () => number = Date.now,
  intervalMs = 100,
): SyncProgressListener | undefined {
  if (stream.isTTY !== true) return undefined;
  let lastDrawMs = -Infinity;
  return (event) => {
    const final = !["downloading", "state-events-downloading", "retrying"].includes(event.type);
    if (
      (event.type === "downloading" || event.type === "state-events-downloading") &&
      now() - lastDrawMs < intervalMs
    ) {
      return;
    }
    lastDrawMs = now();
    stream.write(`\r\u001b[2K${describeProgress(event)}${final || event.type === "retrying" ? "\n" : ""}`);
  };
}
