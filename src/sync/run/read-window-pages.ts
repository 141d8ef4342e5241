import type { Agent } from "node:http";
import type { SyncConfig } from "../../config.js";
import { readExportPages, type ExportEvent } from "../../zephr/export/export-pages.js";
import type { WindowSpec } from "./plan-windows.js";
import { toExportWindow } from "./to-export-window.js";

/** What reading a window from Zephr's API needs beyond what streaming does. */
export interface ZephrPagesContext {
  readonly config: SyncConfig;
  readonly agent: Agent;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal: AbortSignal | undefined;
}

/** The pages of one run window, from Zephr's API: what runWindow streams for `run` and `backfill`. */
export function readWindowPages(context: ZephrPagesContext, spec: WindowSpec): AsyncIterable<ExportEvent> {
  const { config } = context;
  return readExportPages(config.zephr, toExportWindow(spec.window, config.zephr.instantPrecision), {
    http: { agent: context.agent, now: context.now },
    sleep: context.sleep,
    ...(context.signal ? { signal: context.signal } : {}),
  });
}
