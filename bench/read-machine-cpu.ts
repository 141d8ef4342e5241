import { readFile } from "node:fs/promises";

/** Linux reports /proc/stat times in clock ticks; USER_HZ is 100 on every mainstream build. */
const ticksPerSecond = 100;

/**
 * CPU seconds every process on the machine has spent so far (user, nice, system, irq, softirq and steal
 * of all cores; idle and iowait left out). NaN without /proc. The difference of two readings, less what
 * the bench accounts for, is what other work on the machine took during a phase.
 */
export async function readMachineBusySeconds(): Promise<number> {
  try {
    const text = await readFile("/proc/stat", "utf8");
    const line = text.split("\n").find((l) => l.startsWith("cpu "));
    if (line === undefined) return Number.NaN;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0);
    return busy / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}
