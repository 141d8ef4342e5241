import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { generateUserId } from "../../tools/simulator/index.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";

const maxClockSkewMs = 5 * 60_000;
const seed = 31;

describe("a Zephr whose clock says 2099", () => {
  let fixture: SyncFixture;

  beforeEach(async () => {
    // The simulator's clock sets its Date header (and its users' update times); its signature check is
    // relaxed so that only the Date is wrong.
    const zephrClockMs = Date.parse("2099-06-01T00:00:00Z");
    fixture = await startSyncFixture({
      users: { count: 120, seed },
      clock: () => zephrClockMs,
      maxSkewMs: Number.MAX_SAFE_INTEGER,
    });
  });

  afterEach(async () => {
    await fixture.close();
  });

  test("does not move the watermark past this machine's clock plus ZEPHR_MAX_CLOCK_SKEW", async () => {
    const localAtStartMs = fixture.clock.nowMs;
    const first = expectSucceeded(await fixture.run());
    expect(first.watermarkAt?.getTime()).toBeLessThanOrEqual(localAtStartMs + maxClockSkewMs);
    const stored = await findWatermark(fixture.db.pool, usersStream);
    expect(stored?.getTime()).toBeLessThanOrEqual(localAtStartMs + maxClockSkewMs);
  });

  test("the next run asks for a since that is not in the future, and gets the user changed in between", async () => {
    expectSucceeded(await fixture.run());
    fixture.clock.advance(3_600_000);
    const changed = generateUserId(7, seed);
    fixture.simulator.store.update(changed, (element) => element);
    const second = expectSucceeded(await fixture.run());
    expect(second.kind).toBe("incremental");
    expect(second.sinceAt?.getTime()).toBeLessThanOrEqual(fixture.clock.nowMs);
    expect(second.counts.usersReceived).toBeGreaterThanOrEqual(1);
    expect(second.watermarkAt?.getTime()).toBeLessThanOrEqual(fixture.clock.nowMs + maxClockSkewMs);
  });
});
