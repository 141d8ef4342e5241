import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { LosslessNumber } from "../../src/json/lossless-number.js";
import { stringifyJson } from "../../src/json/stringify-json.js";
import { SimulatorStore } from "../../tools/simulator/index.js";
import { computeSourceHash, normalizationVersion, peekUserId } from "../../src/sync/normalize/source-hash.js";
import { buildJsonValue } from "../../src/zephr/json/build-json-value.js";
import { ExportBodyParser } from "../../src/zephr/json/export-body-parser.js";
import { tooDeep, type BuiltValue } from "../../src/zephr/json/json-value-builder.js";
import { maxElementDepth } from "../../src/zephr/json/max-element-depth.js";
import type { ScannedElement } from "../../src/zephr/json/scanned-element.js";

const grantTimezone = "Europe/London";

/** Scans the elements of a bare-array export body made of these element texts, fed in chunks. */
function scan(elementTexts: readonly string[], chunkBytes: number): ScannedElement[] {
  const body = Buffer.from(`[${elementTexts.join(",")}]`, "utf8");
  const parser = new ExportBodyParser();
  const scanned: ScannedElement[] = [];
  for (let at = 0; at < body.length; at += chunkBytes) {
    scanned.push(...parser.write(body.subarray(at, at + chunkBytes)));
  }
  scanned.push(...parser.end().elements);
  return scanned;
}

/** What the export reader built before elements were scanned: JsonValueBuilder over the element's tokens. */
function buildAsBefore(elementText: string): BuiltValue {
  return buildJsonValue(elementText, maxElementDepth);
}

/** The hash earlier versions stored: sha256 of the prefix and stringifyJson of the built element. */
function hashAsBefore(built: BuiltValue): string {
  return createHash("sha256")
    .update(`${normalizationVersion}|${grantTimezone}|`)
    .update(stringifyJson(built.value, built.hasLossless))
    .digest("hex");
}

/** JSON.stringify, then every character outside printable ASCII and every slash as an escape. */
function escapeAll(text: string): string {
  return JSON.stringify(text)
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(/\//g, "\\/");
}

/** The same JSON written another way: whitespace, escapes, integers with a fraction and an exponent. */
function rewrite(value: unknown): string {
  if (Array.isArray(value)) return `[ ${value.map(rewrite).join(" ,\n  ")} ]`;
  if (typeof value === "object" && value !== null) {
    const members = Object.entries(value).map(([key, child]) => `${escapeAll(key)} :\t${rewrite(child)}`);
    return `{\r\n ${members.join(" , ")} }`;
  }
  if (typeof value === "number") return Number.isInteger(value) ? `${value}.0E+0` : String(value);
  if (typeof value === "string") return escapeAll(value);
  return JSON.stringify(value);
}

/** Where a scanned element differs from what the builder made of the same text; [] when nowhere. */
function differences(scanned: ScannedElement, source: string): string[] {
  const before = buildAsBefore(source);
  const found: string[] = [];
  if (scanned.text !== stringifyJson(before.value, before.hasLossless)) found.push("text");
  if (computeSourceHash(scanned.json, grantTimezone) !== hashAsBefore(before)) found.push("hash");
  if (!isDeepStrictEqual(scanned.build(), before)) found.push("built value");
  if (scanned.hasLossless !== before.hasLossless) found.push("hasLossless");
  return found;
}

describe("the element scanner", () => {
  test("writes what stringifyJson wrote for thousands of generated users, so stored hashes still match", () => {
    const store = new SimulatorStore(() => Date.UTC(2026, 10, 29));
    store.seedGenerated({ count: 3000, seed: 11 });
    const selection = store.select({ sinceInclusive: false });
    const served: string[] = [];
    for (let position = 0; position < selection.count; position++) {
      served.push(selection.serializeAt(position, { attributes: true, grants: true }));
    }
    const rewritten = served.map((text) => rewrite(JSON.parse(text)));
    for (const [sources, chunkBytes] of [
      [served, 65_536],
      [rewritten, 1000],
    ] as const) {
      const scanned = scan(sources, chunkBytes);
      expect(scanned).toHaveLength(sources.length);
      const mismatches = scanned
        .map((element, i) => ({ i, found: differences(element, sources[i] ?? "") }))
        .filter((m) => m.found.length > 0);
      expect(mismatches.slice(0, 5)).toEqual([]);
      scanned.forEach((element, i) => {
        const user = (JSON.parse(sources[i] ?? "") as { user: { user_id: string } }).user;
        expect(peekUserId(element)).toBe(user.user_id.toLowerCase());
      });
    }
  });

  test.each([
    ["non-ASCII text", '{"user":{"attributes":{"name":"Zoë 🦊 名前","city":"Zürich"}}}'],
    [
      "escapes",
      String.raw`{"s":"quote \" backslash \\ slash \/ tab \t nl \n \u0001 \u001f \u007f \u2028 \u00e9 \ud83e\udd8a"}`,
    ],
    ["a lone surrogate", String.raw`{"s":"\ud800 and \udfff","\udc00":1}`],
    ["integers beyond 2^53", '{"n":12345678901234567890,"m":-98765432109876543210,"s":9007199254740991}'],
    ["numbers beyond a double", '{"big":1e400,"tiny":1e-400,"neg":-1E+400,"zero":0e400}'],
    ["numbers written longhand", '{"a":[1.50,1e2,0.1,1E-7,123456789012345.678,9007199254740993.0,2e-320]}'],
    ["nested arrays", '{"a":[[1,[2,[3,[]]]],{},[{}],[[],[null,true,false]]]}'],
    ["__proto__ keys", '{"__proto__":{"polluted":true},"user":{"__proto__":1,"user_id":"x"}}'],
    ["empty containers and strings", '{"":"","o":{},"a":[]}'],
    ["a scalar element", '"just text"'],
    ["a number element", "1.50"],
    ["a lossless number element", "12345678901234567890"],
    ["null", "null"],
    [
      "nesting right at the depth limit",
      `{"d":${"[".repeat(maxElementDepth - 1)}${"]".repeat(maxElementDepth - 1)}}`,
    ],
  ])("writes %s as stringifyJson wrote them", (_name, source) => {
    for (const chunkBytes of [1, 3, 4096]) {
      const [scanned] = scan([source], chunkBytes);
      if (scanned === undefined) throw new Error("no element scanned");
      expect({ chunkBytes, differences: differences(scanned, source) }).toEqual({
        chunkBytes,
        differences: [],
      });
      expect(scanned.hasTooDeep).toBe(false);
    }
  });

  test("writes elements longer than a slab, and escapes where a slab fills up, keeping earlier texts intact", () => {
    const sources = [
      JSON.stringify({ s: "a".repeat(70_000) }),
      JSON.stringify({ s: "名".repeat(30_000), t: "🦊".repeat(20_000) }),
      ...Array.from({ length: 300 }, (_, i) =>
        JSON.stringify({ i, s: `"\\\n\u0001\ud800 ${"é".repeat(i * 3)}` }),
      ),
      JSON.stringify({ s: "\u0001".repeat(40_000) }),
    ];
    const scanned = scan(sources, 10_000);
    expect(scanned.map((element, i) => differences(element, sources[i] ?? ""))).toEqual(
      sources.map(() => []),
    );
  });

  test("keeps integers beyond 2^53, numbers beyond a double and long decimals exactly when built", () => {
    const source =
      '{"n":12345678901234567890,"big":1e400,"f":1.50,"d":0.12345678901234567890123,"m":12345678901234567890.5,"s":1.5}';
    const [scanned] = scan([source], 7);
    expect(scanned?.hasLossless).toBe(true);
    expect(scanned?.text).toBe(source);
    expect(scanned?.build().value).toStrictEqual({
      n: new LosslessNumber("12345678901234567890"),
      big: new LosslessNumber("1e400"),
      f: new LosslessNumber("1.50"),
      d: new LosslessNumber("0.12345678901234567890123"),
      m: new LosslessNumber("12345678901234567890.5"),
      s: 1.5,
    });
    expect(stringifyJson(scanned?.build().value)).toBe(source);
  });

  test("keeps -0 as written (a number would print 0), so the text and the built value agree", () => {
    const [scanned] = scan(['{"z":-0,"y":-0.0}'], 3);
    expect(scanned?.text).toBe('{"z":-0,"y":-0.0}');
    expect(scanned?.text).toBe(stringifyJson(buildAsBefore('{"z":-0,"y":-0.0}').value));
    expect(scanned?.build().value).toStrictEqual({
      z: new LosslessNumber("-0"),
      y: new LosslessNumber("-0.0"),
    });
  });

  test.each([
    ['{"a":1,"a":2}', ['element has the key "a" more than once']],
    [
      '{"user":{"user_id":"a","x":[{"k":1,"k":1}],"user_id":"b"}}',
      [
        'element.user.x[0] has the key "k" more than once',
        'element.user has the key "user_id" more than once',
      ],
    ],
    ['{"user":{"user_id":"a","user_id":"a"}}', ['element.user has the key "user_id" more than once']],
  ])("notes a key repeated in one object, with the object's path: %s", (source, reasons) => {
    for (const chunkBytes of [1, 5, 4096]) {
      const [scanned] = scan([source], chunkBytes);
      expect(scanned?.problems).toEqual(reasons);
      expect(scanned?.text).toBe(source);
    }
  });

  test("notes repeated keys among thousands, and none where keys only repeat in different objects", () => {
    const many = Array.from({ length: 3000 }, (_, i) => `"k${i}":${i}`).join(",");
    const [repeated, distinct] = scan(
      [`{"o":{${many},"k2999":0}}`, `{"o":{${many}},"p":{${many}},"q":[{"a":1},{"a":1}]}`],
      65_536,
    );
    expect(repeated?.problems).toEqual(['element.o has the key "k2999" more than once']);
    expect(distinct?.problems).toBeUndefined();
  });

  test("keeps what is nested too deep in its text, and builds it as the tooDeep marker as before", () => {
    const deep = `{"user":{"user_id":"A"},"deep":${"[".repeat(100)}${"]".repeat(100)}}`;
    const [scanned] = scan([deep], 5);
    if (scanned === undefined) throw new Error("no element scanned");
    expect(scanned.hasTooDeep).toBe(true);
    expect(scanned.text).toBe(deep);
    expect(scanned.build()).toStrictEqual(buildAsBefore(deep));
    expect(
      JSON.stringify(scanned.build().value, (_k, v: unknown) => (v === tooDeep ? "TOO_DEEP" : v)),
    ).toContain("TOO_DEEP");
    expect(scanned.userId).toBe("A");
  });

  test("notes a lossless number only where the built value has one, not where it was nested too deep", () => {
    const deepOnly = `{"n":1,"deep":${"[".repeat(70)}12345678901234567890${"]".repeat(70)}}`;
    const shallowToo = `{"n":12345678901234567890,"deep":${"[".repeat(70)}${"]".repeat(70)}}`;
    const scanned = scan([deepOnly, shallowToo], 9);
    expect(scanned.map((s) => [s.hasLossless, s.hasTooDeep])).toEqual([
      [false, true],
      [true, true],
    ]);
    expect(scanned.map((s) => s.build())).toStrictEqual([buildAsBefore(deepOnly), buildAsBefore(shallowToo)]);
  });

  test("keeps keys in the order received, where JS objects put integer-like keys first (a harmless new hash)", () => {
    const source = '{"b":1,"123":2,"a":{"x":1,"x":2}}';
    const [scanned] = scan([source], 4);
    if (scanned === undefined) throw new Error("no element scanned");
    expect(scanned.text).toBe(source);
    expect(stringifyJson(buildAsBefore(source).value)).toBe('{"123":2,"b":1,"a":{"x":2}}');
    expect(scanned.build()).toStrictEqual(buildAsBefore(source));
  });

  test.each([
    [
      "a UUID, lowercased",
      '{"user":{"user_id":"0435ED2D-1221-4DE2-88C7-304DBAAC8D42"}}',
      "0435ED2D-1221-4DE2-88C7-304DBAAC8D42",
    ],
    ["a string that is no UUID", '{"user":{"user_id":"nope"}}', "nope"],
    ["a number", '{"user":{"user_id":42}}', undefined],
    ["an object", '{"user":{"user_id":{"id":"a"}}}', undefined],
    ["the last of repeated ids", '{"user":{"user_id":"a","user_id":"b"}}', "b"],
    ["a repeated id that is no string", '{"user":{"user_id":"a","user_id":null}}', undefined],
    ["the last user's", '{"user":{"user_id":"a"},"user":{"name":"b"}}', undefined],
    ["a user that is not an object", '{"user":{"user_id":"a"},"user":["user_id","b"]}', undefined],
    ["none outside user", '{"user_id":"a","x":{"user_id":"b"},"user":{"x":{"user_id":"c"}}}', undefined],
    ["none in an array", '{"user":[{"user_id":"a"}]}', undefined],
  ])("notes user.user_id: %s", (_name, source, expected) => {
    const [scanned] = scan([source], 2);
    if (scanned === undefined) throw new Error("no element scanned");
    expect(scanned.userId).toBe(expected);
    const user = (scanned.build().value as { user?: unknown }).user;
    const id =
      typeof user === "object" && user !== null ? (user as { user_id?: unknown }).user_id : undefined;
    expect(scanned.userId).toBe(typeof id === "string" ? id : undefined);
  });

  test("notes nothing of one element in the next", () => {
    const scanned = scan(
      [
        '{"user":{"user_id":"0435ed2d-1221-4de2-88c7-304dbaac8d42"},"n":12345678901234567890}',
        '{"user":{}}',
        "[]",
      ],
      3,
    );
    expect(scanned.map((s) => [s.text, peekUserId(s), s.hasLossless])).toEqual([
      [
        '{"user":{"user_id":"0435ed2d-1221-4de2-88c7-304dbaac8d42"},"n":12345678901234567890}',
        "0435ed2d-1221-4de2-88c7-304dbaac8d42",
        true,
      ],
      ['{"user":{}}', undefined, false],
    ]);
  });
});
