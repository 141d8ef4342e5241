import { generateUser, type SimulatorStore } from "../../tools/simulator/index.js";

let changeCounter = 0;

/**
 * A night of changes in the simulated tenant, so the next run has something to load: an attribute
 * edited on the first `edited` users, a grant given to one, a grant revoked from another, one new user.
 * Deletions are left out: only a full export can see them.
 */
export function changeSource(store: SimulatorStore, edited = 60): void {
  changeCounter += 1;
  const ids = [...store.userIds()];
  for (const id of ids.slice(0, edited)) store.editAttribute(id, "job-title", `Title ${changeCounter}`);
  const receiver = ids[edited];
  if (receiver !== undefined) store.addGrant(receiver);
  const revoker = ids.find((id) => store.listGrantIds(id).length > 0 && id !== receiver);
  const revoked = revoker === undefined ? undefined : store.listGrantIds(revoker)[0];
  if (revoker !== undefined && revoked !== undefined) store.removeGrant(revoker, revoked);
  store.put(generateUser(100_000 + changeCounter, 4242));
}
