import { ListedUsers } from "../../src/sync/load/listed-users.js";

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

describe("ListedUsers", () => {
  test("remembers every listed id, live or not", () => {
    const listed = ListedUsers.forExpected(10);
    listed.add(id(1), true);
    listed.add(id(2), false);
    expect(listed.has(id(1))).toBe(true);
    expect(listed.has(id(2))).toBe(true);
    expect(listed.has(id(3))).toBe(false);
  });

  test("counts each live user once, however often it is listed", () => {
    const listed = ListedUsers.forExpected(10);
    for (let n = 0; n < 5; n++) listed.add(id(n), true);
    for (let n = 0; n < 5; n++) listed.add(id(n), true);
    expect(listed.coversAllLive(5)).toBe(true);
    expect(listed.coversAllLive(6)).toBe(false);
  });

  test("an id first listed as not live never counts, even when listed live later (a short count is safe)", () => {
    const listed = ListedUsers.forExpected(10);
    listed.add(id(1), true);
    listed.add(id(2), false);
    listed.add(id(2), true);
    expect(listed.coversAllLive(2)).toBe(false);
    expect(listed.coversAllLive(1)).toBe(true);
  });
});
