import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testKeys } from "./sync-fixture.js";
import { readTestHarnessEnv } from "./test-harness-env.js";

/**
 * Everything the reliability suite captured (process output, log lines, error messages, table dumps),
 * kept so it can be scanned for secrets: each test file checks its own captures, and writes them where
 * test/reliability/secrets.test.ts also reads every file's (one directory per jest run).
 */

/** The password of the login roles the reliability suite's CLI processes connect as. */
export const reliabilityDatabasePassword = "rel-db-password-5f0c9e-never-printed";

/** What must never appear anywhere: the Zephr secret key and the database password. */
export const knownSecrets: readonly string[] = [testKeys.secretKey, reliabilityDatabasePassword];

/** The secret and the encodings a careless log line might give it (URL, base64, hex). */
function secretForms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    Buffer.from(secret).toString("base64"),
    Buffer.from(secret).toString("hex"),
  ];
}

export interface Capture {
  readonly label: string;
  readonly text: string;
}

/** Each capture in which a secret (in any form) appears, as "label: form". */
export function findSecretLeaks(
  captures: readonly Capture[],
  secrets: readonly string[] = knownSecrets,
): string[] {
  const leaks: string[] = [];
  for (const { label, text } of captures) {
    for (const secret of secrets) {
      const form = secretForms(secret).find((candidate) => text.includes(candidate));
      if (form !== undefined) leaks.push(`${label}: contains ${JSON.stringify(form)}`);
    }
  }
  return leaks;
}

const capturesRoot = join(tmpdir(), "zephr-sync-captures");

function capturesDir(): string {
  return join(capturesRoot, readTestHarnessEnv().databasePrefix);
}

/** Captures of jest runs that ended long ago are of no use: removed so temp space does not fill up. */
function removeStaleCaptures(): void {
  const staleBeforeMs = Date.now() - 6 * 3_600_000;
  for (const name of readdirSync(capturesRoot)) {
    const dir = join(capturesRoot, name);
    try {
      if (statSync(dir).mtimeMs < staleBeforeMs) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another test file removed it first.
    }
  }
}

/** Collectors made so far in this process: a file may make several (one per test), each flushes its own. */
let collectorCount = 0;

export class OutputCollector {
  readonly captures: Capture[] = [];
  readonly #fileName: string;

  constructor(private readonly testFile: string) {
    collectorCount += 1;
    this.#fileName = `${testFile.replace(/[^a-z0-9-]/gi, "_")}-${process.pid}-${collectorCount}.json`;
  }

  add(label: string, text: string): void {
    this.captures.push({ label: `${this.testFile} › ${label}`, text });
  }

  /** Writes the captures for secrets.test.ts (again, in full, when called again) and returns the leaks in them. */
  flush(): string[] {
    const dir = capturesDir();
    mkdirSync(dir, { recursive: true });
    removeStaleCaptures();
    writeFileSync(join(dir, this.#fileName), JSON.stringify(this.captures));
    return findSecretLeaks(this.captures);
  }
}

/** The captures every test file of this jest run has flushed so far. */
export function readFlushedCaptures(): Capture[] {
  const dir = capturesDir();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as Capture[]);
}
