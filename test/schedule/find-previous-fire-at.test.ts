import {
  createCronSchedule,
  findCronProblem,
  type CronSchedule,
} from "../../src/schedule/create-cron-schedule.js";
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
  const cron = createCronSchedule(expression, timezone);
  return findPreviousFireAt(cron, at(nowIso), afterIso === undefined ? never : at(afterIso))?.toISOString();
}

/** The fire times in (fromIso, toIso], walking forward as the triggers do. */
function firesBetween(expression: string, timezone: string, fromIso: string, toIso: string): string[] {
  const cron = createCronSchedule(expression, timezone);
  const fires: string[] = [];
  for (let next = cron.findNextFireAt(at(fromIso)); next !== undefined && next.getTime() <= at(toIso);) {
    fires.push(next.toISOString());
    next = cron.findNextFireAt(next.getTime());
  }
  return fires;
}

/** The reference: the last fire time in the span, walking forward from its start (the triggers' direction). */
function lastFireWalkingForward(cron: CronSchedule, nowMs: number, spanMs: number): number | undefined {
  let last: number | undefined;
  for (let next = cron.findNextFireAt(nowMs - spanMs); next !== undefined && next.getTime() <= nowMs;) {
    last = next.getTime();
    next = cron.findNextFireAt(last);
  }
  return last;
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

  test("a six-field expression is exact to the second", () => {
    expect(previous("*/15 * * * * *", "UTC", "2026-11-29T14:03:20.500Z")).toBe("2026-11-29T14:03:15.000Z");
  });

  test("weekly and monthly expressions reach back days and weeks", () => {
    // 2026-11-29 is a Sunday.
    expect(previous("0 3 * * 1", "UTC", "2026-11-29T12:00:00Z")).toBe("2026-11-23T03:00:00.000Z");
    expect(previous("0 0 1 * *", "UTC", "2026-11-29T12:00:00Z")).toBe("2026-11-01T00:00:00.000Z");
  });

  test("day-of-month and day-of-week both restricted means both, as node-cron read them", () => {
    // The first Monday the 1st before 2026-11-29 is 2026-06-01.
    expect(previous("0 0 1 * 1", "UTC", "2026-11-29T12:00:00Z")).toBe("2026-06-01T00:00:00.000Z");
  });

  test("only times strictly after the given instant count", () => {
    expect(previous("0 2 * * *", "UTC", "2026-11-29T14:00:00Z", "2026-11-29T02:00:00Z")).toBeUndefined();
    expect(previous("0 2 * * *", "UTC", "2026-11-29T14:00:00Z", "2026-11-29T01:59:59.999Z")).toBe(
      "2026-11-29T02:00:00.000Z",
    );
  });

  test("the search reaches back a year, and no further", () => {
    // Paris midnight on 1 January is 23:00 UTC the day before.
    expect(previous("0 0 1 1 *", "Europe/Paris", "2026-11-29T12:00:00Z")).toBe("2025-12-31T23:00:00.000Z");
    // The last 29 February was in 2024, more than 366 days before.
    expect(previous("0 0 29 2 *", "UTC", "2026-11-29T12:00:00Z")).toBeUndefined();
    expect(previous("0 0 29 2 *", "UTC", "2024-12-01T12:00:00Z")).toBe("2024-02-29T00:00:00.000Z");
  });

  test("an expression that matches no date has no previous time", () => {
    expect(previous("0 0 31 2 *", "UTC", "2026-11-29T12:00:00Z")).toBeUndefined();
  });

  test("it agrees with the fire times walked forward, across DST changes", () => {
    const expressions = [
      "0 2 * * *",
      "*/7 * * * *",
      "15 */3 * * 1-5",
      "30 1 * * *",
      "0,30 1 * * *",
      "0 9-17/2 * * *",
      "20 4 * * 0",
    ];
    const zones = ["UTC", "Europe/London", "America/New_York", "Australia/Adelaide"];
    // Inside both European DST changes, the Australian one, and an ordinary day.
    const instants = [
      "2026-03-29T01:45:10Z",
      "2026-10-25T01:30:00Z",
      "2026-10-25T00:40:00Z",
      "2026-04-05T16:10:00Z",
      "2026-11-29T14:03:36Z",
    ];
    const spanMs = 26 * 3600_000;
    for (const expression of expressions) {
      for (const zone of zones) {
        const cron = createCronSchedule(expression, zone);
        for (const instant of instants) {
          const nowMs = at(instant);
          const expected = lastFireWalkingForward(cron, nowMs, spanMs);
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

describe("fire times on the days clocks change (croner's rules, those of Vixie cron)", () => {
  // Europe/London: 2026-03-29 01:00 GMT -> 02:00 BST (no 01:xx); 2026-10-25 02:00 BST -> 01:00 GMT (01:xx twice).
  // America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.

  test("a fixed time in the gap fires when the clocks have jumped, that same day", () => {
    expect(previous("30 1 * * *", "Europe/London", "2026-03-29T12:00:00Z")).toBe("2026-03-29T01:00:00.000Z");
    expect(
      firesBetween("30 1 * * *", "Europe/London", "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z"),
    ).toEqual(["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
    // The default schedule, 02:00, does not exist in New York that day: it runs at 03:00 EDT.
    expect(previous("0 2 * * *", "America/New_York", "2026-03-08T12:00:00Z")).toBe(
      "2026-03-08T07:00:00.000Z",
    );
  });

  test("a time repeated when clocks go back fires once, at its first occurrence", () => {
    expect(
      firesBetween("30 1 * * *", "Europe/London", "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z"),
    ).toEqual(["2026-10-25T00:30:00.000Z"]);
    // During the second pass, the previous time is still the first one.
    expect(previous("30 1 * * *", "Europe/London", "2026-10-25T01:40:00Z")).toBe("2026-10-25T00:30:00.000Z");
    expect(
      firesBetween("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", "2026-11-01T12:00:00Z"),
    ).toEqual(["2026-11-01T05:30:00.000Z"]);
  });

  test("an interval expression skips the times in the gap", () => {
    expect(
      firesBetween("0,30 1 * * *", "Europe/London", "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"),
    ).toEqual([]);
    expect(
      firesBetween("*/30 * * * *", "Europe/London", "2026-03-29T00:10:00Z", "2026-03-29T01:10:00Z"),
    ).toEqual(["2026-03-29T00:30:00.000Z", "2026-03-29T01:00:00.000Z"]);
  });

  test("an interval expression fires on both passes of the repeated hour", () => {
    expect(
      firesBetween("*/30 * * * *", "Europe/London", "2026-10-24T23:45:00Z", "2026-10-25T02:00:00Z"),
    ).toEqual([
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T01:00:00.000Z",
      "2026-10-25T01:30:00.000Z",
      "2026-10-25T02:00:00.000Z",
    ]);
    expect(previous("*/30 * * * *", "Europe/London", "2026-10-25T01:10:00Z")).toBe(
      "2026-10-25T01:00:00.000Z",
    );
    expect(previous("*/30 * * * *", "Europe/London", "2026-10-25T00:40:00Z")).toBe(
      "2026-10-25T00:30:00.000Z",
    );
  });
});

describe("which expressions make a schedule", () => {
  test("five fields, or six with seconds first, with names, lists, ranges, steps, L and #", () => {
    for (const expression of [
      "0 2 * * *",
      "*/15 * * * * *",
      "0 4 * * SUN",
      "0 9-17/2 * * 1-5",
      "0 0 L * *",
      "0 0 * * 5#2",
      "@daily",
    ]) {
      expect({ expression, problem: findCronProblem(expression) }).toEqual({
        expression,
        problem: undefined,
      });
    }
  });

  test("anything else is refused with the reason", () => {
    expect(findCronProblem("every night")).toBe("2 fields, where 5 are expected (or 6 with seconds first)");
    expect(findCronProblem("0 99 * * *")).toBe("Invalid value for hour: 99");
    expect(findCronProblem("0 0 1 1 * 2027")).toMatch(/dayOfWeek/);
    expect(findCronProblem("0 0 0 1 1 * 2027")).toBe(
      "7 fields, where 5 are expected (or 6 with seconds first)",
    );
    expect(findCronProblem("0 0 31 2 *")).toBe("it matches no date");
  });
});

describe("the catch-up rule", () => {
  const cron = createCronSchedule("0 2 * * *", "UTC");
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

  test("on the day New York skips 02:00, the 03:00 run counts as scheduled", () => {
    const newYork = createCronSchedule("0 2 * * *", "America/New_York");
    expect(decideCatchUp(newYork, new Date("2026-03-07T07:05:00Z"), at("2026-03-08T12:00:00Z"))).toEqual({
      due: true,
      reason: "missed",
      previousFireAt: new Date("2026-03-08T07:00:00Z"),
      lastSuccessAt: new Date("2026-03-07T07:05:00Z"),
    });
  });
});
