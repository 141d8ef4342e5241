import type { RunCounts } from "../db/sync-runs.js";
import type { SyncOutcome } from "../sync/run/run-sync.js";
import type { DryRunReport } from "../sync/run/sync-request.js";
import { formatCount } from "./format.js";

function describeCounts(c: RunCounts): string {
  return (
    `${formatCount(c.pages)} page(s), ${formatCount(c.usersReceived)} users received, ` +
    `${formatCount(c.usersWritten)} users written, ${formatCount(c.attributesWritten)} attribute rows, ` +
    `${formatCount(c.grantsWritten)} grant rows, ${formatCount(c.rejected)} rejected`
  );
}

function describeDryRun(report: DryRunReport): string {
  const deletions =
    report.wouldMarkDeleted === undefined
      ? ""
      : `; ${formatCount(report.wouldMarkDeleted)} users would be marked deleted`;
  return (
    `Dry run: ${formatCount(report.pages)} page(s), ${formatCount(report.usersReceived)} users received: ` +
    `${formatCount(report.newUsers)} new, ${formatCount(report.changedUsers)} changed, ` +
    `${formatCount(report.unchangedUsers)} unchanged, ${formatCount(report.rejected)} rejected${deletions}. Nothing was written.`
  );
}

function describeAfterPhases(outcome: Extract<SyncOutcome, { status: "succeeded" }>): string {
  let text = "";
  const failed = outcome.catalogue?.failed ?? [];
  if (failed.length > 0) {
    text += `\nNames: ${failed.length} listing(s) could not be refreshed (${failed.map((f) => `${f.endpoint}: ${f.reason}`).join("; ")}); the previous names are kept.`;
  }
  const events = outcome.stateEvents;
  if (events?.status === "succeeded") {
    text += `\nState events: ${formatCount(events.rowsReceived)} rows received, ${formatCount(events.rowsInserted)} new.`;
  } else if (events?.status === "failed") {
    text += `\n${events.message} (the user data above is committed).`;
  }
  return text;
}

/** The one-paragraph summary `run` and `backfill` print on stdout. */
export function describeOutcome(outcome: SyncOutcome): string {
  switch (outcome.status) {
    case "locked":
      return "Another zephr-sync run holds the lock on this database; nothing done. Try again when it has finished.";
    case "dry-run":
      return describeDryRun(outcome.report);
    case "succeeded": {
      const what =
        outcome.kind === "full"
          ? "full export"
          : outcome.kind === "file"
            ? "export files"
            : outcome.sinceAt === null
              ? `${outcome.windows} registration window(s)`
              : `since ${outcome.sinceAt.toISOString()}`;
      const deletions =
        outcome.kind === "full" || outcome.usersDeleted > 0 || outcome.usersPurged > 0
          ? ` ${formatCount(outcome.usersDeleted)} users marked deleted${outcome.usersPurged > 0 ? `, ${formatCount(outcome.usersPurged)} purged` : ""}.`
          : "";
      const watermark =
        outcome.watermarkAt === null
          ? " The watermark is unchanged."
          : ` Watermark is now ${outcome.watermarkAt.toISOString()}.`;
      return `Run ${outcome.runId} (${outcome.kind}, ${what}) succeeded: ${describeCounts(outcome.counts)}.${deletions}${watermark}${describeAfterPhases(outcome)}`;
    }
    case "failed":
    case "cancelled": {
      const run = outcome.runId === undefined ? "Run" : `Run ${outcome.runId}`;
      const how = outcome.status === "cancelled" ? "was cancelled" : "failed";
      const resume =
        outcome.error.code !== "NOTHING_TO_RESUME" && outcome.runId !== undefined
          ? " The next run repairs what this one missed."
          : "";
      return `${run} ${how} [${outcome.error.code}]: ${outcome.error.message}\nLoaded before stopping: ${describeCounts(outcome.counts)}. The watermark is unchanged.${resume}`;
    }
  }
}
