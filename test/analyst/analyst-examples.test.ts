import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { analystExamples, runAnalystExample } from "../../src/db/analyst-examples.js";
import { findPackageRoot } from "../../src/package-root.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";
import { runCatalogueRefresh, runStateEvents } from "./analyst-fixture.js";

const dayMs = 86_400_000;
/**
 * The analysts' documentation: the README's "For analysts" section once docs/analysts.md has been merged
 * into it, docs/analysts.md until then.
 */
function readAnalystDocs(): string {
  const root = findPackageRoot();
  const readmePath = join(root, "README.md");
  const readme = existsSync(readmePath) ? readFileSync(readmePath, "utf8") : "";
  const start = readme.indexOf("\n## For analysts\n");
  if (start === -1) return readFileSync(join(root, "docs", "analysts.md"), "utf8");
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe("the example analyst queries on a synced warehouse", () => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: 400, seed: 3 } });
    const runId = expectSucceeded(await fixture.run()).runId;
    const catalogue = await runCatalogueRefresh(fixture);
    expect(catalogue.failed).toEqual([]);
    fixture.simulator.stateEvents.seedFromUsers(fixture.simulator.store, fixture.clock.nowMs);
    const events = await runStateEvents(fixture, runId, { backfillMs: 4000 * dayMs, windowMs: 500 * dayMs });
    expect(events).toMatchObject({ status: "succeeded" });
    expect(events.status === "succeeded" && events.rowsInserted).toBeGreaterThan(100);
  });

  afterAll(async () => {
    await fixture.close();
  });

  test.each(analystExamples.map((example) => [example.title, example]))(
    "%s runs",
    async (_title, example) => {
      const table = await runAnalystExample(fixture.db.pool, example);
      expect(table.columns.length).toBeGreaterThan(0);
    },
  );

  test("the examples that describe the users, their grants and the names find rows", async () => {
    const rowsOf = async (title: string) => {
      const example = analystExamples.find((e) => e.title.startsWith(title));
      if (example === undefined) throw new Error(`no example titled ${title}`);
      return (await runAnalystExample(fixture.db.pool, example)).rows;
    };
    expect((await rowsOf("Registrations per month")).length).toBeGreaterThan(0);
    expect((await rowsOf("Users with a grant in force now")).length).toBeGreaterThan(0);
    expect((await rowsOf("Catalogue freshness")).length).toBe(6);
    const newsletter = await rowsOf("Newsletter opt-in");
    expect(newsletter.map((row) => row[0]).sort()).toEqual(["false", "true"]);
  });

  test("names every table and view of schema zephr, and lists every column of those it describes", async () => {
    const docs = readAnalystDocs();
    const result = await fixture.db.pool.query<{ relation: string; columns: string[] }>(
      `select c.relname as relation, array_agg(a.attname::text order by a.attnum) as columns
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = 'zephr' and c.relkind in ('r', 'v', 'm', 'p')
        group by c.relname order by 1`,
    );
    const sections = new Map(
      docs.split(/\n(?=#{1,4} )/).flatMap((part) => {
        const heading = /^### `zephr\.(\w+)`/.exec(part);
        return heading?.[1] === undefined ? [] : [[heading[1], part] as const];
      }),
    );
    const missing: string[] = [];
    for (const { relation, columns } of result.rows) {
      if (!docs.includes(`zephr.${relation}`)) missing.push(`zephr.${relation}`);
      const section = sections.get(relation);
      if (section === undefined) continue;
      for (const column of columns) {
        if (!section.includes(`| \`${column}\` `)) missing.push(`zephr.${relation}.${column}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("the analysts' documentation", () => {
  const docs = readAnalystDocs();

  test("shows every example query exactly as the tests run it", () => {
    for (const example of analystExamples) {
      expect(docs).toContain(`#### ${example.title}\n\n\`\`\`sql\n${example.sql}\n\`\`\``);
    }
  });

  test("shows how to grant the analyst role to a person", () => {
    expect(docs).toContain("grant zephr_analyst to alice;");
  });
});
