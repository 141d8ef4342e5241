import { parseArgs } from "node:util";
import pg from "pg";
import { runCli } from "../../src/commands/run-cli.js";
import type { ShutdownSignal } from "../../src/commands/shutdown-signals.js";
import { formatTable } from "../../src/commands/format-table.js";
import { analystExamples, runAnalystExample } from "../../src/db/analyst-examples.js";
import { countSyncRuns } from "../../src/db/sync-runs.js";
import { resolveEmbeddedDataDir } from "../embedded-postgres/resolve-embedded-data-dir.js";
import {
  startEmbeddedPostgres,
  type RunningEmbeddedPostgres,
} from "../embedded-postgres/start-embedded-postgres.js";
import { generateUser, startZephrSimulator, type ZephrSimulator } from "../simulator/index.js";
import { applyDemoChanges } from "./apply-demo-changes.js";

/**
 * `npm run demo`: the real job end to end with nothing installed but Node.js. An embedded PostgreSQL (or
 * DATABASE_URL), the built-in Zephr simulator with tens of thousands of users, a full sync, a few changes
 * in "Zephr", an incremental sync, then what analysts would see.
 */

const demoKeys = { accessKey: "demo-access-key", secretKey: "demo-secret-key" } as const;
const out = process.stdout;

function say(text = ""): void {
  out.write(text + "\n");
}

function heading(text: string): void {
  say();
  say(`=== ${text} ===`);
}

async function runJob(args: string[], env: Record<string, string>): Promise<void> {
  const code = await runCli(args, { env, stdout: process.stdout, stderr: process.stderr });
  if (code !== 0) throw new Error(`zephr-sync ${args.join(" ")} exited ${code}`);
}

async function ensureEmptyWarehouse(databaseUrl: string, reset: boolean): Promise<void> {
  // The demo's warehouse is schema zephr (ZEPHR_SCHEMA's default); countSyncRuns names it unqualified.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, options: "-c search_path=zephr" });
  try {
    const runs = await countSyncRuns(pool);
    if (runs > 0 && !reset) {
      throw new Error(
        "DATABASE_URL already holds a zephr-sync warehouse: point it at an empty database, or pass --reset to drop schema zephr first.",
      );
    }
    if (reset) await pool.query("drop schema if exists zephr cascade");
  } finally {
    await pool.end();
  }
}

/** 128 + the signal number, as a shell reports a process ended by it. */
const signalExitCodes: Record<ShutdownSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Resolves with the first SIGINT or SIGTERM. Later ones are ignored: under `npm run demo`, one Ctrl-C
 * reaches the demo from the terminal and again from npm, which passes it on, a few milliseconds apart.
 */
function waitForFirstSignal(): Promise<ShutdownSignal> {
  return new Promise((resolve) => {
    let received = false;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => {
        if (received) return;
        received = true;
        resolve(signal);
      });
    }
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      keep: { type: "boolean" },
      reset: { type: "boolean" },
      users: { type: "string", default: "30000" },
    },
  });
  const userCount = Number(values.users);
  if (!Number.isInteger(userCount) || userCount < 1 || userCount > 5_000_000) {
    say("--users takes a whole number from 1 to 5000000");
    return 2;
  }
  let embedded: RunningEmbeddedPostgres | undefined;
  let simulator: ZephrSimulator | undefined;
  let stopping: Promise<void> | undefined;
  const stopServers = (): Promise<void> =>
    (stopping ??= (async () => {
      await simulator?.close();
      await embedded?.stop();
    })());
  // Ctrl-C ends the demo wherever it is (with --keep, that is how it ends): the embedded PostgreSQL and
  // its temporary folder go, and the exit code says it was interrupted. The run in progress, if any,
  // sees its database go away; the demo's warehouse is thrown away anyway.
  let interruptedBy: ShutdownSignal | undefined;
  const interrupted = waitForFirstSignal();
  void interrupted.then(async (signal) => {
    interruptedBy = signal;
    say(`\nReceived ${signal}: stopping the simulator and the embedded PostgreSQL, then exiting.`);
    await stopServers();
    process.exit(signalExitCodes[signal]);
  });
  try {
    let databaseUrl = process.env.DATABASE_URL;
    if (databaseUrl === undefined || databaseUrl === "") {
      heading("Starting an embedded PostgreSQL (no DATABASE_URL set)");
      embedded = await startEmbeddedPostgres({
        dataDir: resolveEmbeddedDataDir("demo-postgres"),
        persistent: false,
      });
      databaseUrl = embedded.databaseUrl("postgres");
      say(`PostgreSQL is listening on 127.0.0.1:${embedded.port}`);
      if (embedded.privateRoot !== undefined) {
        say(
          `OS user postgres cannot reach this checkout, so the cluster runs from ${embedded.privateRoot} (deleted when the demo ends)`,
        );
      }
    } else {
      heading("Using the database in DATABASE_URL");
      await ensureEmptyWarehouse(databaseUrl, values.reset === true);
    }

    heading(`Starting the Zephr simulator with ${userCount.toLocaleString("en-US")} users`);
    simulator = await startZephrSimulator({ ...demoKeys, users: { count: userCount, seed: 2026 } });
    const events = simulator.stateEvents.seedFromUsers(simulator.store, Date.now());
    say(
      `Simulated Admin API at ${simulator.url} (HMAC-signed requests only), with ${events.toLocaleString("en-US")} state events`,
    );
    const env: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      ZEPHR_BASE_URL: simulator.url,
      ZEPHR_ACCESS_KEY: demoKeys.accessKey,
      ZEPHR_SECRET_KEY: demoKeys.secretKey,
      LOG_LEVEL: process.stderr.isTTY ? "warn" : "info",
      ZEPHR_STATE_EVENTS: "true",
      ZEPHR_STATE_EVENTS_BACKFILL: "4000d",
      ZEPHR_STATE_EVENTS_WINDOW: "400d",
    };

    heading("zephr-sync run  (first run: a full export)");
    await runJob(["run"], env);

    heading("Meanwhile in Zephr: users edit profiles, grants end and start, new users register");
    const changes = applyDemoChanges(simulator.store, userCount, (index) => generateUser(index, 2026));
    say(
      `${changes.attributeEdits} attribute edits, ${changes.grantsRemoved} grants removed, ${changes.grantsAdded} grants added, ${changes.newUsers} new users`,
    );

    heading("zephr-sync run  (incremental: since = watermark - lookback)");
    await runJob(["run"], env);

    heading("zephr-sync status");
    await runJob(["status"], env);

    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      for (const example of analystExamples) {
        heading(example.title);
        say(example.sql);
        say();
        say(formatTable(await runAnalystExample(pool, example)));
      }
    } finally {
      await pool.end();
    }

    heading("Explore it yourself");
    say(`psql '${databaseUrl}'`);
    if (values.keep === true) {
      say("--keep: the database stays up until you press Ctrl-C.");
      // The handler above stops everything and exits.
      return signalExitCodes[await interrupted];
    } else {
      say(embedded ? "(run 'npm run demo -- --keep' to keep the embedded database running)" : "");
    }
    return 0;
  } catch (error) {
    // Interrupted: the failure is only the interrupted step noticing its servers stop.
    if (interruptedBy !== undefined) return signalExitCodes[interruptedBy];
    say(`Demo failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await stopServers();
  }
}

// Exit explicitly: embedded-postgres hooks `beforeExit` (async-exit-hook) and calls process.exit(0) there,
// which turned every failed demo into exit code 0.
process.exit(await main());
