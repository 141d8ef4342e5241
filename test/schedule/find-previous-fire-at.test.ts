import { createCronMatcher, type CronMatcher } from "../../src/schedule/cron-matcher.js";
import { decideCatchUp } from "../../src/schedule/decide-catch-up.js";
import { findPreviousFireAt } from "../../src/schedule/find-previous-fire-at.js";

const at = (iso: string): number => Date.parse(iso);
const never = Number.NEGATIVE_INFINITY;

function previous(
  expression: string,
  timezone: string,
  nowIso: string,
  afterIso?: string,
): string | undefined {
  const cron = createCronMatcher(expression, timezone);
  return findPreviousFireAt(cron, at(nowIso), afterIso === undefined ? never : at(afterIso))?.toISOString();
}

/** The reference for five-field expressions: every minute, walking back, asking node-cron (slow, obviously right). */
function bruteForcePrevious(cron: CronMatcher, nowMs: number, spanMs: number): number | undefined {
  for (let ms = Math.floor(nowMs / 60_000) * 60_000; ms > nowMs - spanMs; ms -= 60_000) {
    if (cron.matches(new Date(ms))) return ms;
  }
  return undefined;
}

describe("the previous scheduled time of a cron expression", () => {
  test("a daily expression fired earlier the same day", () => {
    expect(previous("0 2 * * *", "UTC", "2026-11-29T14:03:36.250Z")).toBe("2026-11-29T02:00:00.000Z");
  });

  test("the current instant counts when it is a scheduled time", () => {
    expect(previous("0 2 * * *", "UTC", "2026-11-29T02:00:00.000Z")).toBe("2026-11-29T02:00:00.000Z");
  });

  test("before today's time, it is yesterday's", () => {
    expect(previous("0 2 * * *", "UTC", "2026-11-29T01:59:59.999Z")).toBe("2026-11-28T02:00:00.000Z");
  });

  test("the expression is read in its zone, summer time included", () => {
    expect(previous("0 2 * * *", "Europe/London", "2026-07-01T12:00:00Z")).toBe("2026-07-01T01:00:00.000Z");
    expect(previous("0 2 * * *", "Europe/London", "2026-01-15T12:00:00Z")).toBe("2026-01-15T02:00:00.000Z");
    expect(previous("30 23 * * *", "America/New_York", "2026-11-29T12:00:00Z")).toBe(
      "2026-11-29T04:30:00.000Z",
    );
    expect(previous("15 8 * * *", "Asia/Kathmandu", "2026-11-29T12:00:00Z")).toBe("2026-11-29T02:30:00.000Z");
  });

  test("a time that does not exist on the day clocks go forward is skipped that day", () => {
    // Europe/London jumps from 01:00 GMT to 02:00 BST on 2026-03-29: there is no 01:30 that day.
    expect(previous("30 1 * * *", "Europe/London", "2026-03-29T12:00:00Z")).toBe("2026-03-28T01:30:00.000Z");
  });

  test("a six-field expression is exact to the second", () => {
    expect(previous("*/15 * * * * *", "UTC", "2026-11-29T14:03:20.500Z")).toBe("2026-11-29T14:03:15.000Z");
  });

  test("weekly and monthly expressions reach back days and weeks", () => {
    // 2026-11-29 is a Sunday.
    expect(previous("0 3 * * 1", "UTC", "2026-11-29T12:00:00Z")).toBe("2026-11-23T03:00:00.000Z");
    expect(previous("0 0 1 * *", "UTC", "2026-11-29T12:00:00Z")).toBe("2026-11-01T00:00:00.000Z");
  });

  test("only times strictly after the given instant count", () => {
    expect(previous("0 2 * * *", "UTC", "2026-11-29T14:00:00Z", "2026-11-29T02:00:00Z")).toBeUndefined();
    expect(previous("0 2 * * *", "UTC", "2026-11-29T14:00:00Z", "2026-11-29T01:59:59.999Z")).toBe(
      "2026-11-29T02:00:00.000Z",
    );
  });

  test("a yearly expression costs at most one matcher call per day, not one per minute of the year", () => {
    const cron = createCronMatcher("0 0 1 1 *", "Europe/Paris");
    let calls = 0;
    const counting: CronMatcher = {
      ...cron,
      matches: (date) => {
        calls++;
        return cron.matches(date);
      },
    };
    expect(findPreviousFireAt(counting, at("2026-11-29T12:00:00Z"), never)?.toISOString()).toBe(
      "2025-12-31T23:00:00.000Z",
    );
    expect(calls).toBeLessThanOrEqual(366);
  });

  test("it agrees with a minute-by-minute search for assorted expressions, zones and instants", () => {
    const expressions = [
      "0 2 * * *",
      "*/7 * * * *",
      "15 */3 * * 1-5",
      "30 1 * * *",
      "0 9-17/2 * * *",
      "20 4 * * 0",
    ];
    const zones = ["UTC", "Europe/London", "America/New_York", "Australia/Adelaide"];
    // Around both European DST changes, the Australian one, and an ordinary day.
    const instants = [
      "2026-03-29T01:45:10Z",
      "2026-10-25T01:30:00Z",
      "2026-04-05T16:10:00Z",
      "2026-11-29T14:03:36Z",
    ];
    const spanMs = 2 * 24 * 3600_000;
    for (const expression of expressions) {
      for (const zone of zones) {
        const cron = createCronMatcher(expression, zone);
        for (const instant of instants) {
          const nowMs = at(instant);
          const expected = bruteForcePrevious(cron, nowMs, spanMs);
          const found = findPreviousFireAt(cron, nowMs, nowMs - spanMs)?.getTime();
          expect({ expression, zone, instant, found }).toEqual({
            expression,
            zone,
            instant,
            found: expected,
          });
        }
      }
    }
  });
});

describe("the catch-up rule", () => {
  const cron = createCronMatcher("0 2 * * *", "UTC");
  const nowMs = at("2026-11-29T14:00:00Z");

  test("a job that never succeeded is due", () => {
    expect(decideCatchUp(cron, undefined, nowMs)).toEqual({ due: true, reason: "never-succeeded" });
  });

  test("a job whose last success ended before the previous scheduled time is due", () => {
    expect(decideCatchUp(cron, new Date("2026-11-28T02:05:00Z"), nowMs)).toEqual({
      due: true,
      reason: "missed",
      previousFireAt: new Date("2026-11-29T02:00:00Z"),
      lastSuccessAt: new Date("2026-11-28T02:05:00Z"),
    });
  });

  test("a job whose last success ended after the previous scheduled time is not due", () => {
    expect(decideCatchUp(cron, new Date("2026-11-29T02:04:00Z"), nowMs)).toEqual({
      due: false,
      reason: "up-to-date",
      lastSuccessAt: new Date("2026-11-29T02:04:00Z"),
    });
  });
});
