import {
  findGeneratedUserIndex,
  generateUser,
  generateUserId,
  generateUsers,
  generatedRegisteredAtMs,
} from "../../tools/simulator/index.js";

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const grantTime = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

describe("the user generator", () => {
  const users = generateUsers({ count: 2000, seed: 42 });
  const grants = users.flatMap((user) => user.grants.results);

  it("gives equal users for equal (seed, index) and different users for another seed", () => {
    expect(generateUsers({ count: 5, seed: 42, startIndex: 100 })).toEqual(users.slice(100, 105));
    expect(JSON.stringify(generateUser(7, 42))).toBe(JSON.stringify(users[7]));
    expect(generateUser(7, 43).user.user_id).not.toBe(users[7]?.user.user_id);
  });

  it("builds elements in the documented shape, keys in the documented order", () => {
    const user = users.find((candidate) => candidate.grants.results.length > 0);
    if (user === undefined) throw new Error("no user with grants");

    expect(Object.keys(user)).toEqual(["user", "seq-no", "grants"]);
    expect(Object.keys(user.user)).toEqual([
      "user_id",
      "identifiers",
      "email_verified",
      "tracking_id",
      "registered",
      "registration_tenant",
      "attributes",
    ]);
    expect(user.user.user_id).toMatch(uuidV4);
    expect(user.user.tracking_id).toMatch(uuidV4);
    expect(user.user.identifiers.email_address).toMatch(/^[^@\s]+@[a-z0-9.-]+\.[a-z]+$/i);
    expect(user.user.registered).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(typeof user.user.email_verified).toBe("boolean");
    expect(user.user.registration_tenant).toMatch(/^\w+\|[\w-]+$/);
    expect(typeof user["seq-no"]).toBe("number");
  });

  it("gives every user a distinct id and e-mail address", () => {
    expect(new Set(users.map((user) => user.user.user_id)).size).toBe(users.length);
    expect(new Set(users.map((user) => user.user.identifiers.email_address)).size).toBe(users.length);
  });

  it("maps ids back to their index for the same seed only", () => {
    for (const index of [0, 1, 999, 123_456, 4_000_000_000]) {
      expect(findGeneratedUserIndex(generateUserId(index, 42), 42)).toBe(index);
      expect(findGeneratedUserIndex(generateUserId(index, 42), 41)).toBeUndefined();
    }
    expect(findGeneratedUserIndex("not-a-uuid", 42)).toBeUndefined();
  });

  it("matches the registration instant with the registered field", () => {
    for (const [index, user] of users.slice(0, 50).entries()) {
      expect(Date.parse(user.user.registered)).toBe(generatedRegisteredAtMs(index, 42));
    }
  });

  it("gives about six attributes on average, with dashed slugs, checkbox strings and numbers", () => {
    const attributes = users.map((user) => user.user.attributes);
    const mean = attributes.reduce((sum, a) => sum + Object.keys(a).length, 0) / users.length;
    const values = attributes.flatMap((a) => Object.entries(a));

    expect(mean).toBeGreaterThan(5.5);
    expect(mean).toBeLessThan(6.5);
    expect(values.some(([slug]) => slug === "first-name")).toBe(true);
    expect(new Set(values.filter(([slug]) => slug === "newsletter").map(([, v]) => v))).toEqual(
      new Set(["true", "false"]),
    );
    expect(values.some(([, value]) => typeof value === "number")).toBe(true);
  });

  it("uses unicode names: accents, CJK, right-to-left scripts and emoji", () => {
    const names = users.map(
      (user) => `${user.user.attributes["first-name"] ?? ""} ${user.user.attributes.surname ?? ""}`,
    );

    expect(names.some((name) => /[éëçøł]/i.test(name))).toBe(true);
    expect(names.some((name) => /\p{Script=Han}/u.test(name))).toBe(true);
    expect(names.some((name) => /\p{Script=Arabic}|\p{Script=Hebrew}/u.test(name))).toBe(true);
    expect(names.some((name) => /\p{Extended_Pictographic}/u.test(name))).toBe(true);
  });

  it("gives 0 to 3 grants, about 1.5 on average", () => {
    const counts = users.map((user) => user.grants.results.length);

    expect(Math.min(...counts)).toBe(0);
    expect(Math.max(...counts)).toBe(3);
    expect(grants.length / users.length).toBeGreaterThan(1.35);
    expect(grants.length / users.length).toBeLessThan(1.65);
  });

  it("spells grant keys both ways and sometimes leaves endTime out", () => {
    expect(grants.some((grant) => "grantId" in grant)).toBe(true);
    expect(grants.some((grant) => "grant_id" in grant)).toBe(true);
    expect(grants.some((grant) => "createdAt" in grant)).toBe(true);
    expect(grants.some((grant) => "created_at" in grant)).toBe(true);
    expect(grants.some((grant) => !("endTime" in grant))).toBe(true);
    expect(grants.every((grant) => "grantId" in grant !== "grant_id" in grant)).toBe(true);
  });

  it("writes grant times without a zone and uses every documented state and type", () => {
    for (const grant of grants.slice(0, 200)) {
      expect(grant.startTime).toMatch(grantTime);
      expect(grant.createdAt ?? grant.created_at).toMatch(grantTime);
      if (grant.endTime !== undefined) expect(grant.endTime).toMatch(grantTime);
      expect(grant.grantId ?? grant.grant_id).toMatch(uuidV4);
    }
    expect(new Set(grants.map((grant) => grant.expiry_state))).toEqual(
      new Set(["pending", "active", "expired"]),
    );
    expect(new Set(grants.map((grant) => grant.entitlement_type))).toEqual(
      new Set(["bundle", "entitlement", "meter", "credits"]),
    );
  });

  it("starts no grant before its user registered and ends none before it starts", () => {
    for (const user of users) {
      const registered = Date.parse(user.user.registered);
      for (const grant of user.grants.results) {
        const start = Date.parse(`${grant.startTime?.replace(" ", "T") ?? ""}Z`);
        expect(start).toBeGreaterThanOrEqual(Math.floor(registered / 86_400_000) * 86_400_000);
        if (grant.endTime !== undefined)
          expect(Date.parse(`${grant.endTime.replace(" ", "T")}Z`)).toBeGreaterThan(start);
        expect(grant.user_id).toBe(user.user.user_id);
      }
    }
  });

  it("makes elements about a kilobyte of JSON, as real exports with attributes and grants are", () => {
    const bytes =
      users.reduce((sum, user) => sum + Buffer.byteLength(JSON.stringify(user)), 0) / users.length;

    expect(bytes).toBeGreaterThan(700);
    expect(bytes).toBeLessThan(1600);
  });
});
