import {
  startZephrSimulator,
  type SimulatorOptions,
  type ZephrSimulator,
} from "../../tools/simulator/index.js";
import {
  exportPath,
  getRaw,
  makeElement,
  parseEnvelope,
  parseJson,
  signedGet,
  testKeys,
  userIdOf,
} from "./simulator-client.js";

const nowMs = Date.UTC(2024, 2, 1, 12, 0, 0);
const ids = ["u-1", "u-2", "u-3", "u-4", "u-5"];

describe("the user export's paging and envelopes", () => {
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

  it("pages the object envelope with meta and links, and leaves next out on the last page", async () => {
    const sim = await start();
    const query = (page: number): string =>
      `attributes=true&since=2020-01-01T00%3A00%3A00Z&rpp=2&page=${page}`;

    const pages = await Promise.all([1, 2, 3].map((page) => signedGet(sim, query(page), { nowMs })));
    const [first, second, third] = pages.map(parseEnvelope);

    expect(pages.map((page) => page.status)).toEqual([200, 200, 200]);
    expect([first, second, third].flatMap((page) => page?.results.map(userIdOf))).toEqual(ids);
    expect(first?.meta).toEqual({ count: 5, rpp: 2, paginated: true });
    const link = (page: number): { url: string; page: number } => ({
      url: `${sim.url}${exportPath}?${query(page)}`,
      page,
    });
    expect(first?.links).toEqual({ first: link(1), last: link(3), next: link(2) });
    expect(second?.links).toEqual({ first: link(1), last: link(3), previous: link(1), next: link(3) });
    expect(third?.links).toEqual({ first: link(1), last: link(3), previous: link(2) });
    expect(Object.keys(first ?? {})).toEqual(["results", "meta", "links"]);
  });

  it("writes next and previous as null when configured so", async () => {
    const sim = await start({ lastPageNext: "null" });

    const first = parseEnvelope(await signedGet(sim, "rpp=5&page=1", { nowMs }));

    expect(first.links.next).toBeNull();
    expect(first.links.previous).toBeNull();
    expect(first.links.last).toEqual({ url: `${sim.url}${exportPath}?rpp=5&page=1`, page: 1 });
  });

  it("adds page to links when the request did not name one, keeping the rest of the query byte for byte", async () => {
    const sim = await start();

    const body = parseEnvelope(await signedGet(sim, "since=2020-01-01T00%3A00%3A00Z&rpp=2", { nowMs }));

    expect(body.links.next?.url).toBe(`${sim.url}${exportPath}?since=2020-01-01T00%3A00%3A00Z&rpp=2&page=2`);
  });

  it("serves a bare JSON array with the array envelope, still paged", async () => {
    const sim = await start({ envelope: "array" });

    const page2 = await signedGet(sim, "rpp=2&page=2", { nowMs });
    const page3 = await signedGet(sim, "rpp=2&page=3", { nowMs });

    expect((parseJson(page2) as unknown[]).map(userIdOf)).toEqual(["u-3", "u-4"]);
    expect((parseJson(page3) as unknown[]).map(userIdOf)).toEqual(["u-5"]);
  });

  it("nests results as an array of arrays with the nested envelope", async () => {
    const sim = await start({ envelope: "nested", nestedGroupSize: 2 });

    const body = parseJson(await signedGet(sim, "rpp=5", { nowMs })) as {
      results: unknown[][];
      meta: unknown;
    };

    expect(body.results.map((group) => group.map(userIdOf))).toEqual([
      ["u-1", "u-2"],
      ["u-3", "u-4"],
      ["u-5"],
    ]);
    expect(body.meta).toEqual({ count: 5, rpp: 5, paginated: true });
  });

  it("answers an empty results list for a page past the last one", async () => {
    const sim = await start();

    const body = parseEnvelope(await signedGet(sim, "rpp=2&page=9", { nowMs }));

    expect(body.results).toEqual([]);
    expect(body.meta.count).toBe(5);
    expect(body.links.next).toBeUndefined();
    expect(body.links.previous?.page).toBe(3);
  });

  it("uses 500 results per page and page 1 when the query names neither", async () => {
    const sim = await start();
    sim.store.clear();
    sim.store.seedGenerated({ count: 501, seed: 3 });

    const body = parseEnvelope(await signedGet(sim, "", { nowMs }));

    expect(body.results).toHaveLength(500);
    expect(body.meta).toEqual({ count: 501, rpp: 500, paginated: true });
    expect(body.links.next?.page).toBe(2);
  });

  it("returns every user on every page when ignoring paging, while links still promise more pages", async () => {
    const sim = await start({ ignorePaging: true });

    const page1 = parseEnvelope(await signedGet(sim, "rpp=2&page=1", { nowMs }));
    const page2 = parseEnvelope(await signedGet(sim, "rpp=2&page=2", { nowMs }));

    expect(page1.results.map(userIdOf)).toEqual(ids);
    expect(page2.results.map(userIdOf)).toEqual(ids);
    expect(page2.links.next?.page).toBe(3);
  });

  it("includes user attributes and grants only when asked for", async () => {
    const sim = await start();

    const bare = parseEnvelope(await signedGet(sim, "rpp=1", { nowMs })).results[0];
    const attributes = parseEnvelope(await signedGet(sim, "attributes=true&grants=false&rpp=1", { nowMs }))
      .results[0];
    const grants = parseEnvelope(await signedGet(sim, "grants=true&rpp=1", { nowMs })).results[0];

    expect(bare).toEqual({
      user: {
        user_id: "u-1",
        identifiers: { email_address: "u-1@example.com" },
        email_verified: false,
        registered: "2021-02-24T15:43:28Z",
      },
      "seq-no": 17,
    });
    expect(attributes).toMatchObject({ user: { attributes: { "first-name": "Joe", surname: "Blow" } } });
    expect(attributes).not.toHaveProperty("grants");
    expect(grants).toMatchObject({ grants: { results: [{ grantId: "grant-u-1" }] } });
    expect(grants).not.toHaveProperty("user.attributes");
  });

  it("streams a chunked JSON response dated by its clock", async () => {
    const sim = await start();

    const response = await signedGet(sim, "rpp=2", { nowMs });

    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.headers["transfer-encoding"]).toBe("chunked");
    expect(response.headers.date).toBe("Fri, 01 Mar 2024 12:00:00 GMT");
  });

  it.each([
    ["rpp=0", "rpp must be a positive integer"],
    ["rpp=ten", "rpp must be a positive integer"],
    ["page=-1", "page must be a positive integer"],
    ["grants=yes", "grants must be true or false"],
    ["since=yesterday", "since must be an ISO-8601 instant"],
    ["registeredBefore=2024-01-01", "registeredBefore must be an ISO-8601 instant"],
  ])("answers 400 with a message for the invalid query %s", async (query, message) => {
    const sim = await start();

    const response = await signedGet(sim, query, { nowMs });

    expect(response.status).toBe(400);
    expect(parseJson(response)).toEqual({ message: expect.stringContaining(message) as unknown });
  });

  it("answers 404 in JSON for an unknown path and 405 for another method", async () => {
    const sim = await start();

    const unknown = await signedGet(sim, "", { nowMs, path: "/v3/users" });
    const post = await getRaw(sim.url, exportPath, {}, "POST");

    expect(unknown.status).toBe(404);
    expect(parseJson(unknown)).toEqual({ message: "No route for GET /v3/users." });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET");
  });

  it("serves many concurrent requests, each its own page", async () => {
    const sim = await start();
    sim.store.seedGenerated({ count: 600, seed: 12 });

    const pages = await Promise.all(
      Array.from({ length: 30 }, (_, i) => signedGet(sim, `grants=true&rpp=20&page=${i + 1}`, { nowMs })),
    );

    const ids = pages.flatMap((page) => parseEnvelope(page).results.map(userIdOf));
    expect(pages.every((page) => page.status === 200)).toBe(true);
    expect(ids).toEqual([...sim.store.userIds()].slice(0, 600));
  });

  it("serves malformed elements exactly as they were stored", async () => {
    const sim = await start();
    sim.store.clear();
    sim.store.put({ user: "not an object", extra: [1, 2] }, { userId: "odd-1" });
    sim.store.put(42, { userId: "odd-2" });
    sim.store.put(undefined, { userId: "odd-3" });

    const body = parseEnvelope(await signedGet(sim, "rpp=10", { nowMs }));

    expect(body.results).toEqual([{ user: "not an object", extra: [1, 2] }, 42, null]);
  });

  it("answers without a signature check only for unknown paths", async () => {
    const sim = await start();

    const response = await getRaw(sim.url, "/nothing-here");

    expect(response.status).toBe(404);
  });
});
