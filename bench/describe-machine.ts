import { cpus, loadavg, totalmem } from "node:os";
import type pg from "pg";

/** What the figures were measured on. */
export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly nodeVersion: string;
  readonly postgresVersion: string;
  /** Server settings that move write throughput the most. */
  readonly postgresSettings: Readonly<Record<string, string>>;
  /** 1-minute load average when the bench started: well above 0 means something else was running. */
  readonly loadAverageAtStart: number;
}

const settingNames = [
  "shared_buffers",
  "fsync",
  "synchronous_commit",
  "full_page_writes",
  "wal_level",
  "max_wal_size",
  "work_mem",
];

export async function describeMachine(client: pg.ClientBase): Promise<MachineDescription> {
  const version = await client.query<{ version: string }>("select version()");
  const settings = await client.query<{ name: string; value: string }>(
    `select name, current_setting(name) as value from pg_settings where name = any($1::text[]) order by name`,
    [settingNames],
  );
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? "unknown",
    cores: cpuList.length,
    memoryBytes: totalmem(),
    nodeVersion: process.version,
    postgresVersion: version.rows[0]?.version ?? "unknown",
    postgresSettings: Object.fromEntries(settings.rows.map((r) => [r.name, r.value])),
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
}
