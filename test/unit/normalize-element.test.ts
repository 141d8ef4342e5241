import { normalizeElement } from "../../src/sync/normalize/normalize-element.js";
import { parseInstant } from "../../src/sync/normalize/parse-instant.js";
import { LosslessNumber } from "../../src/json/lossless-number.js";
import type { NormalizeOutcome } from "../../src/db/normalized-user.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const userId = "0435ed2d-1221-4de2-88c7-304dbaac8d42";

function documentedElement(): Record<string, unknown> {
  return {
    user: {
      user_id: userId,
      identifiers: { email_address: "alex.pereda+trial67@zephr.com" },
      email_verified: false,
      tracking_id: "1ee810c6-a212-42da-9ec9-4700d1a244b1",
      registered: "2021-02-24T15:43:28Z",
      registration_tenant: "alexpereda|demosite",
      attributes: { first_name: "Joe", surname: "Blow" },
      last_login: "2024-01-01T00:00:00Z",
    },
    "seq-no": 17,
    "foreign-keys": { crm: "123" },
    grants: {
      results: [
        {
          grantId: "e196ad75-a6d0-471b-90b3-de3843dd7860",
          user_id: "e1812285-2f21-441e-8be4-b08835cd4b2c",
          account_id: "14515649-565f-4b1c-8346-eb98301c1d6b",
          expiry_state: "pending",
          entitlement_type: "bundle",
          entitlement_id: "b74df5c4-fded-492c-ad90-07646bded5db",
          startTime: "2022-06-01 00:00:00",
          endTime: "2022-12-31 23:59:59",
          product_id: "86abb44a-e6f2-4f9b-ac26-46ae0a13ed31",
          createdAt: "2022-05-31 23:59:59",
        },
        { grant_id: "g-2", created_at: "2022-05-31 23:59:59", startTime: "2022-06-01 00:00:00" },
      ],
    },
  };
}

function normalize(element: unknown, hasLossless = false, grantTimezone = "UTC"): NormalizeOutcome {
  return normalizeElement({ value: element, hasLossless, hasTooDeep: false }, { grantTimezone });
}

function reasonsOf(outcome: NormalizeOutcome): readonly string[] {
  if (outcome.ok) throw new Error("expected a reject");
  return outcome.rejected.reasons;
}

describe("normalizing an export element", () => {
  test("the documented element becomes one user with its grants, extras kept", () => {
    const outcome = normalize(documentedElement());
    if (!outcome.ok) throw new Error(outcome.rejected.reasons.join("; "));
    const { user } = outcome;
    expect(user).toMatchObject({
      userId,
      emailAddress: "alex.pereda+trial67@zephr.com",
      emailVerified: false,
      registeredAt: "2021-02-24T15:43:28.000Z",
      registrationTenant: "alexpereda|demosite",
      attributes: { first_name: "Joe", surname: "Blow" },
      seqNo: 17,
      userExtra: { last_login: "2024-01-01T00:00:00Z" },
      elementExtra: { "foreign-keys": { crm: "123" } },
    });
    expect(user.grants).toEqual([
      expect.objectContaining({
        grantId: "e196ad75-a6d0-471b-90b3-de3843dd7860",
        startsAt: "2022-06-01T00:00:00.000Z",
        endsAt: "2022-12-31T23:59:59.000Z",
        createdAt: "2022-05-31T23:59:59.000Z",
        grantUserId: "e1812285-2f21-441e-8be4-b08835cd4b2c",
        extra: {},
      }),
      expect.objectContaining({
        grantId: "g-2",
        grantUserId: null,
        endsAt: null,
        createdAt: "2022-05-31T23:59:59.000Z",
      }),
    ]);
    expect(user.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("a grant's own user_id is kept lowercased when it is a UUID, and in the extras when it is not", () => {
    const element = {
      user: { user_id: userId },
      grants: {
        results: [
          { grantId: "g-upper", user_id: "E1812285-2F21-441E-8BE4-B08835CD4B2C" },
          { grantId: "g-text", user_id: "company-7" },
          { grantId: "g-number", user_id: 7 },
        ],
      },
    };
    const outcome = normalize(element);
    if (!outcome.ok) throw new Error(outcome.rejected.reasons.join("; "));
    expect(
      outcome.user.grants.map(({ grantId, grantUserId, extra }) => ({ grantId, grantUserId, extra })),
    ).toEqual([
      { grantId: "g-upper", grantUserId: "e1812285-2f21-441e-8be4-b08835cd4b2c", extra: {} },
      { grantId: "g-text", grantUserId: null, extra: { user_id: "company-7" } },
      { grantId: "g-number", grantUserId: null, extra: { user_id: 7 } },
    ]);
  });

  test("the same content hashes the same, and any change changes the hash", () => {
    const first = normalize(documentedElement());
    const again = normalize(documentedElement());
    const changed = documentedElement();
    (changed.user as { attributes: Record<string, unknown> }).attributes.surname = "Blew";
    const third = normalize(changed);
    if (!first.ok || !again.ok || !third.ok) throw new Error("expected users");
    expect(again.user.contentHash).toBe(first.user.contentHash);
    expect(third.user.contentHash).not.toBe(first.user.contentHash);
  });

  test("user ids are stored lowercase", () => {
    const element = { user: { user_id: userId.toUpperCase() } };
    const outcome = normalize(element);
    expect(outcome.ok && outcome.user.userId).toBe(userId);
  });

  test("zone-less grant times are read in the configured zone", () => {
    const outcome = normalize(documentedElement(), false, "America/New_York");
    if (!outcome.ok) throw new Error("expected a user");
    expect(outcome.user.grants[0]?.startsAt).toBe("2022-06-01T04:00:00.000Z");
    expect(outcome.user.grants[0]?.endsAt).toBe("2023-01-01T04:59:59.000Z");
  });

  test("a seq-no beyond 2^53 is kept exactly", () => {
    const outcome = normalize(
      { user: { user_id: userId }, "seq-no": new LosslessNumber("123456789012345678901") },
      true,
    );
    expect(outcome.ok && outcome.user.seqNo).toEqual(new LosslessNumber("123456789012345678901"));
  });

  test.each([
    ["a null element", null, /the element must be an object/],
    ["an array element", [1], /the element must be an object/],
    ["no user", { grants: {} }, /element.user must be an object/],
    ["a missing user_id", { user: {} }, /user.user_id is missing/],
    ["a non-UUID user_id", { user: { user_id: "42" } }, /not a UUID/],
    ["a numeric user_id", { user: { user_id: 42 } }, /not a UUID/],
    [
      "an impossible date",
      { user: { user_id: userId, registered: "2021-02-30T00:00:00Z" } },
      /user.registered/,
    ],
    [
      "identifiers as a string",
      { user: { user_id: userId, identifiers: "x" } },
      /user.identifiers must be an object/,
    ],
    [
      "attributes as a list",
      { user: { user_id: userId, attributes: [] } },
      /user.attributes must be an object/,
    ],
    ["email_verified as a number", { user: { user_id: userId, email_verified: 1 } }, /email_verified/],
    ["grants as a string", { user: { user_id: userId }, grants: "x" }, /grants must be an object/],
    ["a grant without id", { user: { user_id: userId }, grants: { results: [{}] } }, /grantId is missing/],
    [
      "a grant with a bad endTime",
      { user: { user_id: userId }, grants: { results: [{ grantId: "g", endTime: "soon" }] } },
      /endTime is not a valid date/,
    ],
    ["a NUL in an attribute", { user: { user_id: userId, attributes: { a: "x\u0000y" } } }, /NUL character/],
    ["a lone surrogate", { user: { user_id: userId, attributes: { a: "\ud800" } } }, /invalid Unicode/],
    [
      "an attribute name too long to index",
      { user: { user_id: userId, attributes: { ["n".repeat(2001)]: 1 } } },
      /^the user\.attributes name "n{56}\.\.\. is longer than 2000 bytes, more than the warehouse can index$/,
    ],
    [
      "a NUL in a list inside a grant",
      { user: { user_id: userId }, grants: { results: [{ grantId: "g", tags: ["ok", "x\u0000"] }] } },
      /^element\.grants\.results\[0\]\.tags\[1\] contains a NUL character or invalid Unicode$/,
    ],
    [
      "a NUL in a key of a nested object",
      { user: { user_id: userId, identifiers: { "a\u0000": "x" } } },
      /^a key in element\.user\.identifiers contains a NUL character or invalid Unicode$/,
    ],
  ])("%s is rejected with a reason", (_name, element, reason) => {
    expect(reasonsOf(normalize(element)).join("; ")).toMatch(reason);
  });

  test("every problem of an element is listed, not only the first", () => {
    const reasons = reasonsOf(
      normalize({
        user: { user_id: "nope", registered: "yesterday", tracking_id: 5 },
        grants: { results: [7] },
      }),
    );
    expect(reasons).toHaveLength(4);
  });

  /** The documented element with its first grant edited. */
  function withFirstGrant(
    fields: Record<string, unknown>,
    extra: readonly unknown[] = [],
  ): Record<string, unknown> {
    const element = documentedElement();
    const results = (element.grants as { results: Record<string, unknown>[] }).results;
    results[0] = { ...results[0], ...fields };
    results.push(...(extra as Record<string, unknown>[]));
    return element;
  }

  test("a grant that starts after it ends is rejected, one that starts as it ends is kept", () => {
    expect(reasonsOf(normalize(withFirstGrant({ startTime: "2023-01-01 00:00:00" })))).toEqual([
      'grants.results[0].startTime "2023-01-01 00:00:00" is after its endTime "2022-12-31 23:59:59"',
    ]);
    const same = normalize(withFirstGrant({ startTime: "2022-12-31 23:59:59" }));
    expect(same.ok).toBe(true);
  });

  test('an endTime of "" is rejected, not read as an indefinite grant; null and absent are indefinite', () => {
    expect(reasonsOf(normalize(withFirstGrant({ endTime: "" })))).toEqual([
      "grants.results[0].endTime is an empty string: an indefinite grant has no endTime, or null",
    ]);
    for (const endTime of [null, undefined]) {
      const outcome = normalize(withFirstGrant({ endTime }));
      if (!outcome.ok) throw new Error(outcome.rejected.reasons.join("; "));
      expect(outcome.user.grants[0]?.endsAt).toBeNull();
    }
  });

  test("one grant id listed twice: kept once when both are the same, the element rejected when they differ", () => {
    const first = (documentedElement().grants as { results: Record<string, unknown>[] }).results[0] ?? {};
    const twice = normalize(withFirstGrant({}, [{ ...first }]));
    if (!twice.ok) throw new Error(twice.rejected.reasons.join("; "));
    expect(twice.user.grants.map((g) => g.grantId)).toEqual([first.grantId, "g-2"]);
    expect(reasonsOf(normalize(withFirstGrant({}, [{ ...first, expiry_state: "expired" }])))).toEqual([
      `grants.results[0] and grants.results[2] have the same grantId "${String(first.grantId)}" and differ`,
    ]);
  });

  test("a rejected element keeps its JSON text and the user_id it had", () => {
    const outcome = normalize({ user: { user_id: "nope" } });
    expect(outcome).toEqual({
      ok: false,
      rejected: {
        userId: "nope",
        reasons: ['user.user_id is not a UUID: "nope"'],
        element: '{"user":{"user_id":"nope"}}',
      },
    });
  });
});

describe("parsing Zephr instants", () => {
  test.each([
    ["2021-02-24T15:43:28Z", "2021-02-24T15:43:28.000Z"],
    ["2021-02-24 15:43:28", "2021-02-24T15:43:28.000Z"],
    ["2021-02-24T15:43:28.123+02:00", "2021-02-24T13:43:28.123Z"],
    ["2021-02-24", "2021-02-24T00:00:00.000Z"],
    ["2024-02-29 23:59:59", "2024-02-29T23:59:59.000Z"],
  ])("%s reads as %s", (text, iso) => {
    expect(parseInstant(text, "UTC")).toBe(iso);
  });

  test.each([
    "2023-02-29 00:00:00",
    "2021-13-01",
    "2021-01-01 24:00:00",
    "tomorrow",
    "",
    "2021-01-01T00:00:00+25:00",
  ])("%j is not an instant", (text) => {
    expect(parseInstant(text, "UTC")).toBeUndefined();
  });

  test("the last day of every month is valid and the day after it is not, leap years included", () => {
    for (const year of [1, 4, 99, 100, 400, 1900, 2000, 2023, 2024, 2100, 9999]) {
      for (let month = 1; month <= 12; month++) {
        const at = new Date(0);
        at.setUTCFullYear(year, month, 0); // day 0 of the next month: the last day of this one
        const last = at.getUTCDate();
        const date = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`;
        expect(parseInstant(`${date}-${last} 12:00:00`, "UTC")).toBe(`${date}-${last}T12:00:00.000Z`);
        expect(parseInstant(`${date}-${last + 1}T12:00:00Z`, "UTC")).toBeUndefined();
      }
    }
  });

  test("a wall time a change of offset skips or repeats resolves as PostgreSQL resolves it", async () => {
    // Hard-coded too, so that the rule is plain: skipped times take the offset before the change
    // (02:30 New York, which does not exist, is 03:30 EDT = 07:30Z), repeated ones the later instant.
    expect(parseInstant("2024-03-10 02:30:00", "America/New_York")).toBe("2024-03-10T07:30:00.000Z");
    expect(parseInstant("2024-11-03 01:30:00", "America/New_York")).toBe("2024-11-03T06:30:00.000Z");
    const cases: [string, string][] = [];
    for (const [zone, times] of [
      [
        "America/New_York",
        [
          "2024-03-10 01:59:59",
          "2024-03-10 02:00:00",
          "2024-03-10 02:30:00",
          "2024-03-10 03:00:00",
          "2024-11-03 00:59:59",
          "2024-11-03 01:00:00",
          "2024-11-03 01:30:00",
          "2024-11-03 02:00:00",
        ],
      ],
      ["Europe/London", ["2024-03-31 01:30:00", "2024-10-27 01:30:00", "2024-10-27 02:00:00"]],
      ["Australia/Lord_Howe", ["2024-10-06 02:15:00", "2024-10-06 02:30:00", "2024-04-07 01:45:00"]],
      ["Pacific/Apia", ["2011-12-30 12:00:00"]],
      ["Asia/Kolkata", ["2024-03-10 02:30:00"]],
    ] as const) {
      for (const time of times) cases.push([zone, time]);
    }
    let db: TestDatabase | undefined;
    try {
      db = await createTestDatabase();
      for (const [zone, time] of cases) {
        const result = await db.pool.query<{ utc: string }>(
          `select to_char(($1::timestamp at time zone $2::text) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as utc`,
          [time, zone],
        );
        expect({ zone, time, utc: parseInstant(time, zone) }).toEqual({
          zone,
          time,
          utc: result.rows[0]?.utc,
        });
      }
    } finally {
      await db?.drop();
    }
  });

  test("wall times across a daylight-saving change resolve to the right instant", () => {
    expect(parseInstant("2024-03-31 03:30:00", "Europe/London")).toBe("2024-03-31T02:30:00.000Z");
    expect(parseInstant("2024-01-15 12:00:00", "Europe/London")).toBe("2024-01-15T12:00:00.000Z");
  });
});
