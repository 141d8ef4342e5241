import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The arguments that make this build of zephr-sync export everyone again: `run --full` in the first
 * releases, `backfill --full` once `backfill` took over full exports. Read from `--help`, so the bench
 * measures whichever build it sits next to.
 */
export async function findFullExportCommand(cliScript: string): Promise<readonly string[]> {
  const { stdout } = await run(process.execPath, [cliScript, "--help"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  if (/^\s*zephr-sync backfill\b.*--full/m.test(stdout)) return ["backfill", "--full"];
  if (/^\s*zephr-sync run \[--full\]/m.test(stdout)) return ["run", "--full"];
  throw new Error(`Cannot tell from '${cliScript} --help' how to run a full export.`);
}
