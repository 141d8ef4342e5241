import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { findPackageRoot } from "../../src/package-root.js";

/**
 * Nothing from an export becomes SQL text or an identifier: every statement the code sends is a literal
 * written in the source, and the only pieces spliced into one are constants named here. (The corpus in
 * bad-input-corpus.test.ts checks the same at run time: no SQL text the job sent contained what the
 * exports carried.) A new interpolation must be added here, with the reason it is safe.
 */

const root = findPackageRoot();

/** file → expressions that may appear as ${…} in its SQL, each a module constant. */
const allowedInterpolations: Readonly<Record<string, readonly string[]>> = {
  // The column list of zephr.sync_backfills, a string constant of the module.
  "src/db/sync-backfills.ts": ["columns"],
};

/** file → first arguments of .query(…) that are not literals. */
const allowedNonLiteralStatements: Readonly<Record<string, readonly string[]>> = {
  // The README's example queries for analysts: constants of the module, run by the analyst tests.
  "src/db/analyst-examples.ts": ["example.sql"],
  // DDL of one of analystIndexes, made from the module's constants (first-load-indexes.test.ts checks
  // the definitions against the migrated schema).
  "src/db/analyst-indexes.ts": ["index.drop", "index.definition"],
  // A COPY statement object that pg-copy-streams makes of the text it is given: always a module constant
  // of copy-new-rows.ts or stage-tables.ts (copyUsers, copyAttributes, copyGrants).
  "src/db/copy-from-text.ts": ["statement"],
  // The temporary tables' DDL, a string constant of the module.
  "src/db/stage-tables.ts": ["createStageTables"],
};

function listSourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listSourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

interface Statement {
  readonly file: string;
  /** The literal (with its quotes), or the expression when it is not a literal. */
  readonly text: string;
  readonly literal: boolean;
}

/** Reads the first argument of every `.query(` / `.query<…>(` call: a literal, or an expression. */
function findStatements(file: string, source: string): Statement[] {
  const statements: Statement[] = [];
  for (const match of source.matchAll(/\.query(?:<[^()]*?>)?\(\s*/g)) {
    const start = match.index + match[0].length;
    const quote = source[start];
    if (quote === "`" || quote === '"' || quote === "'") {
      let end = start + 1;
      while (source[end] !== quote) end += source[end] === "\\" ? 2 : 1;
      statements.push({ file, text: source.slice(start, end + 1), literal: true });
    } else {
      const expression = /^[^,)]+/.exec(source.slice(start))?.[0].trim() ?? "";
      statements.push({ file, text: expression, literal: false });
    }
  }
  return statements;
}

const statements = listSourceFiles(join(root, "src")).flatMap((path) =>
  findStatements(relative(root, path), readFileSync(path, "utf8")),
);

describe("SQL text comes only from the source code", () => {
  test("the scan finds the job's statements", () => {
    expect(statements.length).toBeGreaterThan(40);
    expect(
      statements.some((s) => s.file === "src/db/sync-runs.ts" && s.text.includes("update sync_runs")),
    ).toBe(true);
  });

  test("every statement is a literal, but for the constants listed", () => {
    const others = statements.filter((s) => !s.literal);
    expect(others.map((s) => `${s.file}: ${s.text}`)).toEqual(
      Object.entries(allowedNonLiteralStatements).flatMap(([file, expressions]) =>
        expressions.map((expression) => `${file}: ${expression}`),
      ),
    );
  });

  test("every ${…} spliced into a statement is a string constant listed here", () => {
    const spliced = statements
      .filter((s) => s.literal && s.text.startsWith("`"))
      .flatMap((s) =>
        [...s.text.matchAll(/\$\{([^}]*)\}/g)].map((m) => ({ file: s.file, expression: m[1] ?? "" })),
      );
    const unexpected = spliced.filter((s) => !(allowedInterpolations[s.file] ?? []).includes(s.expression));
    expect(unexpected).toEqual([]);
    for (const [file, expressions] of Object.entries(allowedInterpolations)) {
      const source = readFileSync(join(root, file), "utf8");
      for (const expression of expressions) {
        // Declared once, at module level, as a plain string with nothing spliced into it.
        expect(source).toMatch(
          new RegExp(`^const ${expression} =\\s*(?:"[^"$]*"|'[^'$]*'|\`[^\`$]*\`)`, "m"),
        );
      }
    }
  });

  test("no statement builds identifiers at run time (no format(), quote_ident or EXECUTE of text)", () => {
    const dynamic = statements.filter((s) =>
      /\b(format\s*\(|quote_ident|quote_literal|execute\s+[a-z_]+\b)/i.test(s.text),
    );
    expect(dynamic.map((s) => `${s.file}: ${s.text.slice(0, 80)}`)).toEqual([]);
  });
});
