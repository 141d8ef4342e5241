import { findWatermark } from "../../src/db/sync-watermarks.js";
import {
  describeStateEventsProgress,
  type StateEventsProgressEvent,
} from "../../src/sync/state-events/state-events-progress.js";
import { planStateEventWindows, stateEventsStream } from "../../src/sync/state-events/sync-state-events.js";
import { canonicalRowJson, normalizeStateEvent } from "../../src/sync/state-events/normalize-state-event.js";
import {
  buildColumnNames,
  buildCsvRow,
  buildStateEventsQuery,
} from "../../src/zephr/export/state-events-export.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";
import { createRecordingLogger, runStateEvents, zephrTime } from "./analyst-fixture.js";

const hourMs = 3_600_000;
const dayMs = 86_400_000;
const userA = "0435ed2d-1221-4de2-88c7-304dbaac8d42";
const userB = "e1812285-2f21-441e-8be4-b08835cd4b2c";

describe("state event rows", () => {
  test("the query asks for eventsExport with from and to, percent-encoded as since is", () => {
    expect(
      buildStateEventsQuery(
        { fromMs: Date.parse("2026-11-01T00:00:00Z"), toMs: Date.parse("2026-11-02T00:00:00Z") },
        "seconds",
      ),
    ).toBe("eventsExport=true&from=2026-11-01T00%3A00%3A00Z&to=2026-11-02T00%3A00%3A00Z");
  });

  test("blank and repeated headers and surplus fields keep every column", () => {
    const columns = buildColumnNames(["user_id", " ", "state", "state", "__proto__"]);
    expect(columns).toEqual(["user_id", "column_2", "state", "state_2", "__proto__"]);
    const row = buildCsvRow(columns, ["u", "x", "a", "b", "p", "surplus"]);
    expect(JSON.stringify(row)).toBe(
      '{"user_id":"u","column_2":"x","state":"a","state_2":"b","__proto__":"p","column_6":"surplus"}',
    );
  });

  test("recognised columns are typed whatever their spelling; the rest stay in row", () => {
    const event = normalizeStateEvent(
      {
        "User ID": userA.toUpperCase(),
        Event: "grant_started",
        "New State": "active",
        Extra: "1",
        time: "1764381600",
      },
      "UTC",
    );
    expect(event).toMatchObject({
      user_id: userA,
      event_type: "grant_started",
      state: "active",
      previous_state: null,
      occurred_at: "2025-11-29T02:00:00.000Z",
    });
    expect(
      normalizeStateEvent({ user_id: "not-a-uuid", timestamp: "2026-02-30 00:00:00" }, "UTC"),
    ).toMatchObject({
      user_id: null,
      occurred_at: null,
    });
    expect(normalizeStateEvent({ timestamp: "2026-06-01 12:00:00" }, "Europe/London").occurred_at).toBe(
      "2026-06-01T11:00:00.000Z",
    );
  });

  test("the dedup key does not depend on column order", () => {
    const one = normalizeStateEvent({ a: "1", b: "2" }, "UTC");
    const two = normalizeStateEvent({ b: "2", a: "1" }, "UTC");
    expect(one.row_hash).toBe(two.row_hash);
    expect(canonicalRowJson({ b: "2", a: "1" })).toBe('{"a":"1","b":"2"}');
  });

  test("a range is split into windows of at most the window length", () => {
    expect(planStateEventWindows(0, 25, 10)).toEqual([
      { fromMs: 0, toMs: 10 },
      { fromMs: 10, toMs: 20 },
      { fromMs: 20, toMs: 25 },
    ]);
    expect(planStateEventWindows(5, 5, 10)).toEqual([]);
  });
});

describe("loading state events from the simulator", () => {
  let fixture: SyncFixture;
  let runId: string;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: 30, seed: 5 } });
  });

  beforeEach(async () => {
    await fixture.reset();
    runId = expectSucceeded(await fixture.run()).runId;
  });

  afterAll(async () => {
    await fixture.close();
  });

  function addEvent(userId: string, event: string, state: string, atMs: number): void {
    fixture.simulator.stateEvents.add(
      {
        user_id: userId,
        event,
        previous_state: "registered",
        state,
        product_id: "prod-1",
        timestamp: zephrTime(atMs),
      },
      atMs,
    );
  }

  test("a disabled phase asks Zephr nothing", async () => {
    fixture.simulator.requests.length = 0;
    const outcome = await runStateEvents(fixture, runId, { enabled: false });
    expect(outcome).toEqual({ status: "disabled" });
    expect(fixture.simulator.requests).toEqual([]);
  });

  /** Four events, one too old for the first load's range, loaded by a first load in 7-day windows. */
  async function loadFirstEvents(progress: StateEventsProgressEvent[] = []) {
    const now = fixture.clock.nowMs;
    addEvent(userA, "grant_started", "active", now - 3 * dayMs);
    addEvent(userA, "grant_expired", "lapsed", now - 2 * dayMs);
    addEvent(userB, "grant_started", "active", now - hourMs);
    addEvent(userB, "too_old", "active", now - 40 * dayMs);
    fixture.simulator.requests.length = 0;
    return runStateEvents(fixture, runId, { windowMs: 7 * dayMs }, progress);
  }

  test("the first load backfills in windows, keeps every column and types the known ones", async () => {
    const now = fixture.clock.nowMs;
    const progress: StateEventsProgressEvent[] = [];

    const outcome = await loadFirstEvents(progress);

    expect(outcome).toMatchObject({ status: "succeeded", windows: 5, rowsReceived: 3, rowsInserted: 3 });
    const requests = fixture.simulator.requests.filter((r) => r.path === "/v4/user-export");
    expect(requests).toHaveLength(5);
    expect(requests[0]?.query).toBe(
      "eventsExport=true&from=2026-10-30T02%3A00%3A00Z&to=2026-11-06T02%3A00%3A00Z",
    );
    const rows = await fixture.db.pool.query(
      `select user_id, event_type, state, previous_state, product_id, occurred_at, row, run_id
         from zephr.user_state_events order by occurred_at`,
    );
    expect(rows.rows).toHaveLength(3);
    expect(rows.rows[0]).toEqual({
      user_id: userA,
      event_type: "grant_started",
      state: "active",
      previous_state: "registered",
      product_id: "prod-1",
      occurred_at: new Date(now - 3 * dayMs),
      row: {
        user_id: userA,
        event: "grant_started",
        previous_state: "registered",
        state: "active",
        product_id: "prod-1",
        timestamp: zephrTime(now - 3 * dayMs),
      },
      run_id: runId,
    });
    expect((await findWatermark(fixture.db.pool, stateEventsStream))?.getTime()).toBe(now);
    expect(progress.map((event) => describeStateEventsProgress(event))).toContain(
      "State events export complete! 3 rows, 3 new.",
    );
    expect(
      progress.some((event) => describeStateEventsProgress(event).startsWith("Downloading state events…")),
    ).toBe(true);
  });

  test("a re-run over the same range adds nothing, and an incremental run starts at the watermark minus the lookback", async () => {
    await loadFirstEvents();
    const before = await fixture.db.pool.query(`select count(*)::int as n from zephr.user_state_events`);
    await fixture.db.pool.query(`delete from zephr.sync_watermarks where stream = $1::text`, [
      stateEventsStream,
    ]);
    const again = await runStateEvents(fixture, runId, { windowMs: 7 * dayMs });
    expect(again).toMatchObject({ status: "succeeded", rowsReceived: 3, rowsInserted: 0 });

    fixture.clock.advance(dayMs);
    addEvent(userA, "grant_started", "active", fixture.clock.nowMs - 2 * hourMs);
    fixture.simulator.requests.length = 0;
    const next = await runStateEvents(fixture, runId);
    expect(next).toMatchObject({ status: "succeeded", windows: 2, rowsReceived: 2, rowsInserted: 1 });
    expect(fixture.simulator.requests[0]?.query).toBe(
      "eventsExport=true&from=2026-11-29T01%3A00%3A00Z&to=2026-11-30T01%3A00%3A00Z",
    );
    const after = await fixture.db.pool.query(`select count(*)::int as n from zephr.user_state_events`);
    expect(after.rows[0]).toEqual({ n: (before.rows[0] as { n: number }).n + 1 });
    const loads = await fixture.db.pool.query(
      `select status, rows_received, rows_inserted from zephr.state_event_loads order by load_id`,
    );
    expect(loads.rows).toEqual([
      { status: "succeeded", rows_received: 3, rows_inserted: 3 },
      { status: "succeeded", rows_received: 3, rows_inserted: 0 },
      { status: "succeeded", rows_received: 2, rows_inserted: 1 },
    ]);
  });

  test("an odd CSV (BOM, quoted newlines, repeated and blank headers, ragged rows, NUL) loads without losing a field", async () => {
    await loadFirstEvents();
    fixture.clock.advance(hourMs);
    const csv =
      "\uFEFFuser_id,event,event,,timestamp\r\n" +
      `${userB},"renewed, early","line one\nline two",x,${zephrTime(fixture.clock.nowMs - 60_000)}\r\n` +
      `${userB},short\r\n` +
      `${userB},long,a,b,c,surplus\u0000\r\n`;
    fixture.simulator.stateEvents.faults.push({
      kind: "raw",
      status: 200,
      body: csv,
      contentType: "text/csv",
    });
    const outcome = await runStateEvents(fixture, runId);
    expect(outcome).toMatchObject({ status: "succeeded", rowsReceived: 3, rowsInserted: 3 });
    const rows = await fixture.db.pool.query<{ row: unknown; event_type: string }>(
      `select row, event_type from zephr.user_state_events where user_id = $1::uuid and row ? 'event_2'
        order by event_id`,
      [userB],
    );
    expect(rows.rows.map((r) => r.row)).toEqual([
      {
        user_id: userB,
        event: "renewed, early",
        event_2: "line one\nline two",
        column_4: "x",
        timestamp: zephrTime(fixture.clock.nowMs - 60_000),
      },
      {
        user_id: userB,
        event: "long",
        event_2: "a",
        column_4: "b",
        timestamp: "c",
        column_6: "surplus\uFFFD",
      },
    ]);
    const short = await fixture.db.pool.query(
      `select row from zephr.user_state_events where row = $1::jsonb`,
      [JSON.stringify({ user_id: userB, event: "short" })],
    );
    expect(short.rows).toHaveLength(1);
  });

  test("a failed export is reported as State events export failed, keeps the watermark and leaves user data alone", async () => {
    await loadFirstEvents();
    const watermark = await findWatermark(fixture.db.pool, stateEventsStream);
    const users = await fixture.db.pool.query(`select count(*)::int as n from zephr.users`);
    fixture.clock.advance(hourMs);
    fixture.simulator.stateEvents.enabled = false;
    const { logger, lines } = createRecordingLogger();
    const progress: StateEventsProgressEvent[] = [];
    try {
      const outcome = await runStateEvents(fixture, runId, {}, progress, logger);
      expect(outcome).toMatchObject({ status: "failed", windows: 0, rowsInserted: 0 });
      if (outcome.status !== "failed") throw new Error("expected a failure");
      expect(outcome.error.code).toBe("ZEPHR_FORBIDDEN");
      expect(outcome.message).toMatch(/^State events export failed: Zephr answered 403/);
      expect(progress.map(describeStateEventsProgress).at(-1)).toMatch(/^State events export failed: /);
    } finally {
      fixture.simulator.stateEvents.enabled = true;
    }
    expect(lines().some((line) => line.msg === "state events export failed" && line.level === 50)).toBe(true);
    expect(await findWatermark(fixture.db.pool, stateEventsStream)).toEqual(watermark);
    expect((await fixture.db.pool.query(`select count(*)::int as n from zephr.users`)).rows).toEqual(
      users.rows,
    );
    const load = await fixture.db.pool.query(
      `select status, error_code, error_message from zephr.state_event_loads order by load_id desc limit 1`,
    );
    expect(load.rows[0]).toMatchObject({
      status: "failed",
      error_code: "ZEPHR_FORBIDDEN",
      error_message: expect.stringMatching(/^State events export failed: /) as unknown,
    });
  });

  test("a connection dropped mid-body is retried and the window loads once", async () => {
    await loadFirstEvents();
    fixture.clock.advance(hourMs);
    addEvent(userA, "retried", "active", fixture.clock.nowMs - 30 * 60_000);
    fixture.simulator.stateEvents.faults.push({ kind: "drop", afterBytes: 20 });
    fixture.simulator.requests.length = 0;
    const outcome = await runStateEvents(fixture, runId);
    expect(fixture.simulator.requests.map((r) => r.fault ?? r.status)).toEqual(["drop", 200]);
    expect(outcome).toMatchObject({ status: "succeeded", rowsInserted: 1 });
    const rows = await fixture.db.pool.query(
      `select count(*)::int as n from zephr.user_state_events where event_type = 'retried'`,
    );
    expect(rows.rows).toEqual([{ n: 1 }]);
  });
});
