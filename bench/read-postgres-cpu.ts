import { readdir, readFile } from "node:fs/promises";

/** Linux reports process times in clock ticks; USER_HZ is 100 on every mainstream build. */
const ticksPerSecond = 100;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** utime + stime (ticks). */
  readonly ownTicks: number;
  /** cutime + cstime: children it has waited for (ticks). */
  readonly childTicks: number;
}

async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // comm may contain spaces and parentheses: the fields after it start after the last ')'.
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    const at = (i: number) => Number(fields[i]);
    // Fields after comm: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    return { pid, ppid: at(1), comm, ownTicks: at(11) + at(12), childTicks: at(13) + at(14) };
  } catch {
    return undefined; // exited meanwhile, or not ours to read
  }
}

/**
 * CPU seconds the local PostgreSQL server has used so far, every database and background process
 * included: its postmaster's own time and that of the children it has reaped (exited backends), plus
 * every live child's. Differences of two readings give a phase's server-side CPU. NaN when there is no
 * /proc or no local postmaster (a remote server).
 */
export async function readPostgresCpuSeconds(): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return Number.NaN;
  }
  const stats = (
    await Promise.all(entries.filter((e) => /^\d+$/.test(e)).map((e) => readStat(Number(e))))
  ).filter((s): s is ProcStat => s?.comm === "postgres");
  const pids = new Set(stats.map((s) => s.pid));
  const postmasters = stats.filter((s) => !pids.has(s.ppid));
  if (postmasters.length === 0) return Number.NaN;
  const postmasterPids = new Set(postmasters.map((s) => s.pid));
  let ticks = 0;
  for (const s of stats) {
    ticks += s.ownTicks;
    if (postmasterPids.has(s.pid)) ticks += s.childTicks;
  }
  return ticks / ticksPerSecond;
}
