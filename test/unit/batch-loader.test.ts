import { zeroCounts } from "../../src/db/sync-runs.js";
import { BatchLoader } from "../../src/sync/load/batch-loader.js";
import type { PendingElement, UserBatch } from "../../src/sync/load/user-batch.js";

// The loader hands batches over without looking at their elements.
const element = { page: 1, hash: "h" } as unknown as PendingElement;

function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("BatchLoader", () => {
  test("prepares up to two batches at once but writes them in arrival order", async () => {
    const events: string[] = [];
    const prepared = [gate(), gate(), gate()];
    let running = 0;
    let maxRunning = 0;
    const loader = new BatchLoader(
      1,
      async (batch: UserBatch, previous: Promise<void>) => {
        const name = [...batch.keyed.keys()].join();
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        events.push(`prepare ${name}`);
        await prepared[Number(name.slice(1))]?.promise;
        await previous;
        events.push(`write ${name}`);
        running -= 1;
        return zeroCounts;
      },
      () => undefined,
    );
    for (const id of ["u0", "u1", "u2"]) {
      loader.batch.add(id, element);
      const handed = loader.next();
      if (id === "u2") {
        // Two loads are in flight: the third waits for room. Let the second finish preparing first.
        prepared[1]?.open();
        prepared[0]?.open();
      }
      await handed;
    }
    prepared[2]?.open();
    await loader.finish();
    expect(maxRunning).toBe(2);
    expect(events.filter((e) => e.startsWith("write"))).toEqual(["write u0", "write u1", "write u2"]);
  });

  test("a batch sharing a user with a load in flight starts after it", async () => {
    const events: string[] = [];
    const first = gate();
    const loader = new BatchLoader(
      1,
      async (batch: UserBatch) => {
        const name = [...batch.keyed.keys()].join();
        events.push(`start ${name}`);
        if (events.length === 1) await first.promise;
        events.push(`end ${name}`);
        return zeroCounts;
      },
      () => undefined,
    );
    loader.batch.add("same", element);
    await loader.next();
    loader.batch.add("same", element);
    const second = loader.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(["start same"]);
    first.open();
    await second;
    await loader.finish();
    expect(events).toEqual(["start same", "end same", "start same", "end same"]);
  });

  test("a failed load fails the next hand-over and the finish", async () => {
    const loader = new BatchLoader(
      1,
      () => Promise.reject(new Error("boom")),
      () => undefined,
    );
    loader.batch.add("a", element);
    await loader.next();
    await loader.settle();
    loader.batch.add("b", element);
    await expect(loader.next()).rejects.toThrow("boom");
    await expect(loader.finish()).rejects.toThrow("boom");
  });
});
