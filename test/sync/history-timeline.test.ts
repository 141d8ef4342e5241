import type pg from "pg";
import { formatGrantTime, generateUser, generateUserId } from "../../tools/simulator/index.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import {
  expectFailed,
  expectSucceeded,
  startSyncFixture,
  type SyncFixture,
} from "../support/sync-fixture.js";
import type { GrantSnapshot, UserSnapshot } from "../support/warehouse-snapshot.js";

/**
 * History against a timeline: the simulator's clock moves a day between runs, the tenant changes in
 * between (attributes edited and removed, grants added, revoked, shortened and extended, users deleted
 * and coming back), one run fails in the middle, and at every run's instant the as-of functions must
 * give what the simulator held then, field by field.
 */
const seed = 15;
const dayMs = 86_400_000;
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

interface Truth {
  readonly users: UserSnapshot[];
  readonly grants: GrantSnapshot[];
}

async function readAsOf(pool: pg.Pool, at: Date): Promise<Truth> {
  const users = await pool.query<UserSnapshot>(
    `select user_id::text, email_address, email_verified, tracking_id, ${iso("registered_at")} as registered_at,
            registration_tenant, attributes, seq_no::text, deleted_at is not null as deleted
       from users_as_of($1::timestamptz) order by user_id`,
    [at],
  );
  const grants = await pool.query<GrantSnapshot>(
    `select grant_id, user_id::text, grant_user_id::text, account_id, entitlement_type, entitlement_id,
            product_id, expiry_state, ${iso("starts_at")} as starts_at, ${iso("ends_at")} as ends_at,
            ${iso("created_at")} as created_at
       from grants_as_of($1::timestamptz) order by user_id, grant_id collate "C"`,
    [at],
  );
  return { users: users.rows, grants: grants.rows };
}

async function readExportStart(pool: pg.Pool, runId: string): Promise<Date> {
  const result = await pool.query<{ at: Date }>(
    `select export_started_at as at from sync_runs where run_id = $1::bigint`,
    [runId],
  );
  const at = result.rows[0]?.at;
  if (at === undefined) throw new Error(`run ${runId} has no export start`);
  return at;
}

/** Fingerprints of the history tables' physical rows: any write changes them. */
async function readHistoryRowVersions(pool: pg.Pool): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const table of ["user_versions", "user_grant_versions"]) {
    const result = await pool.query<{ fingerprint: string | null }>(
      `select md5(string_agg(ctid::text || ':' || xmin::text, ',' order by ctid)) as fingerprint from ${table}`,
    );
    versions[table] = result.rows[0]?.fingerprint ?? "empty";
  }
  return versions;
}

function truthOf(fixture: SyncFixture): Truth {
  const { users, grants } = expectedWarehouse(fixture.simulator.store);
  return { users, grants };
}

/** Moves one of the user's grants' end by `byMs` (shortened when negative). */
function moveGrantEnd(fixture: SyncFixture, userId: string, byMs: number): void {
  fixture.simulator.store.update(userId, (element) => {
    const object = element as { grants: { results: Record<string, unknown>[] } };
    const [first, ...rest] = object.grants.results;
    if (first === undefined) throw new Error(`user ${userId} has no grant`);
    const endMs =
      typeof first.endTime === "string"
        ? Date.parse(`${first.endTime.replace(" ", "T")}Z`)
        : fixture.clock.nowMs;
    return {
      ...object,
      grants: { ...object.grants, results: [{ ...first, endTime: formatGrantTime(endMs + byMs) }, ...rest] },
    };
  });
}

describe("history over a timeline of runs", () => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: 150, seed } });
  });

  afterAll(async () => {
    await fixture.close();
  });

  test("the as-of functions give the simulator's state at every run's instant, field by field", async () => {
    const store = fixture.simulator.store;
    const id = (index: number) => generateUserId(index, seed);
    const withGrant = (from: number) => {
      for (let index = from; index < 150; index += 1)
        if (store.listGrantIds(id(index)).length > 0) return index;
      throw new Error("no user with a grant");
    };
    const timeline: { at: Date; truth: Truth }[] = [];
    const succeed = async (request: Parameters<SyncFixture["run"]>[0] = { kind: "incremental" }) => {
      const outcome = expectSucceeded(await fixture.run(request));
      timeline.push({ at: await readExportStart(fixture.db.pool, outcome.runId), truth: truthOf(fixture) });
      fixture.clock.advance(dayMs);
      return outcome;
    };

    // 1: the first load.
    await succeed();
    // 2: attributes edited and removed.
    store.editAttribute(id(1), "job-title", "Editor");
    store.editAttribute(id(2), "job-title", undefined);
    await succeed();
    // 3: grants added and revoked.
    store.addGrant(id(3));
    const revokedFrom = withGrant(4);
    const revoked = store.listGrantIds(id(revokedFrom))[0] ?? "";
    store.removeGrant(id(revokedFrom), revoked);
    await succeed();
    // 4: a grant shortened, another extended.
    moveGrantEnd(fixture, id(withGrant(10)), -3 * dayMs);
    moveGrantEnd(fixture, id(withGrant(20)), 30 * dayMs);
    await succeed();
    // 5: a complete export fails on its last page, after its first batch committed; the next run loads
    // what it missed.
    store.editAttribute(id(5), "job-title", "Failed run");
    store.addGrant(id(6));
    store.editAttribute(id(140), "job-title", "Seen after the failure");
    fixture.simulator.faults.push({ kind: "status", status: 500, page: 3, times: 20 });
    const failed = expectFailed(await fixture.run({ kind: "full" }));
    fixture.simulator.faults.clear();
    fixture.clock.advance(dayMs);
    await succeed();
    // 6: users deleted in Zephr, seen by a complete export.
    const gone = [id(7), id(8)];
    const goneElements = gone.map((userId) => store.get(userId)?.element);
    for (const userId of gone) store.remove(userId);
    const full = await succeed({ kind: "full" });
    expect(full.usersDeleted).toBe(2);
    // 7: one comes back (re-exported by an incremental run), with an edited attribute.
    store.put(goneElements[0]);
    store.editAttribute(id(7), "job-title", "Back");
    await succeed();
    // 8: nothing changed: the unchanged run writes no version.
    const historyBefore = await readHistoryRowVersions(fixture.db.pool);
    const unchanged = await succeed();
    expect(unchanged.counts.usersWritten).toBe(0);
    expect(await readHistoryRowVersions(fixture.db.pool)).toEqual(historyBefore);
    // 9: a new user, and the other deleted one back through a complete export.
    store.put(generateUser(5000, seed));
    store.put(goneElements[1]);
    await succeed({ kind: "full" });
    // 10: a grant of the returned user revoked, an attribute edited again.
    const returned = id(8);
    const returnedGrant = store.listGrantIds(returned)[0];
    if (returnedGrant !== undefined) store.removeGrant(returned, returnedGrant);
    store.editAttribute(id(1), "job-title", "Chief editor");
    await succeed();
    // 11: a user deleted again by a complete export.
    store.remove(id(9));
    await succeed({ kind: "full" });

    expect(timeline.length).toBeGreaterThanOrEqual(10);
    // Every run but the unchanged one saw the tenant differ from the run before.
    expect(new Set(timeline.map(({ truth }) => JSON.stringify(truth))).size).toBe(timeline.length - 1);
    for (const { at, truth } of timeline) {
      expect({ at: at.toISOString(), ...(await readAsOf(fixture.db.pool, at)) }).toEqual({
        at: at.toISOString(),
        ...truth,
      });
      // Between two runs, the state of the run before.
      const later = new Date(at.getTime() + dayMs / 2);
      expect({ at: later.toISOString(), ...(await readAsOf(fixture.db.pool, later)) }).toEqual({
        at: later.toISOString(),
        ...truth,
      });
    }
    // Before the first run nothing was known.
    const first = timeline[0]?.at ?? new Date();
    expect(await readAsOf(fixture.db.pool, new Date(first.getTime() - 1))).toEqual({ users: [], grants: [] });
    // The failed run's versions are those of the rows its committed batches wrote, and nothing else.
    const failedVersions = await fixture.db.pool.query<{ by_failed: string; by_others: string }>(
      `select count(*) filter (where v.last_changed_run_id = r.run_id) as by_failed,
              count(*) filter (where v.last_changed_run_id <> r.run_id) as by_others
         from user_versions v join sync_runs r on r.export_started_at = v.valid_from
        where r.run_id = $1::bigint`,
      [failed.runId],
    );
    expect(Number(failedVersions.rows[0]?.by_failed)).toBeGreaterThan(0);
    expect(failedVersions.rows[0]?.by_others).toBe("0");
    // At most one current version per user and grant, and no interval empty or overlapping.
    const overlaps = await fixture.db.pool.query(
      `select a.user_id from user_versions a join user_versions b
          on a.user_id = b.user_id and a.valid_from < b.valid_from
         and tstzrange(a.valid_from, a.valid_to) && tstzrange(b.valid_from, b.valid_to)`,
    );
    expect(overlaps.rows).toEqual([]);
  });
});
