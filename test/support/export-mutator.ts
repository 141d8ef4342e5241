import { generateUser, SeededRandom } from "../../tools/simulator/index.js";
import { getPath, setPath, deletePath, type JsonPath } from "./edit-json.js";

/**
 * A seeded mutator of valid export bodies, for fuzzing: byte-level damage (flips, cuts, insertions of
 * JSON's special characters and of invalid UTF-8) and structural edits of elements (a value replaced by
 * one of another type, a key removed or renamed, an element duplicated or nested). Every case is a pure
 * function of (seed, case number), so a failure is reproduced from the two numbers it reports.
 */

export interface MutatedBody {
  /** What was done, for failure messages. */
  readonly description: string;
  readonly body: Buffer;
}

/** Values an attacker or a broken upstream might put anywhere. Big numbers are spliced in as text. */
const oddStrings = [
  "",
  " ",
  "null",
  "true",
  "0435ed2d-1221-4de2-88c7-304dbaac8d42",
  "0435ED2D-1221-4DE2-88C7-304DBAAC8D42",
  "not-a-uuid",
  "2021-02-30T25:00:00Z",
  "2022-06-01 00:00:00",
  "9999-12-31T23:59:59Z",
  "'); drop table zephr.users; --",
  "$1",
  "\u0000",
  "a\ud800b",
  "\udfff",
  "🦄 名前 مرحبا e\u0301",
  "\u2028\u2029",
  "<script>alert(1)</script>",
  "x".repeat(5000),
];

/** Tokens byte-level insertions draw from. */
const insertions: readonly (string | Buffer)[] = [
  "{",
  "}",
  "[",
  "]",
  '"',
  "\\",
  ",",
  ":",
  "null",
  "-",
  "1e999",
  "9007199254740993",
  "\\u0000",
  "\\ud800",
  "\ufeff",
  " ",
  "\n",
  '"__proto__":',
  Buffer.from([0xff]),
  Buffer.from([0xc3]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xf0, 0x9f, 0xa6]),
];

const bigNumberTexts = ["9007199254740993", "-12345678901234567890123", "1e400", "-1e-400", "0.1e1", "-0"];

export class ExportMutator {
  constructor(private readonly seed: number) {}

  /** Case `n` of this seed. */
  mutate(n: number): MutatedBody {
    const random = new SeededRandom((this.seed * 1_000_003 + n) | 0);
    const elements = Array.from({ length: 1 + random.nextInt(4) }, (_, i) =>
      generateUser(n * 8 + i, 1 + (this.seed % 1000)),
    ) as unknown[];
    return random.chance(0.5) ? this.damageBytes(random, elements) : this.editStructure(random, elements);
  }

  private envelope(random: SeededRandom, elements: readonly unknown[]): string {
    switch (random.nextInt(4)) {
      case 0:
        return JSON.stringify(elements);
      case 1:
        return JSON.stringify({
          results: elements,
          meta: { count: elements.length, rpp: 50, paginated: true },
          links: { first: { url: "x", page: 1 }, next: null },
        });
      case 2:
        return JSON.stringify({ results: elements.map((e) => [e]) });
      default:
        return JSON.stringify({ meta: { count: elements.length }, results: elements, links: {} });
    }
  }

  private damageBytes(random: SeededRandom, elements: readonly unknown[]): MutatedBody {
    let body = Buffer.from(this.envelope(random, elements), "utf8");
    const steps: string[] = [];
    const edits = 1 + random.nextInt(3);
    for (let i = 0; i < edits; i++) {
      const at = random.nextInt(body.length + 1);
      switch (random.nextInt(6)) {
        case 0: {
          const bit = 1 << random.nextInt(8);
          if (at < body.length) body[at] = (body[at] ?? 0) ^ bit;
          steps.push(`flip bit ${bit} at ${at}`);
          break;
        }
        case 1: {
          const length = 1 + random.nextInt(40);
          body = Buffer.concat([body.subarray(0, at), body.subarray(at + length)]);
          steps.push(`delete ${length} at ${at}`);
          break;
        }
        case 2: {
          const token = random.pick(insertions as [string | Buffer, ...(string | Buffer)[]]);
          body = Buffer.concat([body.subarray(0, at), Buffer.from(token), body.subarray(at)]);
          steps.push(`insert ${JSON.stringify(token.toString())} at ${at}`);
          break;
        }
        case 3: {
          body = body.subarray(0, at);
          steps.push(`truncate at ${at}`);
          break;
        }
        case 4: {
          const length = 1 + random.nextInt(60);
          const copy = body.subarray(at, at + length);
          body = Buffer.concat([body.subarray(0, at), copy, body.subarray(at)]);
          steps.push(`duplicate ${length} at ${at}`);
          break;
        }
        default: {
          body = Buffer.concat([body, Buffer.from(random.pick([" ", "x", "]", "}", "\n\n", "[]"]))]);
          steps.push("append garbage");
        }
      }
    }
    return { description: `bytes: ${steps.join(", ")}`, body };
  }

  private editStructure(random: SeededRandom, elements: unknown[]): MutatedBody {
    const edited = [...elements];
    const steps: string[] = [];
    const placeholders = new Map<string, string>();
    const edits = 1 + random.nextInt(3);
    for (let i = 0; i < edits; i++) {
      const index = random.nextInt(edited.length);
      const element = edited[index];
      const paths = listPaths(element);
      const path = paths[random.nextInt(paths.length)] ?? [];
      switch (random.nextInt(6)) {
        case 0:
        case 1: {
          const value = this.randomValue(random, placeholders, 0);
          edited[index] = setPath(element, path, value);
          steps.push(`set ${formatPath(path)} of #${index}`);
          break;
        }
        case 2:
          edited[index] = deletePath(element, path);
          steps.push(`delete ${formatPath(path)} of #${index}`);
          break;
        case 3: {
          const value = getPath(element, path);
          const renamed = [...path.slice(0, -1), `${String(path.at(-1) ?? "")}_renamed`];
          edited[index] = setPath(deletePath(element, path), renamed, value);
          steps.push(`rename ${formatPath(path)} of #${index}`);
          break;
        }
        case 4:
          edited.push(structuredClone(element));
          steps.push(`duplicate #${index}`);
          break;
        default:
          edited[index] = this.randomValue(random, placeholders, 0);
          steps.push(`replace #${index} by a random value`);
      }
    }
    let text = this.envelope(random, edited);
    for (const [placeholder, number] of placeholders)
      text = text.split(JSON.stringify(placeholder)).join(number);
    return { description: `structure: ${steps.join(", ")}`, body: Buffer.from(text, "utf8") };
  }

  private randomValue(random: SeededRandom, placeholders: Map<string, string>, depth: number): unknown {
    switch (random.nextInt(depth > 2 ? 6 : 9)) {
      case 0:
        return null;
      case 1:
        return random.chance(0.5);
      case 2:
        return random.pick([0, -1, 1.5, 2 ** 53 - 1, -(2 ** 31), 1e21, 5e-324]);
      case 3: {
        const placeholder = `__number_${placeholders.size}__`;
        placeholders.set(placeholder, random.pick(bigNumberTexts as [string, ...string[]]));
        return placeholder;
      }
      case 4:
      case 5:
        return random.pick(oddStrings as [string, ...string[]]);
      case 6:
        return Array.from({ length: random.nextInt(3) }, () =>
          this.randomValue(random, placeholders, depth + 1),
        );
      case 7:
        return Object.fromEntries(
          Array.from({ length: random.nextInt(3) }, (_, i) => [
            random.pick(["a", "user_id", "__proto__", `k${i}`, "grantId"]),
            this.randomValue(random, placeholders, depth + 1),
          ]),
        );
      default: {
        let nested: unknown = "bottom";
        for (let d = 0; d < 60 + random.nextInt(20); d++) nested = [nested];
        return nested;
      }
    }
  }
}

/** Every path to a value inside `value` (objects' keys and arrays' indexes), the root excluded. */
function listPaths(value: unknown, prefix: JsonPath = []): JsonPath[] {
  if (typeof value !== "object" || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((child, i) => [i, child] as [number, unknown])
    : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...listPaths(child, [...prefix, key])]);
}

function formatPath(path: JsonPath): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("") || "(root)";
}
