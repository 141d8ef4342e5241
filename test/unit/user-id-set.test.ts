import { randomUUID } from "node:crypto";
import { UserIdSet } from "../../src/sync/load/user-id-set.js";

describe("UserIdSet", () => {
  test("holds exactly the UUIDs added, across growths", () => {
    const set = new UserIdSet(13); // any size, grown by doubling
    const added = Array.from({ length: 50_000 }, () => randomUUID());
    for (const id of added) set.add(id);
    for (const id of added.slice(0, 1000)) set.add(id); // again: no change
    expect(set.size).toBe(added.length);
    expect(added.every((id) => set.has(id))).toBe(true);
    const others = Array.from({ length: 50_000 }, () => randomUUID());
    expect(others.filter((id) => set.has(id))).toEqual([]);
  });

  test("ids that differ in one hex digit, or only in case, are told apart or matched as UUIDs are", () => {
    const set = new UserIdSet();
    set.add("00000000-0000-0000-0000-000000000000");
    set.add("ffffffff-ffff-ffff-ffff-fffffffffffe");
    expect(set.has("00000000-0000-0000-0000-000000000000")).toBe(true);
    expect(set.has("00000000-0000-0000-0000-000000000001")).toBe(false);
    expect(set.has("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFE")).toBe(true);
    expect(set.has("ffffffff-ffff-ffff-ffff-ffffffffffff")).toBe(false);
  });

  test("ignores what is not a UUID", () => {
    const set = new UserIdSet();
    set.add("not-a-uuid");
    set.add("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz");
    expect(set.size).toBe(0);
    expect(set.has("not-a-uuid")).toBe(false);
  });

  test("sized for the expected count, filling it does not grow the table", () => {
    const expected = 100_000;
    const set = UserIdSet.forExpected(expected);
    const capacity = set.capacity;
    for (let i = 0; i < Math.round(expected * 1.1); i++) set.add(randomUUID());
    expect(set.capacity).toBe(capacity);
    // No more slots than three quarters full at the expected count (plus the 10% to spare).
    expect(capacity).toBe(Math.ceil((expected * 1.1) / 0.75));
  });
});
