import fc from "fast-check";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import type { Fault } from "../../tools/simulator/index.js";
import { generateUser } from "../../tools/simulator/index.js";
import type { SyncOutcome, SyncRequest } from "../../src/sync/run/run-sync.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";
import { withUsersTrigger } from "../support/users-trigger.js";
import { readWarehouse, type WarehouseSnapshot } from "../support/warehouse-snapshot.js";

/**
 * Model-based: random sequences of changes in the tenant (attributes, grants, new and deleted users),
 * incremental and full runs, and runs under injected faults (Zephr's and the database's). After every
 * successful run the warehouse holds every live user exactly as the tenant does; a failed run leaves
 * the watermark where it was; and after a final clean incremental run and a full one, the warehouse
 * equals the source, deleted users marked. Seeded: ZEPHR_SYNC_PROPERTY_SEED=<seed> reproduces a run
 * (fast-check also prints the path of a failure).
 */

const seed = Number(process.env.ZEPHR_SYNC_PROPERTY_SEED ?? 611);
const numRuns = Number(process.env.ZEPHR_SYNC_PROPERTY_RUNS ?? 15);

interface Model {
  /** Users of the tenant, by id, in the order they were added. */
  ids: string[];
  nextUser: number;
}

interface Real {
  readonly fixture: SyncFixture;
}

type Command = fc.AsyncCommand<Model, Real>;

/** The warehouse restricted to the given users: what they must look like. */
function restrict(snapshot: WarehouseSnapshot, ids: ReadonlySet<string>): WarehouseSnapshot {
  return {
    users: snapshot.users.filter((u) => ids.has(u.user_id)),
    grants: snapshot.grants.filter((g) => ids.has(g.user_id)),
    attributes: snapshot.attributes.filter((a) => ids.has(a.user_id)),
  };
}

/** Every user of the tenant is in the warehouse exactly as the tenant has it. */
async function expectLiveUsersEqual(fixture: SyncFixture, when: string): Promise<void> {
  const expected = expectedWarehouse(fixture.simulator.store);
  const ids = new Set(expected.users.map((u) => u.user_id));
  const actual = restrict(await readWarehouse(fixture.db.pool), ids);
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    expect({ when, warehouse: actual }).toEqual({ when, warehouse: expected });
  }
}

/** After a complete export: users the tenant no longer has are marked deleted, and only they. */
async function expectDeletionsMarked(fixture: SyncFixture): Promise<void> {
  const live = new Set(expectedWarehouse(fixture.simulator.store).users.map((u) => u.user_id));
  const rows = (await readWarehouse(fixture.db.pool)).users;
  const wrong = rows.filter((u) => u.deleted === live.has(u.user_id)).map((u) => u.user_id);
  expect({ deletedWrongly: wrong }).toEqual({ deletedWrongly: [] });
}

function succeeded(outcome: SyncOutcome, what: string): void {
  if (outcome.status !== "succeeded") {
    throw new Error(`${what} ${outcome.status}: ${"error" in outcome ? outcome.error.message : ""}`);
  }
}

class EditAttribute implements Command {
  constructor(
    readonly pick: number,
    readonly slug: string,
    readonly value: string | number | boolean,
  ) {}
  check = (m: Readonly<Model>) => m.ids.length > 0;
  async run(m: Model, r: Real) {
    r.fixture.simulator.store.editAttribute(m.ids[this.pick % m.ids.length] ?? "", this.slug, this.value);
    return Promise.resolve();
  }
  toString = () => `edit(${this.pick}, ${this.slug}=${JSON.stringify(this.value)})`;
}

class RemoveAttribute implements Command {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.ids.length > 0;
  async run(m: Model, r: Real) {
    const id = m.ids[this.pick % m.ids.length] ?? "";
    const element = r.fixture.simulator.store.get(id)?.element as { user?: { attributes?: object } };
    const [slug] = Object.keys(element.user?.attributes ?? {});
    if (slug !== undefined) r.fixture.simulator.store.editAttribute(id, slug, undefined);
    return Promise.resolve();
  }
  toString = () => `removeAttribute(${this.pick})`;
}

class AddGrant implements Command {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.ids.length > 0;
  async run(m: Model, r: Real) {
    r.fixture.simulator.store.addGrant(m.ids[this.pick % m.ids.length] ?? "");
    return Promise.resolve();
  }
  toString = () => `addGrant(${this.pick})`;
}

class RemoveGrant implements Command {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.ids.length > 0;
  async run(m: Model, r: Real) {
    const id = m.ids[this.pick % m.ids.length] ?? "";
    const [grantId] = r.fixture.simulator.store.listGrantIds(id);
    if (grantId !== undefined) r.fixture.simulator.store.removeGrant(id, grantId);
    return Promise.resolve();
  }
  toString = () => `removeGrant(${this.pick})`;
}

class AddUser implements Command {
  check = () => true;
  async run(m: Model, r: Real) {
    const element = generateUser(m.nextUser++, 612);
    r.fixture.simulator.store.put(element);
    m.ids.push(element.user.user_id);
    return Promise.resolve();
  }
  toString = () => "addUser";
}

class DeleteUser implements Command {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.ids.length > 1;
  async run(m: Model, r: Real) {
    const [id] = m.ids.splice(this.pick % m.ids.length, 1);
    r.fixture.simulator.store.remove(id ?? "");
    return Promise.resolve();
  }
  toString = () => `deleteUser(${this.pick})`;
}

class AdvanceClock implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    r.fixture.clock.advance(this.ms);
    return Promise.resolve();
  }
  toString = () => `advance(${this.ms}ms)`;
}

class Run implements Command {
  constructor(readonly kind: "incremental" | "full") {}
  check = () => true;
  async run(_m: Model, r: Real) {
    const request: SyncRequest = this.kind === "full" ? { kind: "full" } : { kind: "incremental" };
    succeeded(await r.fixture.run(request), `${this.kind} run`);
    await expectLiveUsersEqual(r.fixture, `after a ${this.kind} run`);
    if (this.kind === "full") await expectDeletionsMarked(r.fixture);
  }
  toString = () => `run(${this.kind})`;
}

/** Faults and the error code a run they stop must end with (they may also be retried away). */
const faults: readonly { readonly name: string; readonly faults: Fault[]; readonly code: string }[] = [
  {
    name: "503 until the retries run out",
    faults: [{ kind: "status", status: 503, times: 10 }],
    code: "ZEPHR_UNAVAILABLE",
  },
  { name: "one 502", faults: [{ kind: "status", status: 502 }], code: "ZEPHR_UNAVAILABLE" },
  { name: "a reset mid-body, once", faults: [{ kind: "drop", afterBytes: 300 }], code: "ZEPHR_NETWORK" },
  {
    name: "resets until the retries run out",
    faults: [{ kind: "drop", afterBytes: 200, times: 10 }],
    code: "ZEPHR_NETWORK",
  },
  { name: "truncated JSON", faults: [{ kind: "truncate", afterBytes: 250 }], code: "EXPORT_MALFORMED" },
  { name: "an HTML page", faults: [{ kind: "html" }], code: "EXPORT_MALFORMED" },
  { name: "401", faults: [{ kind: "status", status: 401 }], code: "ZEPHR_AUTH" },
  {
    name: "truncated JSON on page 2",
    faults: [{ kind: "truncate", afterBytes: 500, page: 2 }],
    code: "EXPORT_MALFORMED",
  },
];

class RunWithFault implements Command {
  constructor(
    readonly fault: number,
    readonly kind: "incremental" | "full",
  ) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    const { fixture } = r;
    const fault = faults[this.fault % faults.length] ?? faults[0];
    if (fault === undefined) return;
    const before = await findWatermark(fixture.db.pool, usersStream);
    fixture.simulator.faults.push(...fault.faults);
    const outcome = await fixture.run({ kind: this.kind }, { ZEPHR_RETRIES: "2" });
    fixture.simulator.faults.clear();
    if (outcome.status === "succeeded") {
      await expectLiveUsersEqual(fixture, `after a ${this.kind} run that survived ${fault.name}`);
      return;
    }
    expect({
      fault: fault.name,
      status: outcome.status,
      code: "error" in outcome ? outcome.error.code : "",
    }).toEqual({
      fault: fault.name,
      status: "failed",
      code: fault.code,
    });
    expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(before);
  }
  toString = () => `runWithFault(${faults[this.fault % faults.length]?.name ?? ""}, ${this.kind})`;
}

class RunWithDiskFull implements Command {
  constructor(readonly kind: "incremental" | "full") {}
  check = () => true;
  async run(_m: Model, r: Real) {
    const { fixture } = r;
    const before = await findWatermark(fixture.db.pool, usersStream);
    const outcome = await withUsersTrigger(
      fixture.db.pool,
      "raise exception 'No space left on device' using errcode = '53100'",
      () => fixture.run({ kind: this.kind }),
    );
    // A run with no user to write never reaches the trigger.
    if (outcome.status === "succeeded") return;
    expect(outcome.status === "failed" && outcome.error.message).toMatch(/\[SQLSTATE 53100\]/);
    expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(before);
  }
  toString = () => `runWithDiskFull(${this.kind})`;
}

const kind = fc.constantFrom<"incremental" | "full">("incremental", "full");
const commands = fc.commands<Model, Real, false>(
  [
    fc
      .tuple(
        fc.nat(),
        fc.constantFrom("country", "job-title", "newsletter", "first-name", "new-slug"),
        fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean()),
      )
      .map(([pick, slug, value]) => new EditAttribute(pick, slug, value)),
    fc.nat().map((pick) => new RemoveAttribute(pick)),
    fc.nat().map((pick) => new AddGrant(pick)),
    fc.nat().map((pick) => new RemoveGrant(pick)),
    fc.constant(new AddUser()),
    fc.nat().map((pick) => new DeleteUser(pick)),
    fc.integer({ min: 1000, max: 2 * 86_400_000 }).map((ms) => new AdvanceClock(ms)),
    kind.map((k) => new Run(k)),
    fc.tuple(fc.nat(), kind).map(([fault, k]) => new RunWithFault(fault, k)),
    kind.map((k) => new RunWithDiskFull(k)),
  ],
  { maxCommands: 14 },
);

describe(`the warehouse converges on the source (fast-check seed ${seed}, ${numRuns} runs)`, () => {
  test("for random changes, runs and faults, a final clean run makes the warehouse equal the source", async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (sequence) => {
        const fixture = await startSyncFixture(
          { users: { count: 110, seed: 613 } },
          { SYNC_MAX_DELETE_FRACTION: "1" },
        );
        try {
          succeeded(await fixture.run(), "the first run");
          const model: Model = { ids: [...fixture.simulator.store.userIds()], nextUser: 0 };
          await fc.asyncModelRun(() => ({ model, real: { fixture } }), sequence);
          fixture.simulator.faults.clear();
          fixture.clock.advance(60_000);
          succeeded(await fixture.run(), "the final incremental run");
          await expectLiveUsersEqual(fixture, "after the final incremental run");
          succeeded(await fixture.run({ kind: "full" }), "the final full run");
          await expectLiveUsersEqual(fixture, "after the final full run");
          await expectDeletionsMarked(fixture);
        } finally {
          await fixture.close();
        }
      }),
      { seed, numRuns },
    );
  });
});
