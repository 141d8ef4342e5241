import type { SimulatorStore } from "../tools/simulator/index.js";

/** What was changed in the simulator, hence exactly what the incremental run should write. */
export interface IncrementalChanges {
  readonly usersChanged: number;
  /** One attribute per changed user, set to a value it never had: one row inserted or updated each. */
  readonly attributesEdited: number;
  readonly grantsAdded: number;
  readonly grantsRemoved: number;
}

/** Rows the incremental run must write for these changes: user rows, attribute rows, grant rows. */
export function expectedRowsWritten(changes: IncrementalChanges): number {
  return changes.usersChanged + changes.attributesEdited + changes.grantsAdded + changes.grantsRemoved;
}

/**
 * Changes `share` of the users, spread evenly over the store: each gets `job-title` set to a new value,
 * a third also gain a grant and a third lose their first grant (or gain one when they have none), as
 * edits in the Zephr console and purchases or cancellations would. Deterministic for a given store.
 */
export function applyIncrementalChanges(
  store: SimulatorStore,
  share: number,
): { readonly changes: IncrementalChanges; readonly userIds: readonly string[] } {
  const target = Math.max(1, Math.round(store.size * share));
  const step = store.size / target;
  const chosen: string[] = [];
  let position = 0;
  let next = 0;
  for (const userId of store.userIds()) {
    if (position >= Math.floor(next)) {
      chosen.push(userId);
      next += step;
      if (chosen.length === target) break;
    }
    position += 1;
  }
  let grantsAdded = 0;
  let grantsRemoved = 0;
  chosen.forEach((userId, n) => {
    store.editAttribute(userId, "job-title", `Bench edit ${n}`);
    if (n % 3 === 0) {
      store.addGrant(userId);
      grantsAdded += 1;
    } else if (n % 3 === 1) {
      const first = store.listGrantIds(userId)[0];
      if (first === undefined) {
        store.addGrant(userId);
        grantsAdded += 1;
      } else {
        store.removeGrant(userId, first);
        grantsRemoved += 1;
      }
    }
  });
  return {
    changes: { usersChanged: chosen.length, attributesEdited: chosen.length, grantsAdded, grantsRemoved },
    userIds: chosen,
  };
}
