import type { SimulatorStore } from "../simulator/index.js";

export interface DemoChanges {
  readonly attributeEdits: number;
  readonly grantsRemoved: number;
  readonly grantsAdded: number;
  readonly newUsers: number;
}

/**
 * A night's worth of changes in the simulated tenant: about 1% of users edit an attribute, some lose or
 * gain a grant, and a few hundred register. Deterministic for a given store.
 */
export function applyDemoChanges(
  store: SimulatorStore,
  userCount: number,
  newUser: (index: number) => unknown,
): DemoChanges {
  const users = store.list();
  const step = Math.max(1, Math.floor(users.length / Math.max(1, Math.floor(userCount / 100))));
  let attributeEdits = 0;
  let grantsRemoved = 0;
  let grantsAdded = 0;
  for (let i = 0; i < users.length; i += step) {
    const userId = users[i]?.userId;
    if (userId === undefined) continue;
    store.editAttribute(userId, "job-title", "Chief Demo Officer");
    attributeEdits += 1;
    const grants = store.listGrantIds(userId);
    if (i % 2 === 0 && grants[0] !== undefined) {
      store.removeGrant(userId, grants[0]);
      grantsRemoved += 1;
    } else {
      store.addGrant(userId);
      grantsAdded += 1;
    }
  }
  const newUsers = Math.max(1, Math.floor(userCount / 100));
  for (let i = 0; i < newUsers; i++) store.put(newUser(userCount + i));
  return { attributeEdits, grantsRemoved, grantsAdded, newUsers };
}
