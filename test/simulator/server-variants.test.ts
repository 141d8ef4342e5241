import { request } from "node:http";

import {
  findGrantId,
  listGrants,
  startZephrSimulator,
  type SimulatorOptions,
  type ZephrSimulator,
} from "../../tools/simulator/index.js";
import { buildAuthorizationHeader } from "../../src/zephr/http/sign-request.js";
import { waitFor } from "../support/wait-for.js";
import {
  exportPath,
  makeElement,
  parseEnvelope,
  parseJson,
  signedGet,
  testKeys,
  userIdOf,
} from "./simulator-client.js";

const nowMs = Date.UTC(2024, 2, 1, 12, 0, 0);
const ids = Array.from({ length: 7 }, (_, i) => `u-${i + 1}`);

describe("the simulator's server variants", () => {
  let simulator: ZephrSimulator | undefined;

  async function start(options: Partial<SimulatorOptions> = {}): Promise<ZephrSimulator> {
    simulator = await startZephrSimulator({ ...testKeys, clock: () => nowMs, ...options });
    for (const id of ids) simulator.store.put(makeElement(id));
    return simulator;
  }

  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });

  it("caps a large rpp at maxPageSize, says so in meta.rpp, and pages by the capped size", async () => {
    const sim = await start({ maxPageSize: 3 });
    const query = (page: number): string => `rpp=500&page=${page}`;

    const [first, second, third] = (
      await Promise.all([1, 2, 3].map((page) => signedGet(sim, query(page), { nowMs })))
    ).map(parseEnvelope);

    expect([first, second, third].map((body) => body?.results.map(userIdOf))).toEqual([
      ["u-1", "u-2", "u-3"],
      ["u-4", "u-5", "u-6"],
      ["u-7"],
    ]);
    expect(first?.meta).toEqual({ count: 7, rpp: 3, paginated: true });
    expect(first?.links.next).toEqual({ url: `${sim.url}${exportPath}?${query(2)}`, page: 2 });
    expect(first?.links.last?.page).toBe(3);
    expect(third?.links.next).toBeUndefined();
  });

  it("leaves an rpp under the cap as asked", async () => {
    const sim = await start({ maxPageSize: 3 });

    const body = parseEnvelope(await signedGet(sim, "rpp=2&page=2", { nowMs }));

    expect(body.results.map(userIdOf)).toEqual(["u-3", "u-4"]);
    expect(body.meta.rpp).toBe(2);
  });

  it("raises a small rpp to minPageSize, sending more users than asked for", async () => {
    const sim = await start({ minPageSize: 4 });

    const first = parseEnvelope(await signedGet(sim, "rpp=2&page=1", { nowMs }));
    const second = parseEnvelope(await signedGet(sim, "rpp=2&page=2", { nowMs }));

    expect(first.results.map(userIdOf)).toEqual(["u-1", "u-2", "u-3", "u-4"]);
    expect(second.results.map(userIdOf)).toEqual(["u-5", "u-6", "u-7"]);
    expect(first.meta).toEqual({ count: 7, rpp: 4, paginated: true });
    expect(first.links.last?.page).toBe(2);
    expect(second.links.next).toBeUndefined();
  });

  it("pages the bare array by the capped size too", async () => {
    const sim = await start({ envelope: "array", maxPageSize: 3 });

    const body = parseJson(await signedGet(sim, "rpp=500&page=3", { nowMs })) as unknown[];

    expect(body.map(userIdOf)).toEqual(["u-7"]);
  });

  it.each([
    ["relative", (page: number) => ({ url: `${exportPath}?rpp=3&page=${page}`, page })],
    ["page-only", (page: number) => ({ page })],
  ] as const)("writes %s links", async (nextLink, link) => {
    const sim = await start({ nextLink });

    const body = parseEnvelope(await signedGet(sim, "rpp=3&page=2", { nowMs }));

    expect(body.links).toEqual({ first: link(1), last: link(3), previous: link(1), next: link(3) });
  });

  it("leaves links out altogether when links are omitted", async () => {
    const sim = await start({ links: "omitted" });

    const body = parseJson(await signedGet(sim, "rpp=3&page=1", { nowMs })) as Record<string, unknown>;

    expect(Object.keys(body)).toEqual(["results", "meta"]);
    expect(body.meta).toEqual({ count: 7, rpp: 3, paginated: true });
  });

  it("leaves meta out altogether when meta is omitted", async () => {
    const sim = await start({ meta: "omitted" });

    const body = parseJson(await signedGet(sim, "rpp=3&page=1", { nowMs })) as Record<string, unknown>;

    expect(Object.keys(body)).toEqual(["results", "links"]);
  });

  it.each([
    ["page", { count: 1, rpp: 3, paginated: true }],
    ["absent", { rpp: 3, paginated: true }],
  ] as const)("writes meta.count as %s", async (count, meta) => {
    const sim = await start({ count });

    const body = parseEnvelope(await signedGet(sim, "rpp=3&page=3", { nowMs }));

    expect(body.meta).toEqual(meta);
  });

  it("with ignorePage serves the first users on every page while meta and links promise more", async () => {
    const sim = await start({ ignorePage: true });

    const first = parseEnvelope(await signedGet(sim, "rpp=3&page=1", { nowMs }));
    const second = parseEnvelope(await signedGet(sim, "rpp=3&page=2", { nowMs }));

    expect(second.results.map(userIdOf)).toEqual(["u-1", "u-2", "u-3"]);
    expect(second.results).toEqual(first.results);
    expect(second.meta).toEqual({ count: 7, rpp: 3, paginated: true });
    expect(second.links.next?.page).toBe(3);
  });

  it.each([
    ["by the clock", "ok", "Fri, 01 Mar 2024 12:00:00 GMT"],
    ["not at all", "missing", undefined],
    ["75 years ahead", { skewMs: Date.UTC(2099, 2, 1, 12) - nowMs }, "Sun, 01 Mar 2099 12:00:00 GMT"],
  ] as const)("dates responses %s as dateHeader says", async (_name, dateHeader, date) => {
    const sim = await start({ dateHeader });

    const response = await signedGet(sim, "rpp=1", { nowMs });

    expect(response.status).toBe(200);
    expect(response.headers.date).toBe(date);
  });

  it("refuses a page size that is not a positive integer before listening", async () => {
    await expect(startZephrSimulator({ ...testKeys, maxPageSize: 0 })).rejects.toThrow(
      /maxPageSize must be a positive integer/,
    );
  });

  it("trickles one space per interval after the envelope's start until the client goes away", async () => {
    const sim = await start();
    sim.faults.push({ kind: "trickle", intervalMs: 5 });
    const query = "rpp=3";
    const authorization = buildAuthorizationHeader(
      { accessKey: testKeys.accessKey, secretKey: testKeys.secretKey },
      { method: "GET", path: exportPath, query, body: "" },
      nowMs,
    );
    const url = new URL(sim.url);
    let received = "";
    const req = request({
      host: url.hostname,
      port: url.port,
      path: `${exportPath}?${query}`,
      headers: { authorization },
      agent: false,
    });
    const closed = new Promise<void>((resolve) => req.once("close", resolve));
    req.on("error", () => undefined);
    req.on("response", (res) => {
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (received += chunk));
      res.on("error", () => undefined);
    });
    req.end();

    await waitFor("a few spaces after the prefix", () => /^\{"results":\[ {3,}$/.test(received));
    req.destroy();
    await closed;
    await waitFor("the trickle to notice the client is gone", () => sim.requests.length === 1);

    expect(sim.requests.map((r) => [r.status, r.fault])).toEqual([[200, "trickle"]]);
    expect(received.trim()).toBe('{"results":[');
  });

  it("lists an account's grant under every member with the same id, kept in each member's element", async () => {
    const sim = await startZephrSimulator({
      ...testKeys,
      clock: () => nowMs,
      sharedGrants: { membersPerAccount: 3, accountShare: 1 },
      users: { count: 6, seed: 4 },
    });
    simulator = sim;
    const members = sim.store.list();
    const body = parseEnvelope(await signedGet(sim, "attributes=true&grants=true&rpp=10", { nowMs }));

    const lastGrantIds = members.map((user) => findGrantId(listGrants(user.element).at(-1)));
    expect(lastGrantIds[0]).toBe(lastGrantIds[1]);
    expect(lastGrantIds[1]).toBe(lastGrantIds[2]);
    expect(lastGrantIds[3]).toBe(lastGrantIds[5]);
    expect(lastGrantIds[0]).not.toBe(lastGrantIds[3]);
    expect(body.results).toEqual(members.map((user) => user.element));
    for (const user of members) {
      for (const grant of listGrants(user.element)) {
        expect((grant as { user_id: string }).user_id).toBe(user.userId);
      }
    }
  });

  it("gives grants another user's id with grantUserIds other, the account owner's for members", async () => {
    const sim = await startZephrSimulator({
      ...testKeys,
      clock: () => nowMs,
      sharedGrants: { membersPerAccount: 3, accountShare: 1 },
      grantUserIds: "other",
      users: { count: 6, seed: 4 },
    });
    simulator = sim;
    const [owner, second, third] = sim.store.list();
    const grantUserIds = (userId: string | undefined): string[] =>
      listGrants(sim.store.get(userId ?? "")?.element).map((g) => (g as { user_id: string }).user_id);

    expect(new Set(grantUserIds(owner?.userId))).toEqual(new Set([second?.userId]));
    expect(new Set(grantUserIds(second?.userId))).toEqual(new Set([owner?.userId]));
    expect(new Set(grantUserIds(third?.userId))).toEqual(new Set([owner?.userId]));
  });

  it("keeps a member's copy of the account grant when the store edits that member", async () => {
    const sim = await startZephrSimulator({
      ...testKeys,
      clock: () => nowMs,
      sharedGrants: { membersPerAccount: 2, accountShare: 1 },
      users: { count: 2, seed: 4 },
    });
    simulator = sim;
    const [owner, member] = sim.store.list();
    const shared = sim.store.listGrantIds(owner?.userId ?? "").at(-1) ?? "";
    sim.store.removeGrant(owner?.userId ?? "", shared);

    expect(sim.store.listGrantIds(owner?.userId ?? "")).not.toContain(shared);
    expect(sim.store.listGrantIds(member?.userId ?? "")).toContain(shared);
  });

  it("switches variant with reshape for the requests that follow, keeping the options not named", async () => {
    const sim = await start({ maxPageSize: 3 });
    const before = parseEnvelope(await signedGet(sim, "rpp=500&page=2", { nowMs }));
    sim.reshape({ ignorePage: true, dateHeader: "missing" });
    const after = await signedGet(sim, "rpp=500&page=2", { nowMs });

    expect(before.results.map(userIdOf)).toEqual(["u-4", "u-5", "u-6"]);
    expect(parseEnvelope(after).results.map(userIdOf)).toEqual(["u-1", "u-2", "u-3"]);
    expect(after.headers.date).toBeUndefined();
    expect(() => {
      sim.reshape({ minPageSize: -1 });
    }).toThrow(/minPageSize must be a positive integer/);
  });

  it("runs a hook when its page is asked for, then answers that page from the changed store", async () => {
    const sim = await start();
    sim.faults.push({
      kind: "hook",
      page: 2,
      run: () => sim.store.put(makeElement("u-new"), { position: "first" }),
    });

    const first = parseEnvelope(await signedGet(sim, "rpp=3&page=1", { nowMs }));
    const second = parseEnvelope(await signedGet(sim, "rpp=3&page=2", { nowMs }));

    expect(first.results.map(userIdOf)).toEqual(["u-1", "u-2", "u-3"]);
    // u-new went in first: page 2 now starts with the user page 1 ended on.
    expect(second.results.map(userIdOf)).toEqual(["u-3", "u-4", "u-5"]);
    expect(second.meta.count).toBe(8);
    expect(sim.store.list().map((u) => u.userId)).toEqual(["u-new", ...ids]);
    expect(sim.requests.map((r) => r.fault)).toEqual([undefined, "hook"]);
  });
});
