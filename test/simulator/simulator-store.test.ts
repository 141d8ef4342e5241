import { SimulatorStore, generateUser, generateUserId, listGrants } from "../../tools/simulator/index.js";
import { makeElement } from "./simulator-client.js";

describe("the simulator store", () => {
  let nowMs = Date.UTC(2024, 0, 1);
  let store: SimulatorStore;

  beforeEach(() => {
    nowMs = Date.UTC(2024, 0, 1);
    store = new SimulatorStore(() => nowMs);
  });

  const everything = { sinceInclusive: false } as const;
  const exportedIds = (): string[] => {
    const selection = store.select(everything);
    return Array.from({ length: selection.count }, (_, i) => {
      const element = selection.elementAt(i) as { user?: { user_id?: string } } | null;
      return element?.user?.user_id ?? "?";
    });
  };

  it("keeps users in insertion order and replaces a user in place", () => {
    store.putMany([makeElement("a"), makeElement("b"), makeElement("c")]);
    nowMs += 10;
    store.put({ ...makeElement("a"), extra: true });

    expect(exportedIds()).toEqual(["a", "b", "c"]);
    expect(store.get("a")).toMatchObject({ element: { extra: true }, updatedAtMs: nowMs });
    expect(store.size).toBe(3);
  });

  it("takes registeredAt from the element's registered field unless told otherwise", () => {
    const parsed = store.put(makeElement("a", "2020-05-05T10:00:00Z"));
    const given = store.put(makeElement("b"), { registeredAtMs: 5, updatedAtMs: 6 });
    const malformed = store.put({ nothing: "here" });

    expect(parsed.registeredAtMs).toBe(Date.UTC(2020, 4, 5, 10));
    expect(given).toMatchObject({ registeredAtMs: 5, updatedAtMs: 6 });
    expect(malformed).toMatchObject({ userId: "malformed-1", registeredAtMs: nowMs });
  });

  it("seeds generated users lazily, builds them on demand and lets them be replaced in place", () => {
    store.seedGenerated({ count: 1_000_000, seed: 8 });
    store.put(makeElement("explicit"));
    const id = generateUserId(500_000, 8);

    expect(store.size).toBe(1_000_001);
    expect(store.get(id)?.element).toEqual(generateUser(500_000, 8));

    nowMs += 1;
    store.editAttribute(id, "company", "Initech");
    const selection = store.select({ sinceInclusive: false, sinceMs: nowMs - 1 });

    expect(selection.count).toBe(1);
    expect(selection.elementAt(0)).toMatchObject({
      user: { user_id: id, attributes: { company: "Initech" } },
    });
    expect(store.select(everything).elementAt(500_000)).toMatchObject({
      user: { attributes: { company: "Initech" } },
    });
  });

  it("gives generated users an updatedAt between registration and seeding, or the one asked for", () => {
    store.seedGenerated({ count: 100, seed: 1 });
    store.seedGenerated({ count: 10, seed: 1, startIndex: 100, updatedAtMs: 42 });
    const users = store.list();

    for (const user of users.slice(0, 100)) {
      expect(user.updatedAtMs).toBeGreaterThanOrEqual(user.registeredAtMs);
      expect(user.updatedAtMs).toBeLessThanOrEqual(nowMs);
    }
    expect(users.slice(100).map((user) => user.updatedAtMs)).toEqual(Array<number>(10).fill(42));
  });

  it("refuses to seed the same generated users twice", () => {
    store.seedGenerated({ count: 10, seed: 1 });

    expect(() => {
      store.seedGenerated({ count: 10, seed: 1, startIndex: 5 });
    }).toThrow(RangeError);
  });

  it("removes generated and explicit users for good, and says whether they existed", () => {
    store.seedGenerated({ count: 3, seed: 2 });
    store.put(makeElement("x"));
    const id = generateUserId(1, 2);

    expect(store.remove(id)).toBe(true);
    expect(store.remove(id)).toBe(false);
    expect(store.remove("x")).toBe(true);
    expect(store.get(id)).toBeUndefined();
    expect(store.size).toBe(2);
    expect([...store.userIds()]).toEqual([generateUserId(0, 2), generateUserId(2, 2)]);
  });

  it("throws when updating a user it does not have", () => {
    expect(() => store.update("nobody", (element) => element)).toThrow("The simulator has no user nobody.");
  });

  it("hands update a copy, so a mutation in place does not leak into the stored element", () => {
    const original = makeElement("a");
    store.put(original);

    store.update("a", (element) => {
      (element as { "seq-no": number })["seq-no"] = 99;
      return element;
    });

    expect(original["seq-no"]).toBe(17);
    expect(store.get("a")?.element).toMatchObject({ "seq-no": 99 });
  });

  it("adds a realistic grant dated by its clock and removes grants by either id spelling", () => {
    store.seedGenerated({ count: 1, seed: 4 });
    const id = generateUserId(0, 4);
    nowMs = Date.UTC(2024, 5, 1, 8, 30, 15, 250);

    const added = store.addGrant(id) as Record<string, string>;
    const addedId = added.grantId ?? added.grant_id ?? "";
    const before = store.listGrantIds(id);
    store.removeGrant(id, addedId);

    expect(added).toMatchObject({ user_id: id, startTime: "2024-06-01 08:30:15", expiry_state: "active" });
    expect(added.createdAt ?? added.created_at).toBe("2024-06-01 08:30:15");
    expect(before).toContain(addedId);
    expect(store.listGrantIds(id)).toEqual(before.filter((grantId) => grantId !== addedId));
    expect(() => store.removeGrant(id, "no-such-grant")).toThrow(RangeError);
  });

  it("edits and removes attributes, keeping every other key", () => {
    store.put(makeElement("a"));

    store.editAttribute("a", "newsletter", "true");
    store.editAttribute("a", "surname", undefined);

    expect(store.get("a")?.element).toMatchObject({
      user: { user_id: "a", attributes: { "first-name": "Joe", newsletter: "true" } },
      "seq-no": 17,
    });
    expect(store.get("a")?.element).not.toHaveProperty("user.attributes.surname");
    expect(listGrants(store.get("a")?.element)).toHaveLength(1);
  });

  it("empties completely on clear", () => {
    store.seedGenerated({ count: 10, seed: 1 });
    store.put(makeElement("a"));

    store.clear();

    expect(store.size).toBe(0);
    expect(store.list()).toEqual([]);
    expect(store.select(everything).count).toBe(0);
  });

  it("selects among a million generated users with a since filter in well under a few seconds", () => {
    store.seedGenerated({ count: 1_000_000, seed: 3 });
    const started = performance.now();

    const selection = store.select({ sinceInclusive: false, sinceMs: Date.UTC(2023, 0, 1) });

    expect(selection.count).toBeGreaterThan(0);
    expect(selection.count).toBeLessThan(1_000_000);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
