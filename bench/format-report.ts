import type { BenchResult, PhaseResult } from "./bench-result.js";
import {
  copyToFreshRatio,
  evaluateTargets,
  megabyte,
  unchangedToParseRatio,
  type TargetVerdict,
} from "./evaluate-targets.js";
import { countersOf, warehouseTables } from "./table-stats.js";

const gigabyte = 1024 * megabyte;

/** A Markdown table (so the output pastes into docs/benchmarks.md as is); numbers right-aligned. */
function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: boolean[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const pad = (cell: string, i: number) =>
    numeric[i] === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0);
  const line = (cells: readonly string[]) => `| ${cells.map(pad).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] === true ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const count = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-");
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : "-");

const perSecond = (n: number, phase: PhaseResult) => n / (phase.elapsedMs / 1000);

/** The per-phase table's columns: title, alignment, and the cell of one phase. */
const phaseColumns: readonly {
  readonly title: string;
  readonly numeric: boolean;
  readonly cell: (phase: PhaseResult) => string;
}[] = [
  { title: "phase", numeric: false, cell: (p) => p.name },
  { title: "seconds", numeric: true, cell: (p) => fixed(p.elapsedMs / 1000, 2) },
  { title: "users", numeric: true, cell: (p) => count(p.users) },
  { title: "rows", numeric: true, cell: (p) => (p.name === "parse limit" ? "-" : count(p.rows)) },
  { title: "users/s", numeric: true, cell: (p) => count(perSecond(p.users, p)) },
  {
    title: "rows/s",
    numeric: true,
    cell: (p) => (p.name === "parse limit" ? "-" : count(perSecond(p.rows, p))),
  },
  { title: "MB/s", numeric: true, cell: (p) => fixed(perSecond(p.exportBytes / 1_000_000, p), 2) },
  { title: "peak RSS MB", numeric: true, cell: (p) => fixed(p.peakRssBytes / megabyte, 1) },
  { title: "CPU s: child", numeric: true, cell: (p) => fixed(p.childCpuMs / 1000, 1) },
  { title: "simulator", numeric: true, cell: (p) => fixed(p.simulatorCpuMs / 1000, 1) },
  { title: "postgres", numeric: true, cell: (p) => fixed(p.postgresCpuMs / 1000, 1) },
  { title: "other", numeric: true, cell: (p) => fixed(p.otherCpuMs / 1000, 1) },
];

function formatTuples(phase: PhaseResult): string {
  if (phase.tuples === undefined) return "";
  const t = phase.tuples;
  const others = Object.keys(t).filter((name) => !(warehouseTables as readonly string[]).includes(name));
  const describe = (name: string) => {
    const c = countersOf(t, name);
    return `${name} +${c.inserted}/~${c.updated}/-${c.deleted}`;
  };
  const main = warehouseTables.map(describe).join(", ");
  return others.length === 0 ? main : `${main}; other tables: ${others.map(describe).join(", ")}`;
}

export function formatVerdicts(verdicts: readonly TargetVerdict[]): string {
  return markdownTable(
    ["target", "result", "measured"],
    verdicts.map((v) => [v.target, v.verdict, v.measured]),
    [false, false, false],
  );
}

/** The whole report: machine, per-phase table, ratios, write checks and targets. */
export function formatReport(result: BenchResult, baseline: BenchResult | undefined): string {
  const m = result.machine;
  const settings = Object.entries(m.postgresSettings)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  const lines: string[] = [
    `zephr-sync bench, ${result.startedAt}: ${count(result.users)} users (seed ${result.seed}), page size ${result.pageSize}, batch size ${result.batchSize}` +
      (result.childNodeOptions === undefined ? "" : `, NODE_OPTIONS=${result.childNodeOptions}`),
    "",
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${fixed(m.memoryBytes / gigabyte, 1)} GiB RAM, Node ${m.nodeVersion}, load average at start ${fixed(m.loadAverageAtStart, 2)}`,
    `PostgreSQL: ${m.postgresVersion}`,
    `PostgreSQL settings: ${settings}`,
    "",
    markdownTable(
      phaseColumns.map((c) => c.title),
      result.phases.map((phase) => phaseColumns.map((c) => c.cell(phase))),
      phaseColumns.map((c) => c.numeric),
    ),
    "",
    "rows = users + attribute rows + grant rows written (sync runs) or copied (copy limit).",
    "MB/s = export JSON bytes / seconds (the copy limit is credited with the fresh export's bytes).",
    "seconds = spawn to exit of the phase's child process, except the copy limit: its COPY statements only.",
    "CPU s = user + system CPU during the phase of: the child process; the bench process (the simulator serving",
    "  the export); every local PostgreSQL process (server-wide: other databases' work counts too); everything",
    "  else on the machine (other: well above 0 means other work competed with the phase on its cores).",
    `Copy-limit input: ${fixed(result.copyFileBytes / 1_000_000, 1)} MB of COPY text, prepared in ${fixed(result.copyFilesMs / 1000, 1)} s (not timed);`,
    `  ${result.duplicateGrants} grants listed under a second user were copied for each user who lists them, as the sync stores them.`,
    "",
    `copy-limit time / fresh time:      ${fixed(copyToFreshRatio(result), 3)}  (target >= 0.6)`,
    `unchanged time / parse-limit time: ${fixed(unchangedToParseRatio(result), 3)}  (target <= 1.5)`,
    "",
    "Tuples per table (pg_stat_user_tables: +inserted/~updated/-deleted); live zephr.users rows the phase locked",
    "(xmax set: foreign-key KEY SHARE checks of attribute/grant writes, or `on conflict … do update … where`",
    "finding nothing to change), each a dirtied page and WAL; WAL written (server-wide, other sessions included):",
  ];
  for (const phase of result.phases) {
    if (phase.walBytes === undefined) continue;
    const wal = `WAL ${fixed(phase.walBytes / 1_000_000, 1)} MB`;
    const locked =
      phase.usersRowsLocked === undefined ? "" : `users locked ${count(phase.usersRowsLocked)}; `;
    const tuples = phase.tuples === undefined ? "" : `${formatTuples(phase)}; `;
    lines.push(`  ${phase.name.padEnd(12)} ${tuples}${locked}${wal}`);
  }
  const c = result.changes;
  lines.push(
    `  incremental changes made: ${c.usersChanged} users, ${c.attributesEdited} attribute edits, ${c.grantsAdded} grants added, ${c.grantsRemoved} removed`,
    "",
    formatVerdicts(evaluateTargets(result, baseline)),
  );
  return lines.join("\n") + "\n";
}
