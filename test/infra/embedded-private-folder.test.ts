import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../tools/embedded-postgres/start-embedded-postgres.js";

// Only root hands the cluster to OS user postgres; a normal user runs it as itself, wherever it is.
const asRoot = process.getuid?.() === 0;

/** A new folder only its owner (root) may enter, as /root or a mode-0700 checkout parent are. */
async function makePrivateFolder(): Promise<string> {
  // mkdtemp makes it mode 0700.
  return mkdtemp(join(tmpdir(), "zephr-sync-private-"));
}

(asRoot ? describe : describe.skip)("the embedded PostgreSQL started by root", () => {
  it("runs a throwaway cluster asked for in a folder OS user postgres cannot reach from a private temporary folder, deleted on stop", async () => {
    const parent = await makePrivateFolder();
    try {
      const dataDir = join(parent, "cluster");
      const server = await startEmbeddedPostgres({ dataDir, persistent: false });
      const { privateRoot } = server;
      try {
        expect(privateRoot).toBeDefined();
        expect(server.dataDir.startsWith(`${privateRoot}/`)).toBe(true);
        const folder = await stat(privateRoot ?? "");
        expect(folder.mode & 0o777).toBe(0o700);
        expect(folder.uid).toBe(Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })));
        const client = new pg.Client({ connectionString: server.databaseUrl() });
        await client.connect();
        const result = await client.query<{ one: number }>("select 1 as one");
        await client.end();
        expect(result.rows[0]?.one).toBe(1);
      } finally {
        await server.stop();
      }
      await expect(stat(privateRoot ?? "")).rejects.toThrow(/ENOENT/);
      await expect(stat(dataDir)).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("refuses a persistent cluster in such a folder, saying how to make it reachable", async () => {
    const parent = await makePrivateFolder();
    try {
      await expect(startEmbeddedPostgres({ dataDir: join(parent, "cluster") })).rejects.toThrow(
        /OS user postgres, which cannot reach .*cluster.*chmod o\+x/s,
      );
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
