import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPackageRoot } from "../../src/package-root.js";
import { readmeOpeningCommands } from "../support/readme-commands.js";

// Slow (a full `npm ci`), so opt-in: CI sets ZEPHR_SYNC_FRESH_CLONE_TEST=1.
const enabled = process.env.ZEPHR_SYNC_FRESH_CLONE_TEST === "1";
const timeoutMs = 15 * 60_000;
const outputTailChars = 6000;

interface CommandOutcome {
  readonly command: string;
  readonly exitCode: number | null;
  /** The end of stdout and stderr interleaved, to show why a command failed. */
  readonly outputTail: string;
}

async function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<CommandOutcome> {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-outputTailChars);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  return { command: [command, ...args].join(" "), exitCode, outputTail: output };
}

/** Fails the test with the command and the end of its output unless it exited 0. */
function expectSuccess(outcome: CommandOutcome): void {
  if (outcome.exitCode !== 0) {
    throw new Error(
      `\`${outcome.command}\` exited with ${outcome.exitCode}. Its last output:\n${outcome.outputTail}`,
    );
  }
  expect(outcome.exitCode).toBe(0);
}

/**
 * The environment of a developer who just cloned: no DATABASE_URL (so the embedded server is used), and
 * nothing this jest run or the npm that started it put there.
 */
function buildCleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    const inherited = /^(DATABASE_URL|ZEPHR_SYNC_.*|JEST_WORKER_ID|NODE_ENV|NODE_OPTIONS|INIT_CWD|npm_.*)$/i;
    if (!inherited.test(name)) env[name] = value;
  }
  return env;
}

(enabled ? describe : describe.skip)("a fresh clone of the repository", () => {
  it(
    "runs the README's two opening commands in a clone inside a mode-0700 folder, with no environment set, and both succeed",
    async () => {
      const repository = findPackageRoot();
      const env = buildCleanEnv();
      const head = await runCommand("git", ["rev-parse", "--verify", "HEAD"], { cwd: repository, env });
      // Fails while the repository has no commit: what is cloned is HEAD, not the work tree.
      expectSuccess(head);

      const parent = await mkdtemp(join(tmpdir(), "zephr-sync-clone-"));
      try {
        // A private parent, as /root/… or a home folder in most containers: run as root, the embedded
        // PostgreSQL runs as OS user postgres, which cannot enter it, so this proves it copes (it runs
        // from a private temporary folder of that user's). mkdtemp makes it 0700 already; say so anyway.
        await chmod(parent, 0o700);
        const clone = join(parent, "zephr-sync");
        expectSuccess(await runCommand("git", ["clone", "--quiet", repository, clone], { cwd: parent, env }));
        // Exactly what the README tells a newcomer to type, in order (`npm ci && npm run demo`, `npm test`).
        for (const line of readmeOpeningCommands()) {
          expectSuccess(await runCommand("bash", ["-c", line], { cwd: clone, env }));
        }
      } finally {
        await rm(parent, { recursive: true, force: true });
      }
    },
    timeoutMs,
  );
});
