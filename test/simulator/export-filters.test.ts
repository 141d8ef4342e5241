import {
  startZephrSimulator,
  type SimulatorOptions,
  type ZephrSimulator,
} from "../../tools/simulator/index.js";
import { makeElement, parseEnvelope, signedGet, testKeys, userIdOf } from "./simulator-client.js";

const seededAtMs = Date.UTC(2024, 0, 10);

describe("the user export's filters", () => {
  let nowMs = seededAtMs;
  let simulator: ZephrSimulator | undefined;

  async function start(options: Partial<SimulatorOptions> = {}): Promise<ZephrSimulator> {
    nowMs = seededAtMs;
    simulator = await startZephrSimulator({ ...testKeys, clock: () => nowMs, ...options });
    return simulator;
  }

  async function exportIds(sim: ZephrSimulator, query: string): Promise<string[]> {
    const response = await signedGet(sim, query, { nowMs });
    expect(response.status).toBe(200);
    return parseEnvelope(response).results.map(userIdOf);
  }

  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });

  it("returns only users updated after since, and finds users again once they are mutated", async () => {
    const sim = await start();
    sim.store.seedGenerated({ count: 1000, seed: 11 });
    const since = "2024-01-10T00%3A00%3A00Z";
    const [first, second, third] = sim.store.list();
    if (first === undefined || second === undefined || third === undefined) throw new Error("seed failed");

    const before = await exportIds(sim, `since=${since}&rpp=1000`);
    nowMs += 60_000;
    sim.store.editAttribute(second.userId, "company", "Globex");
    sim.store.addGrant(first.userId);
    sim.store.update(third.userId, (element) => element);
    const after = await exportIds(sim, `since=${since}&rpp=1000`);

    expect(before).toEqual([]);
    expect(after).toEqual([first.userId, second.userId, third.userId]);
    expect(sim.store.get(second.userId)?.updatedAtMs).toBe(seededAtMs + 60_000);
  });

  it("compares since strictly by default and inclusively when configured so", async () => {
    for (const sinceInclusive of [false, true]) {
      const sim = await start({ sinceInclusive });
      sim.store.put(makeElement("at-since"), { updatedAtMs: Date.UTC(2024, 0, 1) });
      sim.store.put(makeElement("after-since"), { updatedAtMs: Date.UTC(2024, 0, 1) + 1 });

      const ids = await exportIds(sim, "since=2024-01-01T00%3A00%3A00Z");

      expect(ids).toEqual(sinceInclusive ? ["at-since", "after-since"] : ["after-since"]);
      await sim.close();
    }
  });

  it("never exports a removed user again, with or without since", async () => {
    const sim = await start();
    sim.store.seedGenerated({ count: 3, seed: 5 });
    sim.store.put(makeElement("explicit"));
    const [generated] = sim.store.list();
    if (generated === undefined) throw new Error("seed failed");

    nowMs += 1000;
    sim.store.editAttribute(generated.userId, "city", "Paris");
    sim.store.editAttribute("explicit", "city", "Paris");
    sim.store.remove(generated.userId);
    sim.store.remove("explicit");

    expect(await exportIds(sim, "rpp=10")).toHaveLength(2);
    expect(await exportIds(sim, "since=2024-01-01T00%3A00%3A00Z")).toEqual([]);
    expect(sim.store.size).toBe(2);
  });

  it("filters on registration with registeredSince (inclusive) and registeredBefore (exclusive)", async () => {
    const sim = await start({ sinceInclusive: true });
    sim.store.put(makeElement("r2020", "2020-06-01T00:00:00Z"));
    sim.store.put(makeElement("r2021", "2021-01-01T00:00:00Z"));
    sim.store.put(makeElement("r2022", "2022-01-01T00:00:00Z"));

    const window = await exportIds(
      sim,
      "registeredSince=2021-01-01T00%3A00%3A00Z&registeredBefore=2022-01-01T00%3A00%3A00Z",
    );

    expect(window).toEqual(["r2021"]);
  });

  it("filters generated users on registration without building them all", async () => {
    const sim = await start();
    sim.store.seedGenerated({ count: 5000, seed: 9 });
    const expected = sim.store
      .list()
      .filter(
        (user) => user.registeredAtMs >= Date.UTC(2020, 0, 1) && user.registeredAtMs < Date.UTC(2021, 0, 1),
      )
      .map((user) => user.userId);

    const ids = await exportIds(
      sim,
      "registeredSince=2019-12-31T23%3A59%3A59.999Z&registeredBefore=2021-01-01T00%3A00%3A00Z&rpp=5000",
    );

    expect(expected.length).toBeGreaterThan(100);
    expect(ids).toEqual(expected);
  });

  it("accepts zone offsets and fractional seconds when percent-encoded, and refuses a raw plus sign", async () => {
    const sim = await start();
    sim.store.put(makeElement("u-1"), { updatedAtMs: Date.UTC(2024, 0, 1, 0, 30) });

    const encodedOffset = await exportIds(sim, "since=2024-01-01T01%3A00%3A00.000%2B01%3A00");
    const rawPlus = await signedGet(sim, "since=2024-01-01T01:00:00+01:00", { nowMs });

    expect(encodedOffset).toEqual(["u-1"]);
    expect(rawPlus.status).toBe(400);
  });
});
