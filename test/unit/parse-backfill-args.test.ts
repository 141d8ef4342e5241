import { BackfillUsageError, parseBackfillArgs } from "../../src/commands/parse-backfill-args.js";

const now = Date.parse("2026-11-29T12:00:00Z");

describe("backfill arguments", () => {
  test("--since takes an instant, with or without a time", () => {
    expect(parseBackfillArgs({ since: "2024-01-31" }, now)).toEqual({
      kind: "since",
      since: new Date("2024-01-31T00:00:00Z"),
      dryRun: false,
    });
    expect(parseBackfillArgs({ since: "2024-01-31T12:30:00+01:00", "dry-run": true }, now)).toEqual({
      kind: "since",
      since: new Date("2024-01-31T11:30:00Z"),
      dryRun: true,
    });
  });

  test("--registered-since defaults to windows of 30 days up to now", () => {
    expect(parseBackfillArgs({ "registered-since": "2026-01-01" }, now)).toEqual({
      kind: "registered",
      registeredSince: new Date("2026-01-01T00:00:00Z"),
      registeredBefore: new Date(now),
      chunkMs: 30 * 86_400_000,
      dryRun: false,
    });
  });

  test("--full takes --purge-deleted and --dry-run; --resume takes nothing", () => {
    expect(parseBackfillArgs({ full: true, "purge-deleted": true }, now)).toEqual({
      kind: "full",
      purgeDeleted: true,
      dryRun: false,
    });
    expect(parseBackfillArgs({ resume: true }, now)).toEqual({ kind: "resume" });
  });

  test.each([
    [{}, /exactly one of/],
    [{ full: true, since: "2024-01-01" }, /exactly one of/],
    [{ since: "yesterday" }, /not an instant/],
    [{ since: "2024-01-01", "purge-deleted": true }, /--purge-deleted goes with --full/],
    [{ full: true, chunk: "7d" }, /go with --registered-since/],
    [{ resume: true, "dry-run": true }, /cannot be combined/],
    [{ "registered-since": "2026-01-01", "registered-before": "2025-01-01" }, /must be later/],
    [{ "registered-since": "2026-01-01", chunk: "5s" }, /at least 1m/],
  ])("%j is refused with a reason", (flags, message) => {
    expect(() => parseBackfillArgs(flags, now)).toThrow(BackfillUsageError);
    expect(() => parseBackfillArgs(flags, now)).toThrow(message);
  });
});
