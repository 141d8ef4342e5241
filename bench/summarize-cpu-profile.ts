import { readFile } from "node:fs/promises";
import { basename } from "node:path";

/**
 * Where a child's time went: self time per function and per file from a V8 `.cpuprofile` (written by
 * `npm run bench -- --cpu-prof DIR`).
 *
 *   node dist/bench/summarize-cpu-profile.js DIR/fresh-200000.cpuprofile [top=25]
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  /** Microseconds between consecutive samples. */
  readonly timeDeltas: readonly number[];
}

function where(node: ProfileNode): string {
  const { url } = node.callFrame;
  if (url === "") return "(native / V8)";
  const path = url.replace(/^file:\/\//, "");
  const inModules = path.lastIndexOf("node_modules/");
  if (inModules !== -1) return path.slice(inModules + "node_modules/".length);
  const inDist = path.lastIndexOf("/dist/");
  return inDist === -1 ? basename(path) : path.slice(inDist + "/dist/".length);
}

function table(title: string, totals: Map<string, number>, allUs: number, top: number): string {
  const rows = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    title,
    ...rows.map(
      ([name, us]) =>
        `${((us / allUs) * 100).toFixed(1).padStart(6)}%  ${(us / 1e6).toFixed(2).padStart(7)}s  ${name}`,
    ),
  ].join("\n");
}

async function main(): Promise<void> {
  const [file, topText] = process.argv.slice(2);
  if (file === undefined) throw new Error("usage: summarize-cpu-profile FILE.cpuprofile [top]");
  const top = Number(topText ?? "25");
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const perFunction = new Map<string, number>();
  const perFile = new Map<string, number>();
  let allUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (node === undefined) return;
    allUs += us;
    const name = `${node.callFrame.functionName || "(anonymous)"}  ${where(node)}:${node.callFrame.lineNumber + 1}`;
    perFunction.set(name, (perFunction.get(name) ?? 0) + us);
    perFile.set(where(node), (perFile.get(where(node)) ?? 0) + us);
  });
  process.stdout.write(
    `${basename(file)}: ${(allUs / 1e6).toFixed(2)}s sampled\n\n` +
      table("Self time per file:", perFile, allUs, top) +
      "\n\n" +
      table("Self time per function:", perFunction, allUs, top) +
      "\n",
  );
}

await main();
