import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";
import { daysFromNow, runCatalogueRefresh, zephrTime } from "./analyst-fixture.js";

const alice = "a11ce000-0000-4000-8000-000000000001";
const bob = "b0b00000-0000-4000-8000-000000000002";
const gone = "90e00000-0000-4000-8000-000000000003";

function grant(
  id: string,
  userId: string,
  options: { type: string; entitlement: string; product: string; start: number; end?: number; state: string },
): Record<string, string> {
  return {
    grantId: id,
    user_id: userId,
    entitlement_type: options.type,
    entitlement_id: options.entitlement,
    product_id: options.product,
    expiry_state: options.state,
    startTime: zephrTime(options.start),
    ...(options.end === undefined ? {} : { endTime: zephrTime(options.end) }),
    createdAt: zephrTime(options.start),
  };
}

function element(userId: string, email: string, attributes: Record<string, unknown>, grants: unknown[]) {
  return {
    user: {
      user_id: userId,
      identifiers: { email_address: email },
      email_verified: true,
      registered: "2024-03-01T10:00:00Z",
      attributes,
    },
    "seq-no": 1,
    grants: { results: grants },
  };
}

describe("the analyst views on crafted data", () => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await startSyncFixture();
    const { store, catalogue } = fixture.simulator;
    store.put(
      element(
        alice,
        "Alice.Example@Example.COM",
        {
          newsletter: "true",
          marketing: false,
          "terms-accepted": "TRUE",
          "sms-opt-in": "maybe",
          age: "42",
          "loyalty-points": 17,
          height: "tall",
          birthday: "1990-02-28",
          "renewal-date": "2023-02-30",
          "joined-on": "2024-05-06T07:08:09Z",
          company: "Acme",
          undeclared: "true",
        },
        [
          // Zephr's export-time expiry_state is stale on purpose: the views must not trust it.
          grant("g-active-ending", alice, {
            type: "bundle",
            entitlement: "bundle-1",
            product: "prod-1",
            start: daysFromNow(-10),
            end: daysFromNow(20),
            state: "pending",
          }),
          grant("g-indefinite", alice, {
            type: "meter",
            entitlement: "meter-1",
            product: "prod-2",
            start: daysFromNow(-400),
            state: "expired",
          }),
          grant("g-future", alice, {
            type: "entitlement",
            entitlement: "ent-1",
            product: "prod-1",
            start: daysFromNow(5),
            end: daysFromNow(35),
            state: "active",
          }),
          grant("g-past", alice, {
            type: "credits",
            entitlement: "credits-1",
            product: "prod-2",
            start: daysFromNow(-60),
            end: daysFromNow(-1),
            state: "active",
          }),
        ],
      ),
    );
    store.put(
      element(bob, "bob@example.org", { newsletter: "false" }, [
        grant("g-bob-unknown", bob, {
          type: "bundle",
          entitlement: "bundle-unlisted",
          product: "prod-unlisted",
          start: daysFromNow(-1),
          state: "active",
        }),
      ]),
    );
    store.put(
      element(gone, "gone@example.org", {}, [
        grant("g-gone", gone, {
          type: "bundle",
          entitlement: "bundle-1",
          product: "prod-1",
          start: daysFromNow(-1),
          state: "active",
        }),
      ]),
    );
    catalogue.set("/v3/products", [
      { id: "prod-1", label: "Digital Premium" },
      { id: "prod-2", label: "Print" },
    ]);
    catalogue.set("/v3/bundles", [{ id: "bundle-1", label: "All access" }]);
    catalogue.set("/v3/entitlements", [{ id: "ent-1", label: "Sport section" }]);
    catalogue.set("/v3/meters", [{ meter_id: "meter-1", name: "Five free articles" }]);
    catalogue.set("/v3/credits", [{ id: "credits-1", title: "Ten credits" }]);
    catalogue.set("/v3/schema/users", [
      { slug: "newsletter", label: "Newsletter", "input-type": "checkbox" },
      { slug: "marketing", label: "Marketing", "input-type": "checkbox" },
      { slug: "terms-accepted", label: "Terms", "input-type": "checkbox" },
      { slug: "sms-opt-in", label: "SMS", "input-type": "checkbox" },
      { slug: "age", label: "Age", "input-type": "number" },
      { slug: "loyalty-points", label: "Points", "input-type": "number" },
      { slug: "height", label: "Height", "input-type": "number" },
      { slug: "birthday", label: "Birthday", "input-type": "date" },
      { slug: "renewal-date", label: "Renewal", "input-type": "date" },
      { slug: "joined-on", label: "Joined", "input-type": "date" },
      { slug: "company", label: "Company", "input-type": "text" },
    ]);
    expectSucceeded(await fixture.run());
    const summary = await runCatalogueRefresh(fixture);
    expect(summary.failed).toEqual([]);
    // How a complete export marks a user Zephr no longer has (the reconciliation sets deleted_at).
    await fixture.db.pool.query(`update zephr.users set deleted_at = now() where user_id = $1::uuid`, [gone]);
  });

  afterAll(async () => {
    await fixture.close();
  });

  test("current_users leaves out deleted users", async () => {
    const result = await fixture.db.pool.query<{ user_id: string }>(
      `select user_id from zephr.current_users order by user_id`,
    );
    expect(result.rows.map((r) => r.user_id)).toEqual([alice, bob]);
  });

  test("active_grants holds started, unended grants of existing users, whatever the export-time state said", async () => {
    const result = await fixture.db.pool.query<{ grant_id: string }>(
      `select grant_id from zephr.active_grants order by grant_id`,
    );
    expect(result.rows.map((r) => r.grant_id)).toEqual(["g-active-ending", "g-bob-unknown", "g-indefinite"]);
  });

  test("grant_details computes pending, active and expired now and names what each grant grants", async () => {
    const result = await fixture.db.pool.query(
      `select grant_id, state_now, export_expiry_state, granted_label, product_label, user_deleted
         from zephr.grant_details order by grant_id`,
    );
    expect(result.rows).toEqual([
      {
        grant_id: "g-active-ending",
        state_now: "active",
        export_expiry_state: "pending",
        granted_label: "All access",
        product_label: "Digital Premium",
        user_deleted: false,
      },
      {
        grant_id: "g-bob-unknown",
        state_now: "active",
        export_expiry_state: "active",
        granted_label: null,
        product_label: null,
        user_deleted: false,
      },
      {
        grant_id: "g-future",
        state_now: "pending",
        export_expiry_state: "active",
        granted_label: "Sport section",
        product_label: "Digital Premium",
        user_deleted: false,
      },
      {
        grant_id: "g-gone",
        state_now: "active",
        export_expiry_state: "active",
        granted_label: "All access",
        product_label: "Digital Premium",
        user_deleted: true,
      },
      {
        grant_id: "g-indefinite",
        state_now: "active",
        export_expiry_state: "expired",
        granted_label: "Five free articles",
        product_label: "Print",
        user_deleted: false,
      },
      {
        grant_id: "g-past",
        state_now: "expired",
        export_expiry_state: "active",
        granted_label: "Ten credits",
        product_label: "Print",
        user_deleted: false,
      },
    ]);
  });

  test("user_attributes_typed casts values by their declared input type and never fails on a bad one", async () => {
    const result = await fixture.db.pool.query<Record<string, unknown>>(
      `select name, label, input_type, text_value, boolean_value, numeric_value::text as numeric_value,
              to_char(date_value, 'YYYY-MM-DD') as date_value
         from zephr.user_attributes_typed where user_id = $1::uuid order by name`,
      [alice],
    );
    const byName: Record<string, Record<string, unknown>> = Object.fromEntries(
      result.rows.map((row) => [String(row.name), row]),
    );
    expect(byName.newsletter).toMatchObject({
      input_type: "checkbox",
      boolean_value: true,
      text_value: "true",
    });
    expect(byName.marketing).toMatchObject({ boolean_value: false, text_value: "false" });
    expect(byName["terms-accepted"]).toMatchObject({ boolean_value: true });
    expect(byName["sms-opt-in"]).toMatchObject({ boolean_value: null, text_value: "maybe" });
    expect(byName.age).toMatchObject({ numeric_value: "42", boolean_value: null });
    expect(byName["loyalty-points"]).toMatchObject({ numeric_value: "17" });
    expect(byName.height).toMatchObject({ numeric_value: null, text_value: "tall" });
    expect(byName.birthday).toMatchObject({ date_value: "1990-02-28" });
    expect(byName["renewal-date"]).toMatchObject({ date_value: null, text_value: "2023-02-30" });
    expect(byName["joined-on"]).toMatchObject({ date_value: "2024-05-06" });
    expect(byName.company).toMatchObject({
      label: "Company",
      text_value: "Acme",
      boolean_value: null,
      numeric_value: null,
      date_value: null,
    });
    expect(byName.undeclared).toMatchObject({ label: null, input_type: null, boolean_value: null });
  });

  test("a person's email is found whatever its case", async () => {
    const result = await fixture.db.pool.query<{ user_id: string }>(
      `select user_id from zephr.current_users where lower(email_address) = lower($1::text)`,
      ["alice.example@EXAMPLE.com"],
    );
    expect(result.rows).toEqual([{ user_id: alice }]);
  });

  test("the safe casts give null instead of failing on values that only look castable", async () => {
    const result = await fixture.db.pool.query(
      `select zephr.try_numeric('"1e99999"') as huge, zephr.try_numeric('"1e3"')::text as exp,
              zephr.try_numeric('{"a":1}') as object, zephr.try_date('"2024-13-01"') as month13,
              zephr.try_date('"2024-02-29"')::text as leap, zephr.try_boolean('1') as one,
              zephr.try_boolean('"off"') as off, zephr.try_boolean('null') as json_null`,
    );
    expect(result.rows).toEqual([
      {
        huge: null,
        exp: "1000",
        object: null,
        month13: null,
        leap: "2024-02-29",
        one: true,
        off: false,
        json_null: null,
      },
    ]);
  });
});
