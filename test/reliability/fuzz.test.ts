import { SyncError } from "../../src/errors.js";
import { LosslessNumber } from "../../src/json/lossless-number.js";
import { SeededRandom } from "../../tools/simulator/index.js";
import { isUuid } from "../../src/sync/normalize/is-uuid.js";
import { normalizeElement } from "../../src/sync/normalize/normalize-element.js";
import type { NormalizeOutcome } from "../../src/db/normalized-user.js";
import { peekUserId } from "../../src/sync/normalize/source-hash.js";
import { ExportBodyParser } from "../../src/zephr/json/export-body-parser.js";
import { tooDeep, type BuiltValue } from "../../src/zephr/json/json-value-builder.js";
import type { ScannedElement } from "../../src/zephr/json/scanned-element.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { ExportMutator, type MutatedBody } from "../support/export-mutator.js";
import { resetWarehouse } from "../support/reset-warehouse.js";
import { startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";

/**
 * A seeded fuzzer over valid export bodies. Most cases go straight through the parsing and validation
 * layer (ExportBodyParser fed in random chunks, then normalizeElement), against an independent oracle:
 * JSON.parse decides whether the body is an export at all and what its elements are; the element's own
 * fields decide what a loaded user must hold. A sample also goes end to end (runSync → HTTP →
 * PostgreSQL). Reproduce a failure with ZEPHR_SYNC_FUZZ_SEED=<seed> (and the case number it names).
 */

const seed = Number(process.env.ZEPHR_SYNC_FUZZ_SEED ?? 20_261_129);
const pureCases = Number(process.env.ZEPHR_SYNC_FUZZ_CASES ?? 1500);
const endToEndCases = 30;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof LosslessNumber);

/** Flattens arrays of arrays, as the export envelope's `results` may nest them. */
function flatten(list: readonly unknown[]): unknown[] {
  return list.flatMap((item) => (Array.isArray(item) ? flatten(item) : [item]));
}

/** The keys of the top-level object of a valid JSON text, duplicates included, in order. */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, end + 1)) as string);
      expectKey = false;
      i = end;
    } else if (char === "{" || char === "[") {
      depth += 1;
      expectKey = char === "{" && depth === 1;
    } else if (char === "}" || char === "]") {
      depth -= 1;
    } else if (char === "," && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

type Oracle =
  | { readonly kind: "malformed" }
  | {
      readonly kind: "export";
      readonly elements: readonly unknown[];
      /** meta.count when the envelope states one (a whole number). */
      readonly statedCount?: number;
    }
  /** Valid JSON whose envelope has `results` twice: JSON.parse keeps one, a stream sees both. */
  | { readonly kind: "ambiguous" };

function oracleOf(body: Buffer): Oracle {
  let text = body.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: "malformed" };
  }
  if (Array.isArray(parsed)) return { kind: "export", elements: flatten(parsed) };
  if (!isObject(parsed)) return { kind: "malformed" };
  if (topLevelKeys(text.trim()).filter((key) => key === "results").length > 1) return { kind: "ambiguous" };
  if (!Array.isArray(parsed.results)) return { kind: "malformed" };
  const count = isObject(parsed.meta) ? parsed.meta.count : undefined;
  return {
    kind: "export",
    elements: flatten(parsed.results),
    ...(typeof count === "number" && Number.isSafeInteger(count) && count >= 0 ? { statedCount: count } : {}),
  };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The users an export delivered, as the completeness rule counts them: each UUID once, plus every element without one. */
function countReceivedUsers(elements: readonly unknown[]): number {
  const ids = new Set<string>();
  let withoutId = 0;
  for (const element of elements) {
    const user = isObject(element) && isObject(element.user) ? element.user : undefined;
    const id = user?.user_id;
    if (typeof id === "string" && uuidPattern.test(id)) ids.add(id.toLowerCase());
    else withoutId += 1;
  }
  return ids.size + withoutId;
}

/** Ours (the parser's) against JSON.parse's: equal, but for exact big numbers and too-deep markers. */
function sameJson(ours: unknown, theirs: unknown, depth = 0): boolean {
  if (ours === tooDeep) return depth >= 64;
  if (ours instanceof LosslessNumber) return typeof theirs === "number" && Number(ours.text) === theirs;
  if (Array.isArray(ours)) {
    return (
      Array.isArray(theirs) &&
      ours.length === theirs.length &&
      ours.every((item, i) => sameJson(item, theirs[i], depth + 1))
    );
  }
  if (isObject(ours)) {
    if (!isObject(theirs)) return false;
    const keys = Object.keys(ours);
    return (
      keys.length === Object.keys(theirs).length &&
      keys.every((key) => Object.hasOwn(theirs, key) && sameJson(ours[key], theirs[key], depth + 1))
    );
  }
  return ours === theirs || (typeof ours === "number" && Number.isNaN(ours) && Number.isNaN(theirs));
}

/** Feeds the body to a parser in random chunks (splitting multi-byte characters too). */
function parseInRandomChunks(body: Buffer, random: SeededRandom): ScannedElement[] {
  const parser = new ExportBodyParser();
  const scanned: ScannedElement[] = [];
  for (let at = 0; at < body.length;) {
    const size = 1 + random.nextInt(random.chance(0.2) ? 8 : 4096);
    scanned.push(...parser.write(body.subarray(at, at + size)));
    at += size;
  }
  scanned.push(...parser.end().elements);
  return scanned;
}

/** What the scan noted without building must agree with the built value; returns the problems found. */
function checkScan(scanned: ScannedElement, built: BuiltValue): string[] {
  const problems: string[] = [];
  const user = isObject(built.value) ? built.value.user : undefined;
  const id = isObject(user) ? user.user_id : undefined;
  if (scanned.userId !== (typeof id === "string" ? id : undefined)) problems.push("user_id differs");
  if (peekUserId(scanned) !== keyOf(built.value)) problems.push("the batch key differs");
  if (scanned.hasLossless !== built.hasLossless) problems.push("hasLossless differs");
  if (scanned.hasTooDeep !== built.hasTooDeep) problems.push("hasTooDeep differs");
  if (!sameJson(built.value, JSON.parse(scanned.text))) problems.push("the text is not the element");
  return problems;
}

/** A string PostgreSQL cannot store: NUL, or a lone surrogate. */
const unstorable = (text: string) =>
  text.includes("\u0000") || !(text as string & { isWellFormed(): boolean }).isWellFormed();

function containsUnstorable(value: unknown): boolean {
  if (typeof value === "string") return unstorable(value);
  if (value === tooDeep) return true;
  if (Array.isArray(value)) return value.some(containsUnstorable);
  if (isObject(value)) return Object.entries(value).some(([k, v]) => unstorable(k) || containsUnstorable(v));
  return false;
}

function isoOf(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(value)
    ? value.replace(" ", "T")
    : `${value.replace(" ", "T")}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? "unparsable" : new Date(ms).toISOString();
}

/**
 * What must hold of one element's outcome, judged from the element itself. Returns the problems found.
 */
function checkOutcome(element: unknown, outcome: NormalizeOutcome): string[] {
  const problems: string[] = [];
  const user = isObject(element) ? element.user : undefined;
  const userId = isObject(user) ? user.user_id : undefined;
  if (!outcome.ok) {
    const { reasons, element: text } = outcome.rejected;
    if (reasons.length === 0 || reasons.some((r) => typeof r !== "string" || r.trim() === "")) {
      problems.push(`a reject without reasons: ${JSON.stringify(reasons)}`);
    }
    if (typeof text !== "string") problems.push("a reject without its element text");
    return problems;
  }
  const loaded = outcome.user;
  // Never loaded: what the README says is rejected.
  if (!isObject(element) || !isObject(user)) problems.push("loaded an element that is not {user: {...}}");
  if (typeof userId !== "string" || !isUuid(userId))
    problems.push(`loaded a user_id that is not a UUID: ${String(userId)}`);
  if (containsUnstorable(element)) problems.push("loaded text PostgreSQL cannot store, or a too-deep value");
  if (!isObject(user)) return problems;
  // Loaded exactly.
  if (loaded.userId !== String(userId).toLowerCase())
    problems.push(`userId ${loaded.userId} ≠ ${String(userId)}`);
  const identifiers = isObject(user.identifiers) ? user.identifiers : {};
  if (loaded.emailAddress !== (identifiers.email_address ?? null)) problems.push("email_address differs");
  const attributes = user.attributes ?? {};
  if (!sameJson(loaded.attributes, attributes) && !sameJson(attributes, loaded.attributes)) {
    problems.push("attributes differ");
  }
  if (loaded.registeredAt !== isoOf(user.registered) && user.registered !== null) {
    problems.push(`registered ${JSON.stringify(user.registered)} loaded as ${String(loaded.registeredAt)}`);
  }
  const rawGrants = isObject(element) ? element.grants : undefined;
  const grantList = Array.isArray(rawGrants)
    ? rawGrants
    : isObject(rawGrants)
      ? rawGrants.results
      : undefined;
  const grantIds = new Set(
    (Array.isArray(grantList) ? grantList : []).map((g) =>
      isObject(g) ? (g.grantId ?? g.grant_id) : undefined,
    ),
  );
  const loadedIds = new Set(loaded.grants.map((g) => g.grantId));
  if (grantIds.size !== loadedIds.size || [...grantIds].some((id) => !loadedIds.has(id as string))) {
    problems.push(`grants ${JSON.stringify([...grantIds])} loaded as ${JSON.stringify([...loadedIds])}`);
  }
  return problems;
}

interface PureResult {
  readonly oracle: Oracle["kind"];
  readonly outcomes: readonly NormalizeOutcome[];
  /** Each element's user_id when it is a UUID (lowercased): what a batch keys elements by. */
  readonly keys: readonly (string | undefined)[];
}

/** element.user.user_id when it is a UUID, lowercased. */
function keyOf(element: unknown): string | undefined {
  const user = isObject(element) ? element.user : undefined;
  const id = isObject(user) ? user.user_id : undefined;
  return typeof id === "string" && isUuid(id) ? id.toLowerCase() : undefined;
}

/** Runs one case through the pure layer; throws with the case's description on any broken invariant. */
function runPureCase(n: number, mutated: MutatedBody): PureResult {
  const where = `seed ${seed}, case ${n} (${mutated.description})`;
  const oracle = oracleOf(mutated.body);
  let scanned: ScannedElement[];
  try {
    scanned = parseInRandomChunks(mutated.body, new SeededRandom(n));
  } catch (error) {
    if (!(error instanceof SyncError) || error.code !== "EXPORT_MALFORMED") {
      throw new Error(`${where}: the parser threw something other than EXPORT_MALFORMED: ${String(error)}`);
    }
    if (oracle.kind === "export") {
      throw new Error(`${where}: JSON.parse reads an export, the parser refused it: ${error.message}`);
    }
    if (error.message.trim() === "") throw new Error(`${where}: EXPORT_MALFORMED without a message`);
    return { oracle: oracle.kind, outcomes: [], keys: [] };
  }
  if (oracle.kind === "malformed") throw new Error(`${where}: the parser accepted what JSON.parse does not`);
  const built = scanned.map((s) => s.build());
  scanned.forEach((s, i) => {
    const problems = checkScan(s, built[i] ?? { value: undefined, hasLossless: false, hasTooDeep: false });
    if (problems.length > 0) throw new Error(`${where}: element ${i} as scanned: ${problems.join("; ")}`);
  });
  if (oracle.kind === "export") {
    if (built.length !== oracle.elements.length) {
      throw new Error(
        `${where}: ${built.length} elements parsed, JSON.parse finds ${oracle.elements.length}`,
      );
    }
    built.forEach((b, i) => {
      if (!sameJson(b.value, oracle.elements[i]))
        throw new Error(`${where}: element ${i} differs from JSON.parse's`);
    });
  }
  const outcomes = built.map((b, i) => {
    let outcome: NormalizeOutcome;
    try {
      outcome = normalizeElement(b, { grantTimezone: "UTC" });
    } catch (error) {
      throw new Error(`${where}: normalizeElement threw on element ${i}: ${String(error)}`);
    }
    const problems = checkOutcome(oracle.kind === "export" ? oracle.elements[i] : b.value, outcome);
    if (problems.length > 0) throw new Error(`${where}: element ${i}: ${problems.join("; ")}`);
    return outcome;
  });
  return { oracle: oracle.kind, outcomes, keys: built.map((b) => keyOf(b.value)) };
}

/** Inputs that hit known product bugs (see bad-input-corpus's "known bug" tests): kept out of the end-to-end sample. */
function hitsKnownBug(outcomes: readonly NormalizeOutcome[]): boolean {
  return outcomes.some(
    (o) =>
      o.ok &&
      (Object.entries(o.user.attributes).some(([name, value]) => value === null || name.length > 2000) ||
        o.user.grants.some((g) =>
          [g.grantId, g.entitlementId ?? "", g.productId ?? ""].some((t) => t.length > 2000),
        )),
  );
}

const emptyTally = { malformed: 0, loaded: 0, rejected: 0, ambiguous: 0 };

interface EndToEndCase {
  readonly n: number;
  readonly mutated: MutatedBody;
  readonly result: PureResult;
}

describe(`the export fuzzer (seed ${seed})`, () => {
  /**
   * Runs the pure cases once (the first test to ask pays) and picks the end-to-end sample among them:
   * deterministic for the seed, so either test may run alone.
   */
  let pure: { tally: typeof emptyTally; endToEnd: EndToEndCase[] } | undefined;
  function runPureCases() {
    if (pure !== undefined) return pure;
    const mutator = new ExportMutator(seed);
    const tally = { ...emptyTally };
    const endToEnd: EndToEndCase[] = [];
    for (let n = 0; n < pureCases; n++) {
      const mutated = mutator.mutate(n);
      const result = runPureCase(n, mutated);
      if (result.oracle === "malformed") tally.malformed += 1;
      if (result.oracle === "ambiguous") tally.ambiguous += 1;
      tally.loaded += result.outcomes.filter((o) => o.ok).length;
      tally.rejected += result.outcomes.filter((o) => !o.ok).length;
      if (
        result.oracle !== "ambiguous" &&
        !hitsKnownBug(result.outcomes) &&
        endToEnd.length < endToEndCases &&
        n % 7 === 0
      ) {
        endToEnd.push({ n, mutated, result });
      }
    }
    pure = { tally, endToEnd };
    return pure;
  }

  test(`${pureCases} mutated bodies through the parser and validation keep every invariant`, () => {
    const { tally } = runPureCases();
    // The mutator must reach every kind of input, or the invariants above prove little.
    expect(tally.malformed).toBeGreaterThan(pureCases / 10);
    expect(tally.loaded).toBeGreaterThan(pureCases / 2);
    expect(tally.rejected).toBeGreaterThan(pureCases / 10);
  });

  describe("a sample end to end", () => {
    let fixture: SyncFixture;

    beforeAll(async () => {
      fixture = await startSyncFixture();
    });

    afterAll(async () => {
      await fixture.close();
    });

    test(`${endToEndCases} mutated bodies served by the simulator and loaded into PostgreSQL`, async () => {
      const { endToEnd } = runPureCases();
      expect(endToEnd).toHaveLength(endToEndCases);
      for (const { n, mutated, result } of endToEnd) {
        const where = `seed ${seed}, case ${n} (${mutated.description})`;
        fixture.simulator.faults.clear();
        await resetWarehouse(fixture.db.pool);
        expect((await fixture.run()).status).toBe("succeeded");
        const watermark = await findWatermark(fixture.db.pool, usersStream);
        fixture.clock.advance(3_600_000);
        fixture.simulator.faults.push({ kind: "raw", status: 200, body: mutated.body, page: 1 });
        const outcome = await fixture.run();
        const oracle = oracleOf(mutated.body);
        if (oracle.kind === "export" && (oracle.statedCount ?? 0) > countReceivedUsers(oracle.elements)) {
          // A user listed twice counts once: fewer users than meta.count states is an incomplete export.
          expect({ where, code: "error" in outcome ? outcome.error.code : outcome.status }).toEqual({
            where,
            code: "EXPORT_INCOMPLETE",
          });
          expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(watermark);
          continue;
        }
        const malformed = oracle.kind === "malformed";
        if (malformed) {
          expect({
            where,
            status: outcome.status,
            code: "error" in outcome ? outcome.error.code : undefined,
          }).toEqual({
            where,
            status: "failed",
            code: "EXPORT_MALFORMED",
          });
          expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(watermark);
          continue;
        }
        if (outcome.status !== "succeeded") {
          throw new Error(`${where}: ${outcome.status}: ${"error" in outcome ? outcome.error.message : ""}`);
        }
        // Within a batch, the last element of a user stands for it (a page served twice, shifting pages):
        // earlier ones, loaded or rejected, are superseded. Elements without a UUID are all rejected.
        const last = new Map<string, NormalizeOutcome>();
        const unkeyed: NormalizeOutcome[] = [];
        result.outcomes.forEach((o, i) => {
          const key = result.keys[i];
          if (key === undefined) unkeyed.push(o);
          else {
            last.delete(key);
            last.set(key, o);
          }
        });
        const outcomes = [...unkeyed, ...last.values()];
        const users = new Map<string, Json>();
        for (const o of outcomes) if (o.ok) users.set(o.user.userId, o.user.attributes);
        const rows = await fixture.db.pool.query<{ user_id: string; attributes: Json }>(
          "select user_id::text, attributes from zephr.users order by user_id",
        );
        expect({ where, ids: rows.rows.map((r) => r.user_id) }).toEqual({
          where,
          ids: [...users.keys()].sort(),
        });
        for (const row of rows.rows) {
          const expected = users.get(row.user_id);
          if (!outcomes.some((o) => o.ok && o.user.userId === row.user_id && o.user.hasLossless)) {
            // As JSON: -0 is 0 once written (PostgreSQL's numeric has no negative zero).
            expect({ where, attributes: row.attributes }).toEqual({
              where,
              attributes: JSON.parse(JSON.stringify(expected)) as unknown,
            });
          }
        }
        const rejects = await fixture.db.pool.query("select 1 from zephr.sync_rejects");
        expect({ where, rejects: rejects.rowCount }).toEqual({
          where,
          rejects: outcomes.filter((o) => !o.ok).length,
        });
      }
    });
  });
});
