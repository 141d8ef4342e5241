import { StringDecoder } from "node:string_decoder";
import { SeededRandom } from "../../tools/simulator/index.js";
import { Utf8ChunkDecoder, type InvalidUtf8 } from "../../src/zephr/json/utf8-chunk-decoder.js";

/** Decodes `bytes` in chunks of `chunkBytes`: the text, and every run noted, offsets into the text. */
function decode(bytes: Buffer, chunkBytes: number): { text: string; invalid: InvalidUtf8[] } {
  const decoder = new Utf8ChunkDecoder();
  let text = "";
  const invalid: InvalidUtf8[] = [];
  const take = (chunk: { text: string; invalid: readonly InvalidUtf8[] }) => {
    invalid.push(...chunk.invalid.map((run) => ({ ...run, at: run.at + text.length })));
    text += chunk.text;
  };
  for (let at = 0; at < bytes.length; at += chunkBytes)
    take(decoder.write(bytes.subarray(at, at + chunkBytes)));
  take(decoder.end());
  return { text, invalid };
}

describe("decoding UTF-8 in chunks", () => {
  test("decodes as StringDecoder does, and notes a run exactly where it put each U+FFFD of its own", () => {
    const random = new SeededRandom(16);
    // Valid text of every length, genuine U+FFFD included, mixed with bytes that are not UTF-8.
    const pieces = ["a", "é", "€", "🦊", "\ufffd", "名"].map((s) => Buffer.from(s));
    const bad = [
      [0xff],
      [0xc3],
      [0xe2, 0x82],
      [0xf0, 0x9f, 0xa6],
      [0x80],
      [0xed, 0xa0, 0x80],
      [0xc0, 0xaf],
      [0xf4, 0x90],
    ];
    for (let round = 0; round < 300; round++) {
      const parts: Buffer[] = [];
      for (let i = 0; i < 20; i++) {
        parts.push(
          random.nextInt(4) === 0
            ? Buffer.from(bad[random.nextInt(bad.length)] ?? [])
            : (pieces[random.nextInt(pieces.length)] ?? Buffer.alloc(0)),
        );
      }
      const bytes = Buffer.concat(parts);
      const reference = new StringDecoder("utf8");
      const expected = reference.write(bytes) + reference.end();
      const validOnly = parts.every((p) => Buffer.from(p.toString("utf8")).equals(p));
      for (const chunkBytes of [1, 2, 3, 7, 1000]) {
        const { text, invalid } = decode(bytes, chunkBytes);
        expect(text).toBe(expected);
        if (validOnly) expect(invalid).toEqual([]);
        for (const run of invalid) {
          expect(text[run.at]).toBe("\ufffd");
          expect(
            bytes
              .subarray(run.offset, run.offset + run.hex.split(" ").length)
              .toString("hex")
              .toUpperCase(),
          ).toBe(run.hex.replace(/ /g, ""));
        }
        // Every U+FFFD not noted is one that was sent as the valid bytes EF BF BD.
        const genuine = text.split("\ufffd").length - 1 - invalid.length;
        expect(genuine).toBe(parts.filter((p) => p.equals(Buffer.from("\ufffd"))).length);
      }
    }
  });

  test("notes C3 before ( as one run, the ( kept, and a sequence cut off by the end of the body", () => {
    expect(decode(Buffer.from([0x61, 0xc3, 0x28, 0xe2, 0x82]), 1)).toEqual({
      text: "a\ufffd(\ufffd",
      invalid: [
        { at: 1, offset: 1, hex: "C3" },
        { at: 3, offset: 3, hex: "E2 82" },
      ],
    });
  });
});
