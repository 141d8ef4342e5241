import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildAuthorizationHeader } from "../../src/zephr/http/sign-request.js";
import { startZephrSimulator, type ZephrSimulator } from "../../tools/simulator/index.js";
import { cliPath, runCli } from "../support/cli-process.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { testKeys } from "../support/sync-fixture.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { readWarehouse } from "../support/warehouse-snapshot.js";

/** Saves what the simulator's export answers to `query` as a file, as a browser download would. */
async function saveExport(simulator: ZephrSimulator, query: string, path: string): Promise<Buffer> {
  const request = { method: "GET", path: "/v3/user-export", query, body: "" };
  const response = await fetch(`${simulator.url}/v3/user-export?${query}`, {
    headers: { Authorization: buildAuthorizationHeader(testKeys, request, Date.now()) },
  });
  if (!response.ok) throw new Error(`the simulator answered ${response.status}`);
  const body = Buffer.from(await response.arrayBuffer());
  await writeFile(path, body);
  return body;
}

const consoleQuery = "attributes=true&grants=true&rpp=100000&page=1";

describe("zephr-sync load FILE, as a spawned process", () => {
  let simulator: ZephrSimulator;
  let pages: ZephrSimulator;
  let dir: string;
  let exportFile: string;
  let exportBody: Buffer;

  beforeAll(async () => {
    simulator = await startZephrSimulator({
      ...testKeys,
      users: { count: 60, seed: 171 },
      envelope: "array",
    });
    pages = await startZephrSimulator({ ...testKeys, users: { count: 60, seed: 171 }, envelope: "object" });
    dir = await mkdtemp(join(tmpdir(), "load-cli-test-"));
    exportFile = join(dir, "user-export.json");
    exportBody = await saveExport(simulator, consoleQuery, exportFile);
  });

  afterAll(async () => {
    await simulator.close();
    await pages.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh warehouse per test, so that every test runs alone. */
  async function withDatabase(body: (db: TestDatabase, env: Record<string, string>) => Promise<void>) {
    const db = await createTestDatabase();
    try {
      await body(db, { DATABASE_URL: db.databaseUrl, LOG_LEVEL: "silent", SYNC_BATCH_SIZE: "25" });
    } finally {
      await db.drop();
    }
  }

  async function countRows(db: TestDatabase) {
    const result = await db.pool.query<{ runs: string; users: string; watermarks: string }>(
      `select (select count(*) from zephr.sync_runs) as runs, (select count(*) from zephr.users) as users,
              (select count(*) from zephr.sync_watermarks) as watermarks`,
    );
    return result.rows[0];
  }

  async function watermark(db: TestDatabase): Promise<string | null> {
    const result = await db.pool.query<{ watermark_at: Date }>(
      "select watermark_at from zephr.sync_watermarks",
    );
    return result.rows[0]?.watermark_at.toISOString() ?? null;
  }

  test("loads a console download without a key pair and the warehouse equals the simulator's users field by field", async () => {
    await withDatabase(async (db, env) => {
      const result = await runCli(["load", exportFile], env);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("(file, export files) succeeded");
      expect(result.stdout).toContain("The watermark is unchanged.");
      expect(await readWarehouse(db.pool)).toEqual(expectedWarehouse(simulator.store));
      const run = await db.pool.query<{ kind: string; status: string; files: unknown }>(
        "select kind, status, files from zephr.sync_runs",
      );
      expect(run.rows).toEqual([
        {
          kind: "file",
          status: "succeeded",
          files: [{ name: "user-export.json", bytes: exportBody.length }],
        },
      ]);
      expect(await watermark(db)).toBeNull();
    });
  });

  test("a gzipped file named .json and standard input load the same users", async () => {
    await withDatabase(async (db, env) => {
      const gzipped = join(dir, "gzipped-without-gz-name.json");
      await writeFile(gzipped, gzipSync(exportBody));
      const result = await runCli(["load", gzipped], env);
      expect(result.code).toBe(0);
      expect(await readWarehouse(db.pool)).toEqual(expectedWarehouse(simulator.store));
    });
    await withDatabase(async (db, env) => {
      const child = spawn(process.execPath, [cliPath, "load", "-"], { env, stdio: ["pipe", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.end(await readFile(exportFile));
      const [code] = (await once(child, "exit")) as [number | null];
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(await readWarehouse(db.pool)).toEqual(expectedWarehouse(simulator.store));
      const run = await db.pool.query<{ files: unknown }>("select files from zephr.sync_runs");
      expect(run.rows[0]?.files).toEqual([{ name: "-", bytes: exportBody.length }]);
    });
  });

  test("several saved API pages load in one run, and a lone first page cannot claim to be complete", async () => {
    await withDatabase(async (db, env) => {
      const files = [1, 2, 3].map((page) => join(dir, `page-${page}.json`));
      for (const [index, file] of files.entries()) {
        await saveExport(pages, `attributes=true&grants=true&rpp=25&page=${index + 1}`, file);
      }
      const partial = await runCli(["load", files[0] ?? "", "--full"], env);
      expect(partial.code).toBe(1);
      expect(partial.stdout).toContain("[EXPORT_INCOMPLETE]");
      expect(await countRows(db)).toEqual({ runs: "0", users: "0", watermarks: "0" });

      const result = await runCli(["load", ...files, "--full"], env);
      expect(result.code).toBe(0);
      expect(await readWarehouse(db.pool)).toEqual(expectedWarehouse(pages.store));
      expect(await countRows(db)).toEqual({ runs: "1", users: "60", watermarks: "0" });
    });
  });

  test("--exported-at moves the watermark there, never backwards, and refuses an instant in the future", async () => {
    await withDatabase(async (db, env) => {
      expect((await runCli(["load", exportFile, "--exported-at", "2025-03-01T10:00:00Z"], env)).code).toBe(0);
      expect(await watermark(db)).toBe("2025-03-01T10:00:00.000Z");
      expect((await runCli(["load", exportFile, "--exported-at", "2025-02-01T10:00:00Z"], env)).code).toBe(0);
      expect(await watermark(db)).toBe("2025-03-01T10:00:00.000Z");
      expect((await runCli(["load", exportFile], env)).code).toBe(0);
      expect(await watermark(db)).toBe("2025-03-01T10:00:00.000Z");
      const future = await runCli(["load", exportFile, "--exported-at", "2999-01-01T00:00:00Z"], env);
      expect(future.code).toBe(2);
      expect(future.stderr).toContain("is in the future");
      expect(await watermark(db)).toBe("2025-03-01T10:00:00.000Z");
    });
  });

  test("--full marks the users a complete file does not list deleted, and --dry-run writes nothing", async () => {
    await withDatabase(async (db, env) => {
      expect((await runCli(["load", exportFile], env)).code).toBe(0);
      const elements = JSON.parse(exportBody.toString("utf8")) as unknown[];
      const smaller = join(dir, "without-two.json");
      await writeFile(smaller, JSON.stringify(elements.slice(2)));
      const before = await countRows(db);
      const dryRun = await runCli(["load", smaller, "--full", "--dry-run"], env);
      expect(dryRun.code).toBe(0);
      expect(dryRun.stdout).toContain("2 users would be marked deleted");
      expect(await countRows(db)).toEqual(before);

      const full = await runCli(["load", smaller, "--full"], env);
      expect(full.code).toBe(0);
      expect(full.stdout).toContain("2 users marked deleted");
      const deleted = await db.pool.query("select user_id from zephr.users where deleted_at is not null");
      expect(deleted.rowCount).toBe(2);
    });
  });

  test.each([
    ["empty", Buffer.alloc(0), "is empty"],
    [
      "truncated",
      Buffer.from('[{"user":{"user_id":"0435ed2d-1221-4de2-88c7-304dbaac8d42"}},{"us'),
      "ends before its JSON is complete",
    ],
    [
      "an HTML page",
      Buffer.from("\n<!DOCTYPE html><html><body>Sign in</body></html>"),
      "sign in and download again",
    ],
    ["UTF-16", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("[]", "utf16le")]), "save it as UTF-8"],
  ])("a file that is %s exits 1 naming it, with nothing written", async (_what, content, message) => {
    await withDatabase(async (db, env) => {
      expect((await runCli(["load", exportFile], env)).code).toBe(0);
      const before = await countRows(db);
      const bad = join(dir, `bad-${_what.replace(/\W/g, "-")}.json`);
      await writeFile(bad, content);
      const result = await runCli(["load", exportFile, bad, "--full"], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("[EXPORT_FILE_INVALID]");
      expect(result.stdout).toContain(`bad-${_what.replace(/\W/g, "-")}.json: `);
      expect(result.stdout).toContain(message);
      expect(await countRows(db)).toEqual(before);
    });
  });
});
