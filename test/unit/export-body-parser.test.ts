import { ExportBodyParser } from "../../src/zephr/json/export-body-parser.js";
import { LosslessNumber } from "../../src/json/lossless-number.js";
import { tooDeep } from "../../src/zephr/json/json-value-builder.js";
import { SyncError } from "../../src/errors.js";

function parseInChunks(text: string, chunkBytes: number) {
  const parser = new ExportBodyParser();
  const bytes = Buffer.from(text, "utf8");
  const elements: unknown[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) {
    elements.push(...parser.write(bytes.subarray(i, i + chunkBytes)).map((e) => e.build().value));
  }
  const end = parser.end();
  elements.push(...end.elements.map((e) => e.build().value));
  return { elements, summary: end.summary, bytes: parser.bytes };
}

const a = { user: { user_id: "a", attributes: { name: "Zoë 🦊 名前" } } };
const b = { user: { user_id: "b" }, "seq-no": 2 };

describe("the export body parser", () => {
  test.each([1, 2, 7, 64, 100000])("reads a bare array split into %i-byte chunks", (chunk) => {
    const { elements, summary } = parseInChunks(JSON.stringify([a, b]), chunk);
    expect(elements).toEqual([a, b]);
    expect(summary).toEqual({
      kind: "array",
      hasLinks: false,
      hasMeta: false,
      next: undefined,
      lastPage: undefined,
      paginated: undefined,
      totalCount: undefined,
      pageSize: undefined,
    });
  });

  test("reads the results envelope wherever results, meta and links stand", () => {
    const body = `{"links":{"next":{"url":"x","page":2},"last":{"page":5}},"results":[${JSON.stringify(a)}],"meta":{"count":9,"rpp":20,"paginated":true},"extra":[1,{"x":[2]}]}`;
    const { elements, summary } = parseInChunks(body, 5);
    expect(elements).toEqual([a]);
    expect(summary).toEqual({
      kind: "object",
      hasLinks: true,
      hasMeta: true,
      next: { url: "x", page: 2 },
      lastPage: 5,
      paginated: true,
      totalCount: 9,
      pageSize: 20,
    });
  });

  test.each([
    ['"next":"/v3/user-export?page=2"', { url: "/v3/user-export?page=2", page: undefined }],
    ['"next":{"page":3}', { url: undefined, page: 3 }],
    ['"next":{"url":"","page":3}', { url: undefined, page: 3 }],
    ['"next":4', { url: undefined, page: 4 }],
    ['"next":""', undefined],
    ['"next":null', undefined],
    ['"first":{"page":1}', undefined],
  ])("reads links.next given as %s", (next, expected) => {
    const { summary } = parseInChunks(`{"results":[],"links":{${next}}}`, 7);
    expect(summary.next).toEqual(expected);
  });

  test.each([
    ['{"count":0,"rpp":20}', 0, 20],
    ['{"count":-1,"rpp":0}', undefined, undefined],
    ['{"count":"400","rpp":2.5}', undefined, undefined],
  ])("reads meta %s as count %p and page size %p, ignoring what is not a count", (meta, count, rpp) => {
    const { summary } = parseInChunks(`{"results":[],"meta":${meta}}`, 4);
    expect([summary.totalCount, summary.pageSize]).toEqual([count, rpp]);
  });

  test("flattens results nested as arrays of arrays", () => {
    const body = JSON.stringify({ results: [[a], [[b]]], links: { next: null } });
    const { elements, summary } = parseInChunks(body, 3);
    expect(elements).toEqual([a, b]);
    expect(summary.next).toBeUndefined();
  });

  test("keeps integers beyond 2^53 exactly", () => {
    const { elements } = parseInChunks('[{"n":12345678901234567890,"f":1.5,"s":9007199254740991}]', 4);
    expect(elements).toEqual([
      { n: new LosslessNumber("12345678901234567890"), f: 1.5, s: 9007199254740991 },
    ]);
  });

  /** Every element's text and problems, the body (pieces of bytes) fed in chunks of `chunkBytes`. */
  function scanBytes(pieces: readonly (string | number[])[], chunkBytes: number) {
    const body = Buffer.concat(pieces.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));
    const parser = new ExportBodyParser();
    const scanned = [];
    for (let i = 0; i < body.length; i += chunkBytes)
      scanned.push(...parser.write(body.subarray(i, i + chunkBytes)));
    scanned.push(...parser.end().elements);
    return scanned.map((e) => ({ text: e.text, problems: e.problems }));
  }

  test("skips a byte-order mark", () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"x":"y"}]')]);
    const parser = new ExportBodyParser();
    const elements = [...parser.write(body), ...parser.end().elements].map((e) => e.build().value);
    expect(elements).toEqual([{ x: "y" }]);
  });

  test.each([1, 2, 3, 5, 4096])(
    "notes bytes that are not UTF-8 on the element and the path they are in, in %i-byte chunks",
    (chunkBytes) => {
      const offsetOfFF = '[{"ok":"é"},{"user":{"attributes":{"a":"x'.length + 1; // é is two bytes
      expect(
        scanBytes(
          [
            '[{"ok":"é"},{"user":{"attributes":{"a":"x',
            [0xff, 0xfe],
            '"},"identifiers":{"email_address":"',
            [0xc3, 0x28],
            '@example.com"}}},"',
            [0xe2, 0x82],
            '",{"',
            [0xf0, 0x9f, 0xa6],
            'k":[1,"',
            [0x80],
            '"]},"� genuine"]',
          ],
          chunkBytes,
        ),
      ).toEqual([
        { text: '{"ok":"é"}', problems: undefined },
        {
          text: '{"user":{"attributes":{"a":"x��"},"identifiers":{"email_address":"�(@example.com"}}}',
          problems: [
            `element.user.attributes.a has bytes that are not valid UTF-8 (FF at byte ${offsetOfFF} of the page, and 2 more runs of such bytes)`,
          ],
        },
        {
          text: '"�"',
          problems: [
            expect.stringMatching(
              /^element has bytes that are not valid UTF-8 \(E2 82 at byte \d+ of the page\)$/,
            ),
          ],
        },
        {
          text: '{"�k":[1,"�"]}',
          problems: [
            expect.stringMatching(
              /^a key in element has bytes that are not valid UTF-8 \(F0 9F A6 at byte \d+ of the page, and 1 more run of such bytes\)$/,
            ),
          ],
        },
        { text: '"� genuine"', problems: undefined },
      ]);
    },
  );

  test.each([
    ["a key of the envelope", ['{"res', [0xff], 'ults":[]}']],
    ["meta", ['{"results":[],"meta":{"note":"', [0xc3, 0x28], '"}}']],
    ["an error message", ['{"message":"', [0xfe], '"}']],
    ["the body's end", ['[{"a":1}]', [0xe2]]],
  ] as const)("fails the page as EXPORT_MALFORMED for bytes not UTF-8 in %s", (_name, pieces) => {
    for (const chunkBytes of [1, 4096]) {
      let error: unknown;
      try {
        scanBytes(pieces as readonly (string | number[])[], chunkBytes);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SyncError);
      expect((error as SyncError).code).toBe("EXPORT_MALFORMED");
      expect((error as SyncError).message).toMatch(
        /not valid UTF-8 outside any element \([0-9A-F ]+ at byte \d+\)|not valid JSON/,
      );
    }
  });

  test("treats __proto__ as an ordinary key", () => {
    const { elements } = parseInChunks('[{"__proto__":{"polluted":true}}]', 3);
    const [element] = elements as Record<string, unknown>[];
    expect(Object.getPrototypeOf(element)).toBe(Object.prototype);
    expect(Object.keys(element ?? {})).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("marks values nested beyond the depth limit instead of building them", () => {
    const deep = "[".repeat(100) + "]".repeat(100);
    const { elements } = parseInChunks(`[{"deep":${deep}}]`, 50);
    const built = JSON.stringify(elements, (_k, v: unknown) => (v === tooDeep ? "TOO_DEEP" : v));
    expect(built).toContain("TOO_DEEP");
  });

  test.each([
    ["a truncated body", '[{"user":{"user_id":"a"}},{"us', /ended before|not valid JSON/],
    ["an empty body", "", /empty body/],
    ["trailing garbage", "[] x", /not valid JSON/],
    ["an HTML page", "<html><body>Bad gateway</body></html>", /not valid JSON/],
    ["a scalar document", '"hello"', /neither an array nor an object/],
    ["an error object", '{"message":"Access denied"}', /no "results" list: "Access denied"/],
    ["results that is not a list", '{"results":{"a":1}}', /"results" is not a list/],
  ])("rejects %s with EXPORT_MALFORMED", (_name, body, message) => {
    let thrown: unknown;
    try {
      parseInChunks(body, 4);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SyncError);
    expect((thrown as SyncError).code).toBe("EXPORT_MALFORMED");
    expect((thrown as SyncError).message).toMatch(message);
  });
});
