import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import {
  findGrantId,
  generateUser,
  generateUserId,
  listGrants,
  type SimulatorOptions,
  type SimulatorStore,
} from "../../tools/simulator/index.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { readRowVersions, readWarehouse, type WarehouseSnapshot } from "../support/warehouse-snapshot.js";
import {
  expectFailed,
  expectSucceeded,
  startSyncFixture,
  type SyncFixture,
} from "../support/sync-fixture.js";

/**
 * The core end-to-end scenarios, run against every server variant the API leaves open
 * (shared/zephr-api.md): each compares the warehouse with the simulator's truth field by field.
 * One database and simulator per mode; every test resets both, so each runs alone.
 */

const seed = 41;
const userCount = 80;
const startMs = Date.parse("2026-11-29T02:00:00Z");
const dayMs = 86_400_000;
const hourMs = 3_600_000;

interface ServerMode {
  readonly name: string;
  readonly simulator: Partial<SimulatorOptions>;
  /** Run configuration the mode needs (e.g. an rpp above the server's cap). */
  readonly env?: Record<string, string>;
}

// The fixture asks for rpp=50 (ZEPHR_PAGE_SIZE) unless a mode says otherwise.
const modes: readonly ServerMode[] = [
  { name: "the object envelope", simulator: { envelope: "object" } },
  { name: "a bare JSON array", simulator: { envelope: "array" } },
  {
    name: "a server capping rpp=500 at 20 users a page",
    simulator: { maxPageSize: 20 },
    env: { ZEPHR_PAGE_SIZE: "500" },
  },
  { name: "a server sending 60 users a page when asked for 50", simulator: { minPageSize: 60 } },
  { name: "relative next links", simulator: { nextLink: "relative" } },
  { name: "next links with a page number and no url", simulator: { nextLink: "page-only" } },
  { name: "next null on the last page", simulator: { lastPageNext: "null" } },
  { name: "no links, meta.count the total", simulator: { links: "omitted", count: "total" } },
  { name: "meta.count the page's count", simulator: { count: "page" } },
  { name: "no meta.count", simulator: { count: "absent" } },
  {
    name: "account grants listed under several users, their user_id another user's",
    simulator: { sharedGrants: { membersPerAccount: 3, accountShare: 0.6 }, grantUserIds: "other" },
  },
];

/** The warehouse must hold exactly the simulator's users, attributes and grants. */
async function expectWarehouseEqualsTruth(fixture: SyncFixture): Promise<void> {
  expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
}

/** The snapshot less every row of `userIds`. */
function without(snapshot: WarehouseSnapshot, userIds: ReadonlySet<string>): WarehouseSnapshot {
  return {
    users: snapshot.users.filter((u) => !userIds.has(u.user_id)),
    grants: snapshot.grants.filter((g) => !userIds.has(g.user_id)),
    attributes: snapshot.attributes.filter((a) => !userIds.has(a.user_id)),
  };
}

async function deletedUsers(fixture: SyncFixture): Promise<string[]> {
  const result = await fixture.db.pool.query<{ user_id: string }>(
    "select user_id::text from zephr.users where deleted_at is not null order by user_id",
  );
  return result.rows.map((r) => r.user_id);
}

async function runStatuses(fixture: SyncFixture): Promise<string[]> {
  const result = await fixture.db.pool.query<{ status: string }>(
    "select status from zephr.sync_runs order by run_id",
  );
  return result.rows.map((r) => r.status);
}

/** Grant ids with every user who lists them, those listed under several users first. */
function findGrantHolders(store: SimulatorStore): [string, string[]][] {
  const holders = new Map<string, string[]>();
  for (const user of store.list()) {
    for (const grant of listGrants(user.element)) {
      const id = findGrantId(grant);
      if (id !== undefined) holders.set(id, [...(holders.get(id) ?? []), user.userId]);
    }
  }
  return [...holders].sort((a, b) => b[1].length - a[1].length);
}

/** Changes one grant the same way in the list of every user who holds it (an account's grant renewed). */
function renewGrantEverywhere(store: SimulatorStore, grantId: string, holders: readonly string[]): void {
  for (const userId of holders) {
    store.update(userId, (element) => {
      for (const grant of listGrants(element)) {
        if (findGrantId(grant) === grantId) {
          Object.assign(grant as object, { endTime: "2031-12-31 23:59:59", expiry_state: "active" });
        }
      }
      return element;
    });
  }
}

describe.each(modes)("against $name", (mode) => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await startSyncFixture(mode.simulator, mode.env ?? {});
  });

  beforeEach(async () => {
    await fixture.reset();
    fixture.simulator.store.seedGenerated({ count: userCount, seed });
  });

  afterAll(async () => {
    await fixture.close();
  });

  test("a first load holds every user, attribute and grant and moves the watermark", async () => {
    const outcome = expectSucceeded(await fixture.run());
    expect(outcome.kind).toBe("full");
    expect(outcome.counts.usersReceived).toBe(userCount);
    await expectWarehouseEqualsTruth(fixture);
    expect(await findWatermark(fixture.db.pool, usersStream)).not.toBeNull();
    expect(await runStatuses(fixture)).toEqual(["succeeded"]);
  });

  test("an incremental run brings edits, grant changes and new users, and the next one keeps them", async () => {
    expectSucceeded(await fixture.run());
    const store = fixture.simulator.store;
    fixture.clock.advance(dayMs);
    const [[sharedId, sharedHolders] = ["", []], [renewedId, renewedHolders] = ["", []]] =
      findGrantHolders(store);
    // Revoked for one holder only: the others (members of the same account, if shared) keep it.
    store.removeGrant(sharedHolders[0] ?? "", sharedId);
    renewGrantEverywhere(store, renewedId, renewedHolders);
    store.editAttribute(generateUserId(3, seed), "surname", "Müller-Lüdenscheidt 😀");
    store.editAttribute(generateUserId(3, seed), "company", undefined);
    store.addGrant(generateUserId(5, seed));
    store.put(generateUser(10_000, seed));

    const outcome = expectSucceeded(await fixture.run());
    expect(outcome.kind).toBe("incremental");
    await expectWarehouseEqualsTruth(fixture);

    // A later run that re-delivers another holder alone must not take the grant from anyone.
    fixture.clock.advance(hourMs);
    store.editAttribute(sharedHolders.at(-1) ?? "", "city", "Trondheim");
    expectSucceeded(await fixture.run());
    await expectWarehouseEqualsTruth(fixture);
  });

  test("a reset on page 2 beyond the retries fails the run with the watermark kept, and the next run heals", async () => {
    expectSucceeded(await fixture.run());
    const before = await findWatermark(fixture.db.pool, usersStream);
    fixture.clock.advance(dayMs);
    // Enough changed users for a page 2 in every mode (60 is the largest page size).
    for (const user of fixture.simulator.store.list().slice(0, 70)) {
      fixture.simulator.store.editAttribute(user.userId, "job-title", "Night auditor");
    }
    fixture.simulator.faults.push({ kind: "drop", afterBytes: 3000, page: 2, times: 10 });

    const failed = expectFailed(await fixture.run(undefined, { ZEPHR_RETRIES: "2" }));
    expect(failed.error.code).toBe("ZEPHR_NETWORK");
    expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(before);

    fixture.simulator.faults.clear();
    expectSucceeded(await fixture.run());
    await expectWarehouseEqualsTruth(fixture);
    expect((await findWatermark(fixture.db.pool, usersStream))?.getTime()).toBeGreaterThan(
      before?.getTime() ?? Infinity,
    );
  });

  test("a user listed on two pages (a newcomer shifted the pages) is loaded once, and the newcomer next run", async () => {
    const store = fixture.simulator.store;
    const newcomer = generateUser(20_000, seed);
    // When page 2 is asked for, a user registers and is listed first: page 2 repeats page 1's last user.
    fixture.simulator.faults.push({
      kind: "hook",
      page: 2,
      run: () => store.put(newcomer, { position: "first" }),
    });

    expectSucceeded(await fixture.run());
    expect(fixture.exportRequests().map((r) => r.fault)).toContain("hook");
    expect(await readWarehouse(fixture.db.pool)).toEqual(
      without(expectedWarehouse(store), new Set([newcomer.user.user_id])),
    );

    fixture.clock.advance(hourMs);
    expectSucceeded(await fixture.run());
    await expectWarehouseEqualsTruth(fixture);
  });

  test("a full reconciliation marks exactly the users Zephr no longer lists deleted and nobody else", async () => {
    expectSucceeded(await fixture.run());
    fixture.clock.advance(dayMs);
    const gone = [generateUserId(4, seed), generateUserId(67, seed)].sort();
    for (const id of gone) fixture.simulator.store.remove(id);

    const outcome = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(outcome.usersDeleted).toBe(2);
    expect(await deletedUsers(fixture)).toEqual(gone);
    const warehouse = await readWarehouse(fixture.db.pool);
    expect(without(warehouse, new Set(gone))).toEqual(expectedWarehouse(fixture.simulator.store));
  });

  test("a dry run reports what would change and writes nothing", async () => {
    expectSucceeded(await fixture.run());
    fixture.clock.advance(dayMs);
    fixture.simulator.store.editAttribute(generateUserId(1, seed), "surname", "Dry");
    fixture.simulator.store.remove(generateUserId(2, seed));
    const versions = await readRowVersions(fixture.db.pool);
    const runs = (await fixture.db.pool.query("select * from zephr.sync_runs")).rows;
    const watermark = await findWatermark(fixture.db.pool, usersStream);

    const outcome = await fixture.run({ kind: "full", dryRun: true });

    expect(outcome).toEqual({
      status: "dry-run",
      report: expect.objectContaining({
        usersReceived: userCount - 1,
        newUsers: 0,
        changedUsers: 1,
        unchangedUsers: userCount - 2,
        rejected: 0,
        wouldMarkDeleted: 1,
      }) as unknown,
    });
    expect(await readRowVersions(fixture.db.pool)).toEqual(versions);
    expect((await fixture.db.pool.query("select * from zephr.sync_runs")).rows).toEqual(runs);
    expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(watermark);
  });

  test("a registration backfill in windows loads every user and leaves the watermark alone", async () => {
    const registered = fixture.simulator.store.list().map((u) => u.registeredAtMs);
    const since = new Date(Math.min(...registered));
    const before = new Date(Math.max(...registered) + 1000);
    const chunkMs = Math.ceil((before.getTime() - since.getTime()) / 4);

    const outcome = expectSucceeded(
      await fixture.run({ kind: "registered", registeredSince: since, registeredBefore: before, chunkMs }),
    );
    expect(outcome.windows).toBe(4);
    await expectWarehouseEqualsTruth(fixture);
    expect(await findWatermark(fixture.db.pool, usersStream)).toBeNull();
  });

  test("of two runs started together, one loads everything and the other reports the lock", async () => {
    const outcomes = await Promise.all([fixture.run(), fixture.run()]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["locked", "succeeded"]);
    await expectWarehouseEqualsTruth(fixture);
    expect(await runStatuses(fixture)).toEqual(["succeeded"]);
  });
});

/** Servers on which no run may report success with users missing, or trust a wrong clock. */
describe("servers the product must not believe", () => {
  let fixture: SyncFixture | undefined;

  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  test("a server that ignores page fails the run, keeps the watermark, and a full backfill marks nobody deleted", async () => {
    const f = (fixture = await startSyncFixture({ users: { count: userCount, seed } }));
    expectSucceeded(await f.run());
    const before = await findWatermark(f.db.pool, usersStream);
    f.clock.advance(dayMs);
    for (const user of f.simulator.store.list().slice(0, 70)) {
      f.simulator.store.editAttribute(user.userId, "country", "IS");
    }
    // Zephr starts answering every page with its first users, while meta.count and links promise more.
    f.simulator.reshape({ ignorePage: true });

    const failed = expectFailed(await f.run());
    expect(await findWatermark(f.db.pool, usersStream)).toEqual(before);
    expect(failed.runId).toBeDefined();

    const full = await f.run({ kind: "full" });
    expect(full.status).toBe("failed");
    expect(await deletedUsers(f)).toEqual([]);
    expect(await findWatermark(f.db.pool, usersStream)).toEqual(before);
  });

  test("a first load from a server that ignores page fails and sets no watermark", async () => {
    const f = (fixture = await startSyncFixture({ users: { count: userCount, seed }, ignorePage: true }));
    expectFailed(await f.run());
    expect(await findWatermark(f.db.pool, usersStream)).toBeNull();
    expect(await runStatuses(f)).toEqual(["failed"]);
  });

  test.each([
    ["dated 73 years ahead (2099)", { skewMs: Date.UTC(2099, 10, 29, 2) - startMs }],
    ["without a Date header", "missing"],
  ] as const)(
    "a server %s never moves the watermark past the local clock, and a change made later arrives",
    async (_name, dateHeader) => {
      const f = (fixture = await startSyncFixture({ users: { count: userCount, seed }, dateHeader }));
      const expectWatermarkNearLocalClock = async (): Promise<void> => {
        const watermark = await findWatermark(f.db.pool, usersStream);
        expect(watermark?.getTime() ?? 0).toBeLessThanOrEqual(f.clock.nowMs + 5 * 60_000);
      };
      const first = await f.run();
      expect(["succeeded", "failed"]).toContain(first.status);
      await expectWatermarkNearLocalClock();

      f.clock.advance(dayMs);
      f.simulator.store.editAttribute(generateUserId(8, seed), "surname", "Later");
      const second = await f.run();
      await expectWatermarkNearLocalClock();
      if (second.status === "succeeded") {
        await expectWarehouseEqualsTruth(f);
      } else {
        // Refusing a clock it cannot trust is allowed, but only loudly.
        expect(expectFailed(second).error.message).toMatch(/Date|clock/i);
      }
    },
  );

  test("a body that trickles forever is cut off by the page deadline and retried", async () => {
    const f = (fixture = await startSyncFixture({ users: { count: userCount, seed } }));
    f.simulator.faults.push({ kind: "trickle", intervalMs: 20, page: 2 });

    expectSucceeded(await f.run(undefined, { ZEPHR_PAGE_TIMEOUT: "500ms" }));
    await expectWarehouseEqualsTruth(f);
    expect(f.exportRequests().filter((r) => r.fault === "trickle")).toHaveLength(1);
  }, 20_000);
});
