import type { SyncError } from "../../errors.js";

/**
 * What the state events phase reports while it works, in the words of Zephr's console
 * ("Downloading state events…", "State events export failed").
 */
export type StateEventsProgressEvent =
  | {
      readonly type: "state-events-downloading";
      /** Window being downloaded (1-based) and how many the range needs. */
      readonly window: number;
      readonly windows: number;
      readonly rows: number;
      readonly bytes: number;
    }
  | {
      readonly type: "state-events-complete";
      readonly rowsReceived: number;
      readonly rowsInserted: number;
    }
  | { readonly type: "state-events-failed"; readonly error: SyncError };

export type StateEventsProgressListener = (event: StateEventsProgressEvent) => void;

/** The one status line for an event. */
export function describeStateEventsProgress(event: StateEventsProgressEvent): string {
  switch (event.type) {
    case "state-events-downloading":
      return (
        `Downloading state events… ${(event.bytes / 1_000_000).toFixed(1)}MB, ` +
        `${event.rows.toLocaleString("en-US")} rows (window ${event.window} of ${event.windows})`
      );
    case "state-events-complete":
      return `State events export complete! ${event.rowsReceived.toLocaleString("en-US")} rows, ${event.rowsInserted.toLocaleString("en-US")} new.`;
    case "state-events-failed":
      return `State events export failed: ${event.error.message}`;
  }
}
