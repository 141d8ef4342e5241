import { catalogueEndpoints } from "../../src/zephr/catalogue/catalogue-endpoints.js";
import { extractListingItems, findNextLink } from "../../src/zephr/catalogue/catalogue-listing.js";
import { readAttributeDefinition, readCatalogueItem } from "../../src/zephr/catalogue/catalogue-items.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";
import { createRecordingLogger, runCatalogueRefresh } from "./analyst-fixture.js";

const productsEndpoint = catalogueEndpoints[0] ?? { kind: "product", path: "/v3/products", idKeys: ["id"] };
const metersEndpoint = catalogueEndpoints.find((e) => e.kind === "meter") ?? productsEndpoint;

describe("reading catalogue listings of undocumented shape", () => {
  test("a bare array, a results envelope, nested results and a single named array all give the items", () => {
    expect(extractListingItems([{ id: "a" }])).toEqual([{ id: "a" }]);
    expect(extractListingItems({ results: [{ id: "a" }], meta: { count: 1 } })).toEqual([{ id: "a" }]);
    expect(extractListingItems({ results: [[{ id: "a" }], [{ id: "b" }]] })).toEqual([
      { id: "a" },
      { id: "b" },
    ]);
    expect(extractListingItems({ products: [{ id: "a" }], links: [] })).toEqual([{ id: "a" }]);
  });

  test("a body without one recognisable list is refused rather than read as empty", () => {
    expect(extractListingItems({ message: "hello" })).toBeUndefined();
    expect(extractListingItems({ a: [], b: [] })).toBeUndefined();
    expect(extractListingItems("text")).toBeUndefined();
  });

  test("next links are found in links.next.url, links.next or next, and absent on the last page", () => {
    expect(findNextLink({ links: { next: { url: "/v3/products?page=2" } } })).toBe("/v3/products?page=2");
    expect(findNextLink({ links: { next: "/x?page=3" } })).toBe("/x?page=3");
    expect(findNextLink({ next: "/y" })).toBe("/y");
    expect(findNextLink({ links: { next: null } })).toBeUndefined();
    expect(findNextLink([])).toBeUndefined();
  });

  test("an item's id and label are taken from the first known field, and its whole JSON is kept", () => {
    expect(readCatalogueItem(productsEndpoint, { id: "p1", label: "Premium", extra: [1] })).toEqual({
      itemId: "p1",
      label: "Premium",
      item: { id: "p1", label: "Premium", extra: [1] },
    });
    expect(readCatalogueItem(metersEndpoint, { meter_id: "m1", name: "Meter" })).toMatchObject({
      itemId: "m1",
      label: "Meter",
    });
    expect(readCatalogueItem(productsEndpoint, { productId: 42, title: "T" })).toMatchObject({
      itemId: "42",
      label: "T",
    });
    expect(readCatalogueItem(productsEndpoint, { label: "no id" })).toBeUndefined();
    expect(readCatalogueItem(productsEndpoint, "p1")).toBeUndefined();
  });

  test("strings PostgreSQL cannot store are replaced, and __proto__ stays an ordinary key", () => {
    const raw = JSON.parse('{"id":"p\\u0000","label":"a\\ud800b","__proto__":{"x":1}}') as unknown;
    const item = readCatalogueItem(productsEndpoint, raw);
    expect(item?.itemId).toBe("p\uFFFD");
    expect(item?.label).toBe("a\uFFFDb");
    expect(JSON.stringify(item?.item)).toBe('{"id":"p\uFFFD","label":"a\uFFFDb","__proto__":{"x":1}}');
  });

  test("attribute definitions accept input-type, inputType, input_type or type", () => {
    expect(readAttributeDefinition({ slug: "news", label: "News", "input-type": "Checkbox" })).toMatchObject({
      slug: "news",
      label: "News",
      inputType: "checkbox",
    });
    expect(readAttributeDefinition({ slug: "age", inputType: "number" })?.inputType).toBe("number");
    expect(readAttributeDefinition({ key: "x", input_type: "date" })).toMatchObject({
      slug: "x",
      inputType: "date",
    });
    expect(readAttributeDefinition({ label: "no slug" })).toBeUndefined();
  });
});

describe("refreshing the catalogue against the simulator", () => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: 120, seed: 11 } });
    expectSucceeded(await fixture.run());
  });

  afterEach(() => {
    fixture.simulator.catalogue.reset();
  });

  afterAll(async () => {
    await fixture.close();
  });

  test("every listing is read and every granted entitlement and product gets its name", async () => {
    const summary = await runCatalogueRefresh(fixture);
    expect(summary.failed).toEqual([]);
    expect(summary.refreshed.map((r) => r.endpoint)).toEqual([
      "/v3/products",
      "/v3/bundles",
      "/v3/entitlements",
      "/v3/meters",
      "/v3/credits",
      "/v3/schema/users",
    ]);
    const unnamed = await fixture.db.pool.query(
      `select grant_id from zephr.grant_details where granted_label is null or product_label is null`,
    );
    expect(unnamed.rows).toEqual([]);
    const schema = await fixture.db.pool.query<{ slug: string; input_type: string }>(
      `select slug, input_type from zephr.user_attribute_definitions where slug in ('newsletter', 'age') order by slug`,
    );
    expect(schema.rows).toEqual([
      { slug: "age", input_type: "number" },
      { slug: "newsletter", input_type: "checkbox" },
    ]);
    const sources = await fixture.db.pool.query<{ endpoint: string; last_error: string | null }>(
      `select endpoint, last_error from zephr.catalogue_sources order by endpoint`,
    );
    expect(sources.rows).toHaveLength(6);
    expect(sources.rows.every((row) => row.last_error === null)).toBe(true);
  });

  test("a listing answered 403 is logged and skipped, keeps its earlier items, and the others refresh", async () => {
    await runCatalogueRefresh(fixture);
    const metersBefore = await fixture.db.pool.query(
      `select item_id, label from zephr.catalogue_items where kind = 'meter' order by item_id`,
    );
    fixture.simulator.catalogue.failWith("/v3/meters", 403);
    fixture.simulator.catalogue.set("/v3/products", [{ id: "new-product", label: "Brand new" }]);
    const { logger, lines } = createRecordingLogger();

    const summary = await runCatalogueRefresh(fixture, logger);

    expect(summary.failed).toEqual([
      {
        endpoint: "/v3/meters",
        kind: "meter",
        code: "ZEPHR_FORBIDDEN",
        reason: expect.stringContaining("403") as unknown,
      },
    ]);
    expect(summary.refreshed).toHaveLength(5);
    expect(
      lines().some(
        (line) => line.level === 40 && line.endpoint === "/v3/meters" && line.code === "ZEPHR_FORBIDDEN",
      ),
    ).toBe(true);
    const metersAfter = await fixture.db.pool.query(
      `select item_id, label from zephr.catalogue_items where kind = 'meter' order by item_id`,
    );
    expect(metersAfter.rows).toEqual(metersBefore.rows);
    const source = await fixture.db.pool.query<{ last_error: string; last_succeeded_at: Date | null }>(
      `select last_error, last_succeeded_at from zephr.catalogue_sources where endpoint = '/v3/meters'`,
    );
    expect(source.rows[0]?.last_error).toMatch(/403.*user sync is unaffected/);
    expect(source.rows[0]?.last_succeeded_at).not.toBeNull();
    const product = await fixture.db.pool.query(
      `select label, removed_at from zephr.catalogue_items where kind = 'product' and item_id = 'new-product'`,
    );
    expect(product.rows).toEqual([{ label: "Brand new", removed_at: null }]);
  });

  test("a listing the tenant lacks (404) is absent, not failed, and said once rather than on every run", async () => {
    fixture.simulator.catalogue.failWith("/v3/credits", 404);
    const first = createRecordingLogger();
    const summary = await runCatalogueRefresh(fixture, first.logger);
    expect(summary.failed).toEqual([]);
    expect(summary.absent).toEqual([
      {
        endpoint: "/v3/credits",
        kind: "credits",
        reason: expect.stringMatching(
          /^This tenant has no \/v3\/credits listing \(Zephr answered 404 for GET http:\/\/127\.0\.0\.1:\d+\/v3\/credits, where the user export worked\): normal/,
        ) as unknown,
      },
    ]);
    expect(summary.refreshed).toHaveLength(5);
    const said = first.lines().filter((line) => line.endpoint === "/v3/credits");
    expect(said).toEqual([
      expect.objectContaining({ level: 30, msg: "catalogue not offered by this tenant; skipped" }),
    ]);
    expect(JSON.stringify(said)).not.toMatch(/check ZEPHR_BASE_URL/);

    const again = createRecordingLogger();
    const next = await runCatalogueRefresh(fixture, again.logger);
    expect(next.absent.map((a) => a.endpoint)).toEqual(["/v3/credits"]);
    expect(again.lines().filter((line) => line.endpoint === "/v3/credits")).toEqual([]);
    const source = await fixture.db.pool.query<{ last_error: string }>(
      `select last_error from zephr.catalogue_sources where endpoint = '/v3/credits'`,
    );
    expect(source.rows[0]?.last_error).toMatch(/^This tenant has no \/v3\/credits listing/);
  });

  test("items that vanish from a listing are flagged removed, keep their names, and come back", async () => {
    fixture.simulator.catalogue.set("/v3/credits", [
      { id: "c1", label: "Ten credits" },
      { id: "c2", label: "Twenty credits" },
    ]);
    await runCatalogueRefresh(fixture);
    fixture.simulator.catalogue.set("/v3/credits", [{ id: "c2", label: "Twenty credits (renamed)" }]);
    const summary = await runCatalogueRefresh(fixture);
    expect(summary.refreshed.find((r) => r.endpoint === "/v3/credits")).toMatchObject({
      items: 1,
      removed: 1,
    });
    const rows = await fixture.db.pool.query<{ item_id: string; label: string; removed: boolean }>(
      `select item_id, label, removed_at is not null as removed
         from zephr.catalogue_items where kind = 'credits' and item_id in ('c1', 'c2') order by item_id`,
    );
    expect(rows.rows).toEqual([
      { item_id: "c1", label: "Ten credits", removed: true },
      { item_id: "c2", label: "Twenty credits (renamed)", removed: false },
    ]);
    fixture.simulator.catalogue.set("/v3/credits", [{ id: "c1", label: "Ten credits" }]);
    await runCatalogueRefresh(fixture);
    const back = await fixture.db.pool.query(
      `select removed_at from zephr.catalogue_items where kind = 'credits' and item_id = 'c1'`,
    );
    expect(back.rows).toEqual([{ removed_at: null }]);
  });

  test("a paged listing is followed through its next links", async () => {
    fixture.simulator.catalogue.pageSize = 2;
    fixture.simulator.catalogue.setEnvelope("/v3/entitlements", "results");
    fixture.simulator.catalogue.set(
      "/v3/entitlements",
      ["e1", "e2", "e3", "e4", "e5"].map((id) => ({ entitlement_id: id, name: `Entitlement ${id}` })),
    );
    fixture.simulator.requests.length = 0;
    const summary = await runCatalogueRefresh(fixture);
    expect(summary.refreshed.find((r) => r.endpoint === "/v3/entitlements")).toMatchObject({ items: 5 });
    expect(
      fixture.simulator.requests.filter((r) => r.path === "/v3/entitlements").map((r) => r.query),
    ).toEqual(["", "page=2", "page=3"]);
  });

  test("a listing whose entries all lack an id fails and changes nothing; some without an id are skipped", async () => {
    await runCatalogueRefresh(fixture);
    const before = await fixture.db.pool.query(
      `select count(*)::int as n from zephr.catalogue_items where kind = 'bundle' and removed_at is null`,
    );
    fixture.simulator.catalogue.set("/v3/bundles", [{ label: "nameless" }, { title: "also" }]);
    const failed = await runCatalogueRefresh(fixture);
    expect(failed.failed).toEqual([
      expect.objectContaining({ endpoint: "/v3/bundles", code: "EXPORT_MALFORMED" }),
    ]);
    const after = await fixture.db.pool.query(
      `select count(*)::int as n from zephr.catalogue_items where kind = 'bundle' and removed_at is null`,
    );
    expect(after.rows).toEqual(before.rows);

    fixture.simulator.catalogue.set("/v3/bundles", [{ id: "b-ok", label: "Fine" }, { label: "nameless" }]);
    const partial = await runCatalogueRefresh(fixture);
    expect(partial.refreshed.find((r) => r.endpoint === "/v3/bundles")).toMatchObject({
      items: 1,
      skipped: 1,
    });
  });

  test("a body that is not a list fails with a message that says what came instead", async () => {
    fixture.simulator.catalogue.setBody("/v3/products", { message: "hello", status: 1 });
    const summary = await runCatalogueRefresh(fixture);
    expect(summary.failed).toEqual([
      {
        endpoint: "/v3/products",
        kind: "product",
        code: "EXPORT_MALFORMED",
        reason: expect.stringContaining("an object with keys message, status") as unknown,
      },
    ]);
  });

  test("an empty listing is a valid empty catalogue: every item of it is flagged removed", async () => {
    await runCatalogueRefresh(fixture);
    fixture.simulator.catalogue.set("/v3/meters", []);
    const summary = await runCatalogueRefresh(fixture);
    expect(summary.refreshed.find((r) => r.endpoint === "/v3/meters")?.items).toBe(0);
    const live = await fixture.db.pool.query(
      `select count(*)::int as n from zephr.catalogue_items where kind = 'meter' and removed_at is null`,
    );
    expect(live.rows).toEqual([{ n: 0 }]);
  });

  test("a simulator error status other than 403 is reported with its code, after retries when transient", async () => {
    fixture.simulator.catalogue.failWith("/v3/bundles", 503);
    fixture.sleeps.length = 0;
    const summary = await runCatalogueRefresh(fixture);
    expect(summary.failed).toEqual([
      expect.objectContaining({ endpoint: "/v3/bundles", code: "ZEPHR_UNAVAILABLE" }),
    ]);
    const attempts = fixture.simulator.requests.filter((r) => r.path === "/v3/bundles" && r.status === 503);
    expect(attempts.length).toBe(fixture.config.zephr.retries + 1);
  });
});
