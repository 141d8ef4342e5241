import { gzipSync } from "node:zlib";
import { findRun } from "../../src/db/sync-runs.js";
import { maxRejectElementBytes } from "../../src/sync/normalize/reject-row.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { SeededRandom, SimulatorStore, generateUser } from "../../tools/simulator/index.js";
import { captureSqlTexts, type SqlCapture } from "../support/capture-sql.js";
import { startLoadedCliFixture, type CliFixture } from "../support/cli-fixture.js";
import { deletePath, getPath, setPath, type JsonPath } from "../support/edit-json.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { resetWarehouse } from "../support/reset-warehouse.js";
import { startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";
import { readWarehouse, type WarehouseSnapshot } from "../support/warehouse-snapshot.js";

/**
 * A corpus of crafted exports, each run through the real job (runSync → HTTP → simulator → PostgreSQL).
 * Element cases put bad elements in the simulated tenant next to a valid user; body cases answer the
 * first page with exactly the given bytes. Every case starts from a warehouse holding three users and a
 * watermark, and checks: runSync returns an outcome (never throws); valid users are loaded exactly;
 * every bad element is in zephr.sync_rejects with its reasons; a body that is not an export fails the
 * run as EXPORT_MALFORMED, leaves the watermark alone, and the next run heals; and nothing the export
 * carried ever became SQL text.
 */

type Check = (fixture: SyncFixture, runId: string) => Promise<void>;

interface CaseBase {
  readonly name: string;
  /** Extra assertions after the run. */
  readonly check?: Check;
}

/** Elements put into the simulated tenant (beside a valid companion user), exported by an incremental run. */
interface ElementCase extends CaseBase {
  readonly elements: readonly unknown[];
  /** Reasons of the rejects, in order (one pattern per rejected element). */
  readonly rejects: readonly RegExp[];
  /** What the warehouse must hold for the loaded ones, as well-formed elements (default: none loaded). */
  readonly loaded?: readonly unknown[];
  /** Patches the expected warehouse where the contract differs from expectedWarehouse's reading. */
  readonly adjust?: (expected: WarehouseSnapshot) => void;
}

/** Page 1 answered with exactly `body` (200, JSON content type unless said). */
interface BodyCase extends CaseBase {
  readonly body: string | Uint8Array;
  readonly contentType?: string;
  /** undefined: a malformed export (EXPORT_MALFORMED matching `malformed`); else loaded as given. */
  readonly malformed?: RegExp;
  readonly loaded?: readonly unknown[];
  readonly rejects?: readonly RegExp[];
  /** Compare only the users' ids (values JSON cannot round-trip through the driver, like 1e400). */
  readonly compareIdsOnly?: boolean;
}

let nextIndex = 0;
/** A fresh, valid element (a user nobody else uses), optionally edited at paths. */
function valid(...edits: [JsonPath, unknown][]): Record<string, unknown> {
  let element: unknown = generateUser(5000 + nextIndex++, 77);
  for (const [path, value] of edits) element = setPath(element, path, value);
  return element as Record<string, unknown>;
}
function without(element: unknown, path: JsonPath): Record<string, unknown> {
  return deletePath(element, path) as Record<string, unknown>;
}
const userIdOf = (element: unknown) => String(getPath(element, ["user", "user_id"]));
const grant = (fields: Record<string, unknown>) => ({
  grantId: `grant-${nextIndex++}`,
  entitlement_type: "bundle",
  entitlement_id: "b74df5c4-fded-492c-ad90-07646bded5db",
  product_id: "86abb44a-e6f2-4f9b-ac26-46ae0a13ed31",
  expiry_state: "active",
  startTime: "2022-06-01 00:00:00",
  endTime: "2022-12-31 23:59:59",
  createdAt: "2022-05-31 23:59:59",
  ...fields,
});
const json = (value: unknown) => JSON.stringify(value);

interface RejectRowRead {
  readonly user_id: string | null;
  readonly element: string;
  readonly element_truncated: boolean;
  readonly element_bytes: number;
}
async function rejectRows(fixture: Pick<SyncFixture, "db">, runId: string): Promise<RejectRowRead[]> {
  const result = await fixture.db.pool.query<RejectRowRead>(
    `select user_id, element, element_truncated, element_bytes
       from zephr.sync_rejects where run_id = $1::bigint order by reject_id`,
    [runId],
  );
  return result.rows;
}
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern) as unknown;
const bom = "\ufeff";
/** Strings an attacker would try as SQL; each carries the canary the SQL-text check looks for. */
const sqlLooking = [
  "zz_canary'); drop table zephr.users; --",
  "zz_canary' or '1'='1",
  'zz_canary"; select pg_sleep(10); --',
  "zz_canary$1",
  "zz_canary\\",
  "zephr.users zz_canary",
  "zz_canary */ delete from zephr.sync_runs /*",
];
const canaryPattern = /zz_canary|drop table zephr|pg_sleep\(10\)|or '1'='1/;

async function attributeText(
  fixture: Pick<SyncFixture, "db">,
  userId: string,
  name: string,
): Promise<string | null> {
  const result = await fixture.db.pool.query<{ value: string }>(
    "select value::text as value from zephr.user_attributes where user_id = $1::uuid and name = $2::text",
    [userId, name],
  );
  return result.rows[0]?.value ?? null;
}

async function userColumns(fixture: SyncFixture, userId: string) {
  const result = await fixture.db.pool.query<{
    seq_no: string | null;
    user_extra: string;
    element_extra: string;
  }>("select seq_no::text, user_extra::text, element_extra::text from zephr.users where user_id = $1::uuid", [
    userId,
  ]);
  return result.rows[0];
}

const longUserId = "x".repeat(10_000);
const bigSeqNoUser = valid();
const bigAttributeUser = valid();
const utf8User = valid();
const protoUser = valid([
  ["user", "attributes"],
  JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": "c"}'),
]);
const sqlUser = valid([
  ["user", "attributes"],
  Object.fromEntries(sqlLooking.map((s, i) => [s, `${s} value ${i}`])),
]);
const sqlValueUser = valid([
  ["user", "identifiers", "email_address"],
  "zz_canary'; drop table zephr.users; --@x.com",
]);
const grantsArrayUser = valid();
const twiceUser = valid([["user", "attributes"], { first: "A" }]);
const twiceUserLater = setPath(twiceUser, ["user", "attributes"], { second: "B" });
const sharedGrant = grant({});
const sharedGrantFirst = valid([["grants", "results"], [sharedGrant]]);
const sharedGrantSecond = valid([["grants", "results"], [sharedGrant]]);
const duplicateGrantId = grant({ expiry_state: "pending" });
const duplicateGrantUser = valid([
  ["grants", "results"],
  [duplicateGrantId, { ...duplicateGrantId, expiry_state: "expired" }],
]);
const identicalGrant = grant({});
const identicalGrantUser = valid([
  ["grants", "results"],
  [identicalGrant, { ...identicalGrant }],
]);
const genuineReplacementUser = valid([["user", "attributes", "city"], "K\ufffdln"]);
const decimalUser = valid([["grants", "results"], [grant({ price: "__PRICE__" })]]);
const decimalUserBody = json(
  setPath(
    setPath(
      setPath(decimalUser, ["user", "attributes", "ratio"], "__RATIO__"),
      ["user", "attributes", "big"],
      "__BIG__",
    ),
    ["seq-no"],
    "__SEQ__",
  ),
)
  .replace('"__RATIO__"', "0.12345678901234567890123")
  .replace('"__BIG__"', "12345678901234567890.5")
  .replace('"__SEQ__"', "12345678901234567890.5")
  .replace('"__PRICE__"', "19.990");
const duplicateUserIdUser = valid();
const deepReject = valid();
const deepRejectText = deeplyNested(deepReject, 500);
const oversizedReject = valid(
  [["user", "user_id"], "nope"],
  [["user", "attributes", "essay"], "é".repeat(200_000)],
);
const upperCaseUser = valid();
const nestedA = valid();
const nestedB = valid();
const envelopeUser = valid();
const duplicateKeyUser = valid();

/** Deep nesting as text: JSON.stringify would recurse, the job's parser must not. */
function deeplyNested(element: unknown, depth: number): string {
  const text = json(setPath(element, ["user", "attributes", "deep"], "__DEEP__"));
  return text.replace('"__DEEP__"', "[".repeat(depth) + "]".repeat(depth));
}

const elementCases: ElementCase[] = [
  // Ids
  {
    name: "user_id missing",
    elements: [without(valid(), ["user", "user_id"])],
    rejects: [/^user\.user_id is missing$/],
  },
  {
    name: "user_id null",
    elements: [valid([["user", "user_id"], null])],
    rejects: [/^user\.user_id is missing$/],
  },
  {
    name: "user_id a number",
    elements: [valid([["user", "user_id"], 12345])],
    rejects: [/user\.user_id is not a UUID: 12345/],
  },
  {
    name: "user_id not a UUID",
    elements: [valid([["user", "user_id"], "abc"])],
    rejects: [/user\.user_id is not a UUID: "abc"/],
  },
  {
    name: "user_id a UUID in braces",
    elements: [valid([["user", "user_id"], "{0435ed2d-1221-4de2-88c7-304dbaac8d42}"])],
    rejects: [/not a UUID/],
  },
  {
    name: "user_id a UUID with spaces around",
    elements: [valid([["user", "user_id"], " 0435ed2d-1221-4de2-88c7-304dbaac8d42 "])],
    rejects: [/not a UUID/],
  },
  {
    name: "user_id of 10,000 characters (kept shortened in the reject row)",
    elements: [valid([["user", "user_id"], longUserId])],
    rejects: [/not a UUID: "x{50,}\.\.\.$/],
    check: async (fixture, runId) => {
      const row = await fixture.db.pool.query<{ user_id: string; element: string }>(
        "select user_id, element from zephr.sync_rejects where run_id = $1::bigint",
        [runId],
      );
      expect(row.rows[0]?.user_id).toHaveLength(200);
      expect(row.rows[0]?.element).toContain(longUserId);
    },
  },
  // Elements and objects of the wrong kind
  { name: "element null", elements: [null], rejects: [/^the element must be an object, got null$/] },
  {
    name: "element an array (flattened, as results nested in arrays are: each item is rejected)",
    elements: [[1, 2]],
    rejects: [/^the element must be an object, got 1$/, /^the element must be an object, got 2$/],
  },
  { name: "element a string", elements: ["a bare string"], rejects: [/got "a bare string"/] },
  { name: "element a number", elements: [42], rejects: [/got 42/] },
  { name: "element true", elements: [true], rejects: [/got true/] },
  {
    name: "user null",
    elements: [valid([["user"], null])],
    rejects: [/^element\.user must be an object, got null$/],
  },
  {
    name: "user an array",
    elements: [valid([["user"], []])],
    rejects: [/element\.user must be an object, got \[\]/],
  },
  {
    name: "user missing",
    elements: [without(valid(), ["user"])],
    rejects: [/element\.user must be an object, got missing/],
  },
  {
    name: "identifiers a string",
    elements: [valid([["user", "identifiers"], "ann@example.com"])],
    rejects: [/user\.identifiers must be an object/],
  },
  {
    name: "email_address a number",
    elements: [valid([["user", "identifiers", "email_address"], 7])],
    rejects: [/user\.identifiers\.email_address must be a string, got 7/],
  },
  {
    name: "email_verified 'yes'",
    elements: [valid([["user", "email_verified"], "yes"])],
    rejects: [/user\.email_verified must be true or false, got "yes"/],
  },
  {
    name: "tracking_id an array",
    elements: [valid([["user", "tracking_id"], ["t"]])],
    rejects: [/user\.tracking_id must be a string/],
  },
  {
    name: "registration_tenant an object",
    elements: [valid([["user", "registration_tenant"], { a: 1 }])],
    rejects: [/user\.registration_tenant must be a string/],
  },
  {
    name: "attributes an array",
    elements: [valid([["user", "attributes"], ["a"]])],
    rejects: [/user\.attributes must be an object/],
  },
  {
    name: "attributes a string",
    elements: [valid([["user", "attributes"], "a=1"])],
    rejects: [/user\.attributes must be an object/],
  },
  // Dates
  {
    name: "registered an impossible date",
    elements: [valid([["user", "registered"], "2021-02-30T25:00:00Z"])],
    rejects: [/user\.registered is not a valid date and time: "2021-02-30T25:00:00Z"/],
  },
  {
    name: "registered 29 February of a common year",
    elements: [valid([["user", "registered"], "2023-02-29T00:00:00Z"])],
    rejects: [/user\.registered is not a valid/],
  },
  {
    name: "registered as epoch seconds",
    elements: [valid([["user", "registered"], 1614181408])],
    rejects: [/user\.registered is not a valid date and time: 1614181408/],
  },
  {
    name: "registered 'yesterday'",
    elements: [valid([["user", "registered"], "yesterday"])],
    rejects: [/user\.registered is not a valid/],
  },
  {
    name: "registered in year 10000",
    elements: [valid([["user", "registered"], "10000-01-01T00:00:00Z"])],
    rejects: [/user\.registered is not a valid/],
  },
  {
    name: "registered with an offset beyond 18 hours",
    elements: [valid([["user", "registered"], "2021-02-24T15:43:28+19:00"])],
    rejects: [/user\.registered is not a valid/],
  },
  // Grants
  {
    name: "grants a string",
    elements: [valid([["grants"], "none"])],
    rejects: [/^grants must be an object with a results list, got "none"$/],
  },
  {
    name: "grants.results an object",
    elements: [valid([["grants", "results"], {}])],
    rejects: [/^grants\.results must be a list, got \{\}$/],
  },
  {
    name: "a grant null",
    elements: [valid([["grants", "results"], [null]])],
    rejects: [/^grants\.results\[0\] must be an object, got null$/],
  },
  {
    name: "grantId a number",
    elements: [valid([["grants", "results"], [grant({ grantId: 7 })]])],
    rejects: [/grants\.results\[0\]\.grantId is missing or not a non-empty string: 7/],
  },
  {
    name: "grantId empty",
    elements: [valid([["grants", "results"], [grant({ grantId: "  " })]])],
    rejects: [/grantId is missing or not a non-empty string/],
  },
  {
    name: "grantId and grant_id that differ",
    elements: [valid([["grants", "results"], [grant({ grantId: "a", grant_id: "b" })]])],
    rejects: [/grants\.results\[0\] has both grantId and grant_id, and they differ/],
  },
  {
    name: "startTime in month 13",
    elements: [valid([["grants", "results"], [grant({ startTime: "2022-13-01 00:00:00" })]])],
    rejects: [/grants\.results\[0\]\.startTime is not a valid date and time/],
  },
  {
    name: "endTime a number",
    elements: [valid([["grants", "results"], [grant({ endTime: 5 })]])],
    rejects: [/endTime is not a valid date and time: 5/],
  },
  {
    name: "createdAt 31 June",
    elements: [valid([["grants", "results"], [grant({ createdAt: "2022-06-31 00:00:00" })]])],
    rejects: [/createdAt is not a valid/],
  },
  {
    name: "expiry_state a number",
    elements: [valid([["grants", "results"], [grant({ expiry_state: 1 })]])],
    rejects: [/expiry_state must be a string, got 1/],
  },
  {
    name: "entitlement_id a boolean",
    elements: [valid([["grants", "results"], [grant({ entitlement_id: true })]])],
    rejects: [/entitlement_id must be a string, got true/],
  },
  // Text PostgreSQL cannot store, and nesting
  {
    name: "a NUL character in a value",
    elements: [valid([["user", "attributes", "city"], "Ber\u0000lin"])],
    rejects: [/element\.user\.attributes\.city contains a NUL character or invalid Unicode/],
  },
  {
    name: "a NUL character in a key",
    elements: [valid([["user", "attributes", "ci\u0000ty"], "Berlin"])],
    rejects: [/a key in element\.user\.attributes contains a NUL character/],
  },
  {
    name: "a lone surrogate in a value",
    elements: [valid([["user", "attributes", "emoji"], "half \ud83d of a pair"])],
    rejects: [/element\.user\.attributes\.emoji contains a NUL character or invalid Unicode/],
  },
  {
    name: "nesting 100 levels deep",
    elements: [
      valid([["user", "attributes", "deep"], JSON.parse("[".repeat(100) + "]".repeat(100)) as unknown]),
    ],
    rejects: [/is nested deeper than 64 levels/],
  },
  {
    name: "every problem at once is listed",
    elements: [
      valid([["user", "user_id"], "nope"], [["user", "attributes"], 1], [["user", "email_verified"], 2]),
    ],
    rejects: [
      /user\.user_id is not a UUID: "nope"; .*user\.email_verified must be true or false, got 2; .*user\.attributes must be an object, got 1/,
    ],
  },
  // Odd but valid: loaded
  {
    name: "an upper-case UUID is loaded under its lower-case form",
    elements: [setPath(upperCaseUser, ["user", "user_id"], userIdOf(upperCaseUser).toUpperCase())],
    rejects: [],
    loaded: [upperCaseUser],
  },
  (() => {
    const element = valid([["user", "email_verified"], "true"]);
    return {
      name: "email_verified as the string 'true' is read as true",
      elements: [element],
      rejects: [],
      loaded: [element],
      adjust: (expected: WarehouseSnapshot) => {
        const user = expected.users.find((u) => u.user_id === userIdOf(element));
        if (user) user.email_verified = true;
      },
    };
  })(),
  (() => {
    const element = valid([["seq-no"], "17"]);
    return {
      name: "a seq-no that is not a number is kept in element_extra",
      elements: [element],
      rejects: [],
      loaded: [element],
      check: async (fixture: SyncFixture) => {
        expect(await userColumns(fixture, userIdOf(element))).toMatchObject({
          seq_no: null,
          element_extra: '{"seq-no": "17"}',
        });
      },
    };
  })(),
  {
    name: "attribute names and values that look like SQL are stored as text",
    elements: [sqlUser, sqlValueUser],
    rejects: [],
    loaded: [sqlUser, sqlValueUser],
    check: async (fixture) => {
      const tables = await fixture.db.pool.query(
        "select to_regclass('zephr.users') is not null as users_table",
      );
      expect(tables.rows).toEqual([{ users_table: true }]);
      for (const [index, name] of sqlLooking.entries()) {
        expect(await attributeText(fixture, userIdOf(sqlUser), name)).toBe(json(`${name} value ${index}`));
      }
    },
  },
  {
    name: "__proto__ and constructor are ordinary attribute names",
    elements: [protoUser],
    rejects: [],
    loaded: [protoUser],
    check: async (fixture) => {
      expect(await attributeText(fixture, userIdOf(protoUser), "__proto__")).toBe('{"polluted": "yes"}');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  },
  (() => {
    const element = valid([
      ["user", "attributes"],
      {
        名前: "山田 太郎",
        "emoji 🦄": "🎉🎉",
        rtl: "مرحبا",
        combining: "e\u0301",
        "": "empty name",
      },
    ]);
    return {
      name: "Unicode names and values, and an empty name",
      elements: [element],
      rejects: [],
      loaded: [element],
    };
  })(),
  (() => {
    const element = valid([["user", "attributes", "essay"], "lorem ipsum ".repeat(90_000)]);
    return { name: "a value of about a megabyte", elements: [element], rejects: [], loaded: [element] };
  })(),
  (() => {
    const attributes = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`field-${i}`, i]));
    const element = valid([["user", "attributes"], attributes]);
    return { name: "two thousand attributes", elements: [element], rejects: [], loaded: [element] };
  })(),
  (() => {
    const name = Array.from({ length: 2000 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join("");
    const element = valid([["user", "attributes", name], "long name"]);
    return {
      name: "an attribute name of 2,000 characters",
      elements: [element],
      rejects: [],
      loaded: [element],
    };
  })(),
  (() => {
    const element = valid([
      ["user", "attributes"],
      { nested: { a: [1, { b: null }], c: true }, list: ["x", 2, false] },
    ]);
    return {
      name: "objects and arrays as attribute values",
      elements: [element],
      rejects: [],
      loaded: [element],
    };
  })(),
  (() => {
    const element = valid(
      [["user", "last_login"], "2024-01-01T00:00:00Z"],
      [["foreign_keys"], { crm: "123" }],
      [["extended_profile"], { app: { x: 1 } }],
    );
    return {
      name: "unknown keys are kept",
      elements: [element],
      rejects: [],
      loaded: [element],
      check: async (fixture: SyncFixture) => {
        const columns = await userColumns(fixture, userIdOf(element));
        expect(JSON.parse(columns?.user_extra ?? "{}")).toEqual({ last_login: "2024-01-01T00:00:00Z" });
        expect(JSON.parse(columns?.element_extra ?? "{}")).toEqual({
          foreign_keys: { crm: "123" },
          extended_profile: { app: { x: 1 } },
        });
      },
    };
  })(),
  (() => {
    const element = valid([
      ["grants", "results"],
      [
        {
          ...grant({}),
          grantId: undefined,
          grant_id: "snake",
          createdAt: undefined,
          created_at: "2022-01-02 03:04:05",
          endTime: undefined,
        },
      ],
    ]);
    return {
      name: "grant_id, created_at and no endTime",
      elements: [element],
      rejects: [],
      loaded: [element],
    };
  })(),
  {
    name: "grants as a bare list",
    elements: [setPath(grantsArrayUser, ["grants"], getPath(grantsArrayUser, ["grants", "results"]))],
    rejects: [],
    loaded: [grantsArrayUser],
  },
  {
    name: "one grant id twice in a user, differing: the element is rejected (which one is true is unknown)",
    elements: [duplicateGrantUser],
    rejects: [/^grants\.results\[0\] and grants\.results\[1\] have the same grantId "grant-\d+" and differ$/],
  },
  {
    name: "one grant id twice in a user, identical: one grant row (nothing is lost)",
    elements: [identicalGrantUser],
    rejects: [],
    loaded: [setPath(identicalGrantUser, ["grants", "results"], [identicalGrant])],
  },
  {
    name: "a grant whose startTime is after its endTime is rejected",
    elements: [
      valid([
        ["grants", "results"],
        [grant({ startTime: "2023-01-01 00:00:00", endTime: "2022-12-31 23:59:59" })],
      ]),
    ],
    rejects: [
      /^grants\.results\[0\]\.startTime "2023-01-01 00:00:00" is after its endTime "2022-12-31 23:59:59"$/,
    ],
  },
  {
    name: 'an endTime of "" is rejected, not stored as an indefinite grant',
    elements: [valid([["grants", "results"], [grant({ endTime: "" })]])],
    rejects: [
      /^grants\.results\[0\]\.endTime is an empty string: an indefinite grant has no endTime, or null$/,
    ],
  },
  {
    name: "a genuine U+FFFD sent as valid UTF-8 is loaded",
    elements: [genuineReplacementUser],
    rejects: [],
    loaded: [genuineReplacementUser],
  },
  {
    name: "one grant id under two users: each of them holds it",
    elements: [sharedGrantFirst, sharedGrantSecond],
    rejects: [],
    loaded: [sharedGrantFirst, sharedGrantSecond],
  },
  (() => {
    const element = valid(
      [["user", "attributes"], null],
      [["grants"], null],
      [["user", "identifiers"], null],
    );
    return { name: "nulls where objects may be", elements: [element], rejects: [], loaded: [element] };
  })(),
  (() => {
    const element = valid([["user", "registered"], "2021-02-24T15:43:28.123+05:30"]);
    return {
      name: "registered with an offset and milliseconds",
      elements: [element],
      rejects: [],
      loaded: [element],
    };
  })(),
  {
    name: "valid and invalid elements mixed: the valid ones load, each invalid one is rejected",
    elements: [
      valid([["user", "user_id"], "bad-1"]),
      nestedA,
      valid([["user", "registered"], "never"]),
      nestedB,
    ],
    rejects: [
      /user\.user_id is not a UUID: "bad-1"/,
      /user\.registered is not a valid date and time: "never"/,
    ],
    loaded: [nestedA, nestedB],
  },
];

const bodyCases: BodyCase[] = [
  { name: "a byte order mark before the array", body: bom + json([envelopeUser]), loaded: [envelopeUser] },
  {
    name: "a byte order mark before the object envelope",
    body: bom + json({ results: [envelopeUser], meta: { count: 1, rpp: 50, paginated: true }, links: {} }),
    loaded: [envelopeUser],
  },
  {
    name: "results nested as arrays of arrays, with empty ones",
    body: json({ results: [[nestedA], [], [[nestedB]]] }),
    loaded: [nestedA, nestedB],
  },
  {
    name: "a user twice in one export: the later element wins",
    body: json([twiceUser, twiceUserLater]),
    loaded: [twiceUserLater],
  },
  {
    name: "a duplicate key in an element is rejected (which value counts is ambiguous), kept with both",
    body:
      json(duplicateKeyUser)
        .replace(/^\{/, `{"user":${json({ user_id: "not-even-a-uuid" })},`)
        .replace(/^/, "[") + "]",
    rejects: [/^element has the key "user" more than once$/],
    check: async (fixture, runId) => {
      const rows = await rejectRows(fixture, runId);
      expect(rows.map((r) => r.element)).toEqual([
        json(duplicateKeyUser).replace(/^\{/, `{"user":${json({ user_id: "not-even-a-uuid" })},`),
      ]);
    },
  },
  {
    name: "user_id twice with different values is rejected, not the last one loaded",
    body: `[${json(duplicateUserIdUser).replace(
      `"user_id":"${userIdOf(duplicateUserIdUser)}"`,
      `"user_id":"0435ed2d-1221-4de2-88c7-304dbaac8d42","user_id":"${userIdOf(duplicateUserIdUser)}"`,
    )}]`,
    rejects: [/^element\.user has the key "user_id" more than once$/],
  },
  {
    name: "long decimals keep every digit in every jsonb column and in seq_no",
    body: `[${decimalUserBody}]`,
    loaded: [decimalUser],
    compareIdsOnly: true,
    check: async (fixture) => {
      const id = userIdOf(decimalUser);
      expect(await attributeText(fixture, id, "ratio")).toBe("0.12345678901234567890123");
      expect(await attributeText(fixture, id, "big")).toBe("12345678901234567890.5");
      const result = await fixture.db.pool.query<{ seq_no: string; ratio: string; price: string }>(
        `select u.seq_no::text as seq_no, (u.attributes -> 'ratio')::text as ratio,
                (select (g.grant_extra -> 'price')::text from zephr.user_grants g where g.user_id = u.user_id) as price
           from zephr.users u where u.user_id = $1::uuid`,
        [id],
      );
      expect(result.rows).toEqual([
        { seq_no: "12345678901234567890.5", ratio: "0.12345678901234567890123", price: "19.990" },
      ]);
    },
  },
  {
    name: "a seq-no beyond 2^53 keeps every digit",
    body: `[${json(setPath(bigSeqNoUser, ["seq-no"], "__BIG__")).replace('"__BIG__"', "9007199254740993")}]`,
    loaded: [bigSeqNoUser],
    compareIdsOnly: true,
    check: async (fixture) => {
      expect(await userColumns(fixture, userIdOf(bigSeqNoUser))).toMatchObject({
        seq_no: "9007199254740993",
      });
    },
  },
  {
    name: "numbers beyond the range of a double are kept, not turned into null",
    body: `[${json(
      setPath(
        setPath(bigAttributeUser, ["user", "attributes", "huge"], "__HUGE__"),
        ["user", "attributes", "tiny"],
        "__TINY__",
      ),
    )
      .replace('"__HUGE__"', "1e400")
      .replace('"__TINY__"', "-2.5e-400")}]`,
    loaded: [bigAttributeUser],
    compareIdsOnly: true,
    check: async (fixture) => {
      const result = await fixture.db.pool.query<{ huge: boolean; tiny: boolean }>(
        `select (select value = '1e400'::jsonb from zephr.user_attributes where user_id = $1::uuid and name = 'huge') as huge,
                (select value = '-2.5e-400'::jsonb from zephr.user_attributes where user_id = $1::uuid and name = 'tiny') as tiny`,
        [userIdOf(bigAttributeUser)],
      );
      expect(result.rows).toEqual([{ huge: true, tiny: true }]);
    },
  },
  (() => {
    const text = json(
      setPath(
        setPath(utf8User, ["user", "attributes", "city"], "__CITY__"),
        ["user", "identifiers", "email_address"],
        "__EMAIL__",
      ),
    );
    // The strings as bytes: "K", FF FE, "ln" and C3 28, "@example.com".
    const strings: Record<string, Buffer> = {
      __CITY__: Buffer.concat([Buffer.from('"K'), Buffer.from([0xff, 0xfe]), Buffer.from('ln"')]),
      __EMAIL__: Buffer.concat([Buffer.from('"'), Buffer.from([0xc3, 0x28]), Buffer.from('@example.com"')]),
    };
    const parts = text.split(/"(__CITY__|__EMAIL__)"/);
    return {
      name: "bytes that are not UTF-8 reject their element with the path; the rest of the page loads",
      body: Buffer.concat([
        Buffer.from(`[${json(nestedA)},`),
        ...parts.map((part, i) => (i % 2 === 1 ? (strings[part] ?? Buffer.alloc(0)) : Buffer.from(part))),
        Buffer.from("]"),
      ]),
      loaded: [nestedA],
      rejects: [
        /^element\.user\.identifiers\.email_address has bytes that are not valid UTF-8 \(C3 at byte \d+ of the page, and 2 more runs of such bytes\)$/,
      ],
      check: async (fixture: SyncFixture, runId: string) => {
        const [row] = await rejectRows(fixture, runId);
        expect(row?.user_id).toBe(userIdOf(utf8User));
        expect(row?.element).toContain('"K\ufffd\ufffdln"');
        expect(row?.element).toContain('"\ufffd(@example.com"');
      },
    };
  })(),
  {
    name: "bytes that are not UTF-8 in the envelope fail the page",
    body: Buffer.concat([
      Buffer.from(`{"results":[${json(nestedA)}],"meta":{"note":"`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}}'),
    ]),
    malformed: /^The export body has bytes that are not valid UTF-8 outside any element \(C3 at byte \d+\)/,
  },
  {
    name: "a rejected element 500 levels deep is kept whole, as received",
    body: `[${deepRejectText}]`,
    rejects: [/^element\.user\.attributes\.deep(\[0\])+ is nested deeper than 64 levels$/],
    check: async (fixture, runId) => {
      const rows = await rejectRows(fixture, runId);
      expect(rows).toEqual([
        {
          user_id: userIdOf(deepReject),
          element: deepRejectText,
          element_truncated: false,
          element_bytes: Buffer.byteLength(deepRejectText),
        },
      ]);
    },
  },
  {
    name: "a rejected element beyond the size cap is cut at a character and marked truncated",
    body: `[${json(oversizedReject)}]`,
    rejects: [/user\.user_id is not a UUID: "nope"/],
    check: async (fixture, runId) => {
      const [row] = await rejectRows(fixture, runId);
      const sent = json(oversizedReject);
      expect(row?.element_truncated).toBe(true);
      expect(row?.element_bytes).toBe(Buffer.byteLength(sent));
      expect(Buffer.byteLength(row?.element ?? "")).toBeGreaterThan(maxRejectElementBytes - 2);
      expect(Buffer.byteLength(row?.element ?? "")).toBeLessThanOrEqual(maxRejectElementBytes);
      expect(sent.startsWith(row?.element ?? "-")).toBe(true);
    },
  },
  {
    name: "nesting 20,000 levels deep is rejected without exhausting the stack",
    body: `[${deeplyNested(valid(), 20_000)}, ${json(nestedA)}]`,
    loaded: [nestedA],
    rejects: [/element\.user\.attributes\.deep(\[0\])* is nested deeper than 64 levels/],
  },
  { name: "an empty array", body: "[]", loaded: [] },
  {
    name: "more elements than the page size (a server ignoring rpp) are loaded once",
    body: json(Array.from({ length: 60 }, (_, i) => generateUser(9000 + i, 78))),
    loaded: Array.from({ length: 60 }, (_, i) => generateUser(9000 + i, 78)),
  },
  {
    name: "trailing garbage after the array",
    body: `${json([nestedA])} and more`,
    malformed: /not valid JSON/,
  },
  { name: "a trailing comma", body: `[${json(nestedA)},]`, malformed: /not valid JSON/ },
  {
    name: "cut in the middle of an element",
    body: `[${json(nestedA).slice(0, 200)}`,
    malformed: /ended before the JSON document was complete|not valid JSON/,
  },
  { name: "a JSON number", body: "42", malformed: /neither an array nor an object/ },
  { name: "JSON null", body: "null", malformed: /neither an array nor an object/ },
  { name: "a JSON string", body: '"results"', malformed: /neither an array nor an object/ },
  {
    name: "an error object instead of an export",
    body: json({ message: "Internal error: export service unavailable" }),
    malformed: /no "results" list: "Internal error: export service unavailable"/,
  },
  {
    name: "results that is not a list",
    body: json({ results: { a: 1 } }),
    malformed: /"results" is not a list/,
  },
  {
    name: "NaN",
    body: `[${json(nestedA).replace(/"seq-no":\d+/, '"seq-no":NaN')}]`,
    malformed: /not valid JSON/,
  },
  { name: "single-quoted strings", body: "[{'user': {'user_id': 'x'}}]", malformed: /not valid JSON/ },
  { name: "comments", body: `[/* users */ ${json(nestedA)}]`, malformed: /not valid JSON/ },
  { name: "whitespace only", body: " \n\t ", malformed: /empty body|not valid JSON/ },
  {
    name: "an unescaped control character in a string",
    body: '[{"user":{"user_id":"a\tb"}}]',
    malformed: /not valid JSON/,
  },
  { name: "an invalid escape", body: '[{"user":{"user_id":"\\x41"}}]', malformed: /not valid JSON/ },
  { name: "a number with a leading zero", body: '[{"seq-no": 017}]', malformed: /not valid JSON/ },
  {
    name: "UTF-16 with a byte order mark",
    body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json([nestedA]), "utf16le")]),
    malformed: /not valid UTF-8 outside any element \(FF at byte 0\)/,
  },
  {
    name: "gzip bytes without Content-Encoding",
    body: gzipSync(json([nestedA])),
    malformed: /not valid JSON|neither an array/,
  },
  {
    name: "an HTML page labelled as JSON",
    body: "<!DOCTYPE html><html><body>Bad gateway</body></html>",
    malformed: /not valid JSON/,
  },
];

/**
 * Once product bugs: a null attribute value, and an attribute name, grant id, entitlement_id or
 * product_id longer than a btree index entry can hold (~2,700 bytes, incompressible), each failed its
 * whole batch, and so every run, until Zephr's data changed. They must load, or be rejected, instead.
 */
const incompressible = (length: number) => {
  const random = new SeededRandom(length);
  return Array.from({ length }, () => String.fromCharCode(33 + random.nextInt(90))).join("");
};
const poisonCases: ElementCase[] = [
  (() => {
    const element = valid([["user", "attributes", "company"], null]);
    return {
      name: "an attribute whose value is null is stored as JSON null, not fatal",
      elements: [element],
      rejects: [],
      loaded: [element],
    };
  })(),
  {
    name: "an attribute name of 3,000 incompressible characters is rejected, not fatal",
    elements: [valid([["user", "attributes", incompressible(3000)], "x"])],
    rejects: [/attributes/],
  },
  {
    name: "a grant id of 3,000 incompressible characters is rejected, not fatal",
    elements: [valid([["grants", "results"], [grant({ grantId: incompressible(3000) })]])],
    rejects: [/grantId/],
  },
  {
    name: "an entitlement_id of 3,000 incompressible characters is rejected, not fatal",
    elements: [valid([["grants", "results"], [grant({ entitlement_id: incompressible(3000) })]])],
    rejects: [/entitlement_id/],
  },
];

describe("a corpus of crafted exports", () => {
  let fixture: SyncFixture;
  let sql: SqlCapture;
  const base = { count: 3, seed: 501 };

  beforeAll(async () => {
    fixture = await startSyncFixture();
    sql = captureSqlTexts();
  });

  afterEach(() => {
    expect(sql.texts.splice(0).filter((text) => canaryPattern.test(text))).toEqual([]);
  });

  afterAll(async () => {
    sql.restore();
    await fixture.close();
  });

  /**
   * An empty warehouse and tenant, then three users loaded by a successful full run, so that the case's
   * run is incremental and has a watermark to leave alone.
   */
  async function startCase(): Promise<Date> {
    fixture.simulator.faults.clear();
    fixture.simulator.store.clear();
    await resetWarehouse(fixture.db.pool);
    fixture.simulator.store.seedGenerated(base);
    const outcome = await fixture.run();
    if (outcome.status !== "succeeded") throw new Error(`the case's first run ${outcome.status}`);
    const watermark = await findWatermark(fixture.db.pool, usersStream);
    if (watermark === null) throw new Error("no watermark");
    fixture.clock.advance(86_400_000);
    return watermark;
  }

  /** What the warehouse must hold: the base users and `loaded`. */
  function expectedWith(loaded: readonly unknown[]): WarehouseSnapshot {
    const store = new SimulatorStore(fixture.clock.now);
    store.seedGenerated(base);
    store.putMany(loaded);
    return expectedWarehouse(store);
  }

  async function rejectReasons(runId: string): Promise<string[]> {
    const result = await fixture.db.pool.query<{ reason: string }>(
      "select reason from zephr.sync_rejects where run_id = $1::bigint order by reject_id",
      [runId],
    );
    return result.rows.map((r) => r.reason);
  }

  async function runElementCase(testCase: ElementCase): Promise<void> {
    await startCase();
    const companion = valid();
    fixture.simulator.store.put(companion);
    for (const [index, element] of testCase.elements.entries()) {
      fixture.simulator.store.put(element, { userId: `case-element-${index}` });
    }
    const outcome = await fixture.run();
    if (outcome.status !== "succeeded") {
      throw new Error(
        `expected success, got ${outcome.status}: ${"error" in outcome ? outcome.error.message : ""}`,
      );
    }
    expect(await rejectReasons(outcome.runId)).toEqual(testCase.rejects.map(matching));
    expect(outcome.counts.rejected).toBe(testCase.rejects.length);
    const expected = expectedWith([companion, ...(testCase.loaded ?? [])]);
    testCase.adjust?.(expected);
    expect(await readWarehouse(fixture.db.pool)).toEqual(expected);
    await testCase.check?.(fixture, outcome.runId);
  }

  test.each(elementCases.map((c) => [c.name, c] as const))("element: %s", async (_name, testCase) => {
    await runElementCase(testCase);
  });

  test.each(bodyCases.map((c) => [c.name, c] as const))("body: %s", async (_name, testCase) => {
    const watermark = await startCase();
    const companion = valid();
    // Malformed bodies carry a user the tenant also lists: whatever the failed run loaded, healing must agree.
    if (testCase.malformed !== undefined) fixture.simulator.store.put(companion);
    fixture.simulator.faults.push({
      kind: "raw",
      status: 200,
      body: testCase.body,
      page: 1,
      ...(testCase.contentType === undefined ? {} : { contentType: testCase.contentType }),
    });
    const outcome = await fixture.run();
    if (testCase.malformed !== undefined) {
      if (outcome.status !== "failed") throw new Error(`expected failure, got ${outcome.status}`);
      expect(outcome.error.code).toBe("EXPORT_MALFORMED");
      expect(outcome.error.message).toMatch(testCase.malformed);
      expect(await findRun(fixture.db.pool, outcome.runId ?? "")).toMatchObject({
        status: "failed",
        errorCode: "EXPORT_MALFORMED",
      });
      expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(watermark);
      fixture.simulator.faults.clear();
      expect((await fixture.run()).status).toBe("succeeded");
      expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
      return;
    }
    if (outcome.status !== "succeeded") {
      throw new Error(
        `expected success, got ${outcome.status}: ${"error" in outcome ? outcome.error.message : ""}`,
      );
    }
    expect(await rejectReasons(outcome.runId)).toEqual((testCase.rejects ?? []).map(matching));
    const expected = expectedWith(testCase.loaded ?? []);
    const actual = await readWarehouse(fixture.db.pool);
    if (testCase.compareIdsOnly === true) {
      expect(actual.users.map((u) => u.user_id)).toEqual(expected.users.map((u) => u.user_id));
    } else {
      expect(actual).toEqual(expected);
    }
    expect((await findWatermark(fixture.db.pool, usersStream))?.getTime()).toBeGreaterThan(
      watermark.getTime(),
    );
    await testCase.check?.(fixture, outcome.runId);
  });

  test.each(poisonCases.map((c) => [c.name, c] as const))("%s", async (_name, testCase) => {
    await runElementCase(testCase);
  });

  test("the corpus has at least 50 cases", () => {
    expect(elementCases.length + bodyCases.length).toBeGreaterThanOrEqual(50);
  });

  test("nothing any export carried became SQL text: every value travelled as a parameter", async () => {
    // The cases that carry the canary, run again here; afterEach checks every other case's statements.
    const carriers = elementCases.filter((c) => canaryPattern.test(JSON.stringify(c.elements)));
    expect(carriers.length).toBeGreaterThan(0);
    for (const testCase of carriers) await runElementCase(testCase);
    // The statements that carry users were captured (new users go in by COPY, stored ones by upsert).
    expect(sql.texts.some((text) => /\b(copy|into) users\b/.test(text))).toBe(true);
    expect(sql.texts.filter((text) => canaryPattern.test(text))).toEqual([]);
  });
});

describe("crafted exports through the spawned CLI", () => {
  let f: CliFixture;

  beforeAll(async () => {
    f = await startLoadedCliFixture("bad-input-corpus", { count: 20, seed: 502 });
  });

  afterEach(async () => {
    await f.endCase();
  });

  afterAll(async () => {
    await f.close();
  });

  test("a body with trailing garbage: exit 1, EXPORT_MALFORMED on the run row, the watermark stays", async () => {
    const before = await findWatermark(f.db.pool, usersStream);
    f.simulator.faults.push({ kind: "raw", status: 200, body: `${json([valid()])} {"more": true}` });
    const result = await f.cli(["run"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/failed \[EXPORT_MALFORMED\]: The export body is not valid JSON/);
    expect(await f.latestRun()).toMatchObject({ status: "failed", errorCode: "EXPORT_MALFORMED" });
    expect(await findWatermark(f.db.pool, usersStream)).toEqual(before);
    expect((await f.cli(["run"])).code).toBe(0);
  });

  test("bad elements beside good ones: exit 0, the good ones loaded, the bad ones rejected with reasons", async () => {
    const good = valid([["user", "attributes", "zz_canary'); drop table zephr.users; --"], "x"]);
    const body =
      bom +
      json([good, valid([["user", "user_id"], "nope"]), valid([["user", "attributes", "a"], "\u0000"])]);
    f.simulator.faults.push({ kind: "raw", status: 200, body });
    const result = await f.cli(["run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/3 users received, 1 users written, .* 2 rejected/);
    const rejects = await f.db.pool.query<{ reason: string }>(
      "select reason from zephr.sync_rejects order by reject_id",
    );
    expect(rejects.rows.map((r) => r.reason)).toEqual([
      expect.stringMatching(/user\.user_id is not a UUID: "nope"/) as unknown,
      expect.stringMatching(/contains a NUL character/) as unknown,
    ]);
    expect(await attributeText(f, userIdOf(good), "zz_canary'); drop table zephr.users; --")).toBe('"x"');
  });
});
