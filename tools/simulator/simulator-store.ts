import {
  findGeneratedUserIndex,
  generateGrant,
  generateUser,
  generateUserId,
  generatedRegisteredAtMs,
} from "./generate-users.js";
import {
  checkGeneratedGrantsShape,
  isPlainGrantsShape,
  shapeAccountGrants,
  type GeneratedGrantsShape,
} from "./account-grants.js";
import { serializeElement, type ElementProjection } from "./project-element.js";
import { SeededRandom, hash32, unitFloat } from "./seeded-random.js";
import { findGrantId, listGrants, withAttribute, withGrant, withoutGrant } from "./user-mutations.js";

/** One user as the simulator holds it. `element` is the raw export element, well-formed or not. */
export interface StoredUser {
  readonly userId: string;
  readonly element: unknown;
  /** What `registeredSince`/`registeredBefore` compare against. */
  readonly registeredAtMs: number;
  /** What `since` compares against; Zephr never exports it. */
  readonly updatedAtMs: number;
}

export interface PutUserOptions {
  /** Key for elements without a string `user.user_id` (malformed ones); otherwise ignored. */
  readonly userId?: string;
  /** Default: `user.registered` of the element when it parses, else `updatedAtMs`. */
  readonly registeredAtMs?: number;
  /** Default: the simulator's clock(). */
  readonly updatedAtMs?: number;
  /**
   * Where a new user goes in export order: "last" (default) or "first", ahead of everyone (a server
   * that lists newest first, so later pages shift by one). A user already stored keeps its place.
   */
  readonly position?: "first" | "last";
}

/** A block of generated users; `sharedGrants`/`grantUserIds` default to the store's (its constructor). */
export interface SeedGeneratedOptions extends GeneratedGrantsShape {
  readonly count: number;
  readonly seed: number;
  /** First generator index (default 0), so several blocks of one seed can follow each other. */
  readonly startIndex?: number;
  /**
   * `updatedAtMs` of every user of the block. Default: a deterministic instant between the user's
   * registration and clock() at seeding time (so a later `since` export finds only later mutations).
   */
  readonly updatedAtMs?: number;
}

/** Which users an export selects; both bounds of `since` use `sinceInclusive`. */
export interface UserFilter {
  readonly sinceMs?: number;
  /** false: updatedAt > since (and registered > registeredSince); true: ≥. */
  readonly sinceInclusive: boolean;
  readonly registeredSinceMs?: number;
  /** Exclusive: registeredAt < registeredBefore. */
  readonly registeredBeforeMs?: number;
}

/** The users an export selects, in store order, as of one store version. */
export interface UserSelection {
  readonly count: number;
  /** The raw element at `position` (0-based, < count). Generated users are built on each call. */
  elementAt(position: number): unknown;
  /** The element at `position` as JSON text, projected as an export request asks for it. */
  serializeAt(position: number, projection: ElementProjection): string;
}

interface GeneratedSegment {
  readonly kind: "generated";
  readonly seed: number;
  readonly startIndex: number;
  readonly count: number;
  readonly seededAtMs: number;
  readonly updatedAtMs: number | undefined;
  /** Account grants and grant user ids of the block; undefined: as `generateUser` draws them. */
  readonly grantsShape: GeneratedGrantsShape | undefined;
  /** index → replacement, or null once removed. */
  readonly overrides: Map<number, StoredUser | null>;
}

interface ExplicitSegment {
  readonly kind: "explicit";
  users: Map<string, StoredUser>;
}

type Segment = GeneratedSegment | ExplicitSegment;

type Location =
  | {
      readonly kind: "generated";
      readonly segment: GeneratedSegment;
      readonly index: number;
      readonly current: StoredUser | null;
    }
  | { readonly kind: "explicit"; readonly segment: ExplicitSegment; readonly current: StoredUser };

// Bound once: inside a vm context (jest), every lookup of the global `Math` is slow.
const { floor } = Math;

/** A generated user's place in a selection: segment number × 2^32 + generator index (exact below 2^53). */
const positionBase = 0x1_0000_0000;
const maxCachedSelections = 8;

/**
 * The simulated tenant's users, in a stable order: blocks of generated users (built lazily from
 * (seed, index), so a million cost almost no memory) and explicitly put elements, in insertion order.
 * Replacing a user keeps its place; removed users are gone for good, as deleted users are in Zephr.
 */
export class SimulatorStore {
  readonly #clock: () => number;
  readonly #grantsShape: GeneratedGrantsShape;
  #segments: Segment[] = [];
  readonly #explicitOwners = new Map<string, ExplicitSegment>();
  #size = 0;
  #malformedCount = 0;
  #mutationCount = 0;
  readonly #selections = new Map<string, UserSelection>();

  /** `grantsShape`: how generated blocks shape their grants unless `seedGenerated` says otherwise. */
  constructor(clock: () => number, grantsShape: GeneratedGrantsShape = {}) {
    checkGeneratedGrantsShape(grantsShape);
    this.#clock = clock;
    this.#grantsShape = grantsShape;
  }

  /** Number of users an unfiltered export returns. */
  get size(): number {
    return this.#size;
  }

  /** Appends `count` generated users (see `generateUser`) without building them. */
  seedGenerated(options: SeedGeneratedOptions): void {
    const startIndex = options.startIndex ?? 0;
    if (!Number.isInteger(options.count) || options.count < 0) {
      throw new RangeError(`seedGenerated: count must be a non-negative integer, got ${options.count}`);
    }
    if (!Number.isInteger(startIndex) || startIndex < 0 || startIndex + options.count > positionBase) {
      throw new RangeError("seedGenerated: indexes must lie in [0, 2^32)");
    }
    for (const segment of this.#segments) {
      if (
        segment.kind === "generated" &&
        segment.seed === options.seed &&
        startIndex < segment.startIndex + segment.count &&
        segment.startIndex < startIndex + options.count
      ) {
        throw new RangeError(`seedGenerated: seed ${options.seed} indexes overlap a block already seeded`);
      }
    }
    const grantsShape: GeneratedGrantsShape = {
      ...this.#grantsShape,
      ...(options.sharedGrants === undefined ? {} : { sharedGrants: options.sharedGrants }),
      ...(options.grantUserIds === undefined ? {} : { grantUserIds: options.grantUserIds }),
    };
    checkGeneratedGrantsShape(grantsShape);
    this.#segments.push({
      kind: "generated",
      seed: options.seed,
      startIndex,
      count: options.count,
      seededAtMs: this.#clock(),
      updatedAtMs: options.updatedAtMs,
      grantsShape: isPlainGrantsShape(grantsShape) ? undefined : grantsShape,
      overrides: new Map(),
    });
    this.#size += options.count;
    this.#touch();
  }

  /** Inserts or replaces (in place) the user of `element.user.user_id`. */
  put(element: unknown, options: PutUserOptions = {}): StoredUser {
    const userId = readUserId(element) ?? options.userId ?? `malformed-${++this.#malformedCount}`;
    const updatedAtMs = options.updatedAtMs ?? this.#clock();
    const user: StoredUser = {
      userId,
      element,
      registeredAtMs: options.registeredAtMs ?? readRegisteredAtMs(element) ?? updatedAtMs,
      updatedAtMs,
    };
    this.#store(user, options.position ?? "last");
    return user;
  }

  /** `put` for each element, with the same options; returns how many were put. */
  putMany(elements: Iterable<unknown>, options: PutUserOptions = {}): number {
    let count = 0;
    for (const element of elements) {
      this.put(element, options);
      count++;
    }
    return count;
  }

  /**
   * Replaces the user's element with `mutate(copy of element)` and sets its updatedAt to clock().
   * Throws when there is no such user.
   */
  update(userId: string, mutate: (element: unknown) => unknown): StoredUser {
    const existing = this.get(userId);
    if (existing === undefined) throw new RangeError(`The simulator has no user ${userId}.`);
    const element = mutate(structuredClone(existing.element));
    const user: StoredUser = {
      userId,
      element,
      registeredAtMs: existing.registeredAtMs,
      updatedAtMs: this.#clock(),
    };
    this.#store(user, "last");
    return user;
  }

  /** Deletes the user; it never appears in an export again. Returns whether it existed. */
  remove(userId: string): boolean {
    const location = this.#locate(userId);
    if (location?.current == null) return false;
    if (location.kind === "generated") {
      location.segment.overrides.set(location.index, null);
    } else {
      location.segment.users.delete(userId);
      this.#explicitOwners.delete(userId);
    }
    this.#size -= 1;
    this.#touch();
    return true;
  }

  get(userId: string): StoredUser | undefined {
    return this.#locate(userId)?.current ?? undefined;
  }

  has(userId: string): boolean {
    return this.get(userId) !== undefined;
  }

  /** Every user in export order. Builds every generated element: prefer `entries()` for big stores. */
  list(): StoredUser[] {
    return [...this.entries()];
  }

  /** Every user in export order, lazily. */
  *entries(): Generator<StoredUser, void, undefined> {
    for (const segment of this.#segments) {
      if (segment.kind === "explicit") {
        yield* segment.users.values();
        continue;
      }
      for (let index = segment.startIndex; index < segment.startIndex + segment.count; index++) {
        const override = segment.overrides.get(index);
        if (override === null) continue;
        yield override ?? buildGeneratedUser(segment, index);
      }
    }
  }

  /** The ids of every user in export order, lazily (cheaper than `entries()` for generated users). */
  *userIds(): Generator<string, void, undefined> {
    for (const segment of this.#segments) {
      if (segment.kind === "explicit") {
        yield* segment.users.keys();
        continue;
      }
      for (let index = segment.startIndex; index < segment.startIndex + segment.count; index++) {
        if (segment.overrides.get(index) !== null) yield generateUserId(index, segment.seed);
      }
    }
  }

  /** Removes every user, generated or not. */
  clear(): void {
    this.#segments = [];
    this.#explicitOwners.clear();
    this.#size = 0;
    this.#touch();
  }

  /** Sets (or with `undefined` removes) one attribute of the user, as an edit in the Zephr console would. */
  editAttribute(userId: string, slug: string, value: string | number | boolean | undefined): StoredUser {
    return this.update(userId, (element) => withAttribute(element, slug, value));
  }

  /** Revokes one grant (matched by `grantId` or `grant_id`); throws when the user has no such grant. */
  removeGrant(userId: string, grantId: string): StoredUser {
    return this.update(userId, (element) => withoutGrant(element, grantId));
  }

  /** Gives the user a grant: `grant`, or a realistic active one starting and created at clock(). Returns it. */
  addGrant(userId: string, grant?: unknown): unknown {
    const now = this.#clock();
    const location = this.#locate(userId);
    // Draw from the catalogue of the user's own block, so product ids look like its other grants'.
    const seed = location?.kind === "generated" ? location.segment.seed : 0;
    const added: unknown =
      grant ??
      generateGrant(new SeededRandom(hash32(now, ++this.#mutationCount, 0x6a09e667)), {
        userId,
        startMs: now,
        seed,
      });
    this.update(userId, (element) => withGrant(element, added));
    return added;
  }

  /** The grant ids of the user (either spelling), e.g. to pick one to remove. */
  listGrantIds(userId: string): string[] {
    const user = this.get(userId);
    if (user === undefined) throw new RangeError(`The simulator has no user ${userId}.`);
    return listGrants(user.element).flatMap((grant) => findGrantId(grant) ?? []);
  }

  /** The users matching `filter`, in store order. Cached until the next change to the store. */
  select(filter: UserFilter): UserSelection {
    const key = `${filter.sinceMs}|${filter.sinceInclusive}|${filter.registeredSinceMs}|${filter.registeredBeforeMs}`;
    const cached = this.#selections.get(key);
    if (cached !== undefined) return cached;
    const selection = buildSelection(this.#segments, filter);
    if (this.#selections.size >= maxCachedSelections) this.#selections.clear();
    this.#selections.set(key, selection);
    return selection;
  }

  #store(user: StoredUser, position: "first" | "last"): void {
    const location = this.#locate(user.userId);
    if (location === undefined && position === "first") {
      let first = this.#segments[0];
      if (first?.kind !== "explicit") {
        first = { kind: "explicit", users: new Map() };
        // A new array: selections already handed out keep the segments (and positions) they were built on.
        this.#segments = [first, ...this.#segments];
      }
      first.users = new Map([[user.userId, user], ...first.users]);
      this.#explicitOwners.set(user.userId, first);
      this.#size += 1;
    } else if (location === undefined) {
      let last = this.#segments.at(-1);
      if (last?.kind !== "explicit") {
        last = { kind: "explicit", users: new Map() };
        this.#segments.push(last);
      }
      last.users.set(user.userId, user);
      this.#explicitOwners.set(user.userId, last);
      this.#size += 1;
    } else if (location.kind === "generated") {
      if (location.current === null) this.#size += 1;
      location.segment.overrides.set(location.index, user);
    } else {
      location.segment.users.set(user.userId, user);
    }
    this.#touch();
  }

  #locate(userId: string): Location | undefined {
    const owner = this.#explicitOwners.get(userId);
    const explicit = owner?.users.get(userId);
    if (owner !== undefined && explicit !== undefined)
      return { kind: "explicit", segment: owner, current: explicit };
    for (const segment of this.#segments) {
      if (segment.kind !== "generated") continue;
      const index = findGeneratedUserIndex(userId, segment.seed);
      if (index === undefined || index < segment.startIndex || index >= segment.startIndex + segment.count)
        continue;
      const override = segment.overrides.get(index);
      const current = override === undefined ? buildGeneratedUser(segment, index) : override;
      return { kind: "generated", segment, index, current };
    }
    return undefined;
  }

  #touch(): void {
    this.#selections.clear();
  }
}

/** The generator's element, its grants shaped as the block says. */
function buildGeneratedElement(segment: GeneratedSegment, index: number): unknown {
  const element = generateUser(index, segment.seed);
  return segment.grantsShape === undefined
    ? element
    : shapeAccountGrants(element, index, segment.seed, segment.grantsShape);
}

function buildGeneratedUser(segment: GeneratedSegment, index: number): StoredUser {
  const registeredAtMs = generatedRegisteredAtMs(index, segment.seed);
  return {
    userId: generateUserId(index, segment.seed),
    element: buildGeneratedElement(segment, index),
    registeredAtMs,
    updatedAtMs: findGeneratedUpdatedAtMs(segment, index, registeredAtMs),
  };
}

/** Uniform between registration and seeding time, deterministic per (seed, index). */
function findGeneratedUpdatedAtMs(segment: GeneratedSegment, index: number, registeredAtMs: number): number {
  if (segment.updatedAtMs !== undefined) return segment.updatedAtMs;
  const spanMs = segment.seededAtMs - registeredAtMs;
  if (spanMs <= 0) return registeredAtMs;
  return registeredAtMs + floor(unitFloat(hash32(segment.seed, index, 0x3c6ef372)) * spanMs);
}

function buildSelection(segments: readonly Segment[], filter: UserFilter): UserSelection {
  const filtering =
    filter.sinceMs !== undefined ||
    filter.registeredSinceMs !== undefined ||
    filter.registeredBeforeMs !== undefined;
  const matches = (registeredAtMs: number, updatedAtMs: number): boolean =>
    isAfter(updatedAtMs, filter.sinceMs, filter.sinceInclusive) &&
    isAfter(registeredAtMs, filter.registeredSinceMs, filter.sinceInclusive) &&
    (filter.registeredBeforeMs === undefined || registeredAtMs < filter.registeredBeforeMs);

  const picked: (number | StoredUser)[] = [];
  segments.forEach((segment, segmentNumber) => {
    if (segment.kind === "explicit") {
      for (const user of segment.users.values()) {
        if (matches(user.registeredAtMs, user.updatedAtMs)) picked.push(user);
      }
      return;
    }
    const hasOverrides = segment.overrides.size > 0;
    const base = segmentNumber * positionBase;
    for (let index = segment.startIndex; index < segment.startIndex + segment.count; index++) {
      if (hasOverrides) {
        const override = segment.overrides.get(index);
        if (override === null) continue;
        if (override !== undefined) {
          if (matches(override.registeredAtMs, override.updatedAtMs)) picked.push(override);
          continue;
        }
      }
      if (filtering) {
        const registeredAtMs = generatedRegisteredAtMs(index, segment.seed);
        if (!matches(registeredAtMs, findGeneratedUpdatedAtMs(segment, index, registeredAtMs))) continue;
      }
      picked.push(base + index);
    }
  });

  const generatedAt = (entry: number): unknown => {
    const segment = segments[floor(entry / positionBase)];
    if (segment?.kind !== "generated")
      throw new Error("Selection refers to a segment that no longer exists.");
    return buildGeneratedElement(segment, entry % positionBase);
  };
  const entryAt = (position: number): number | StoredUser => {
    const entry = picked[position];
    if (entry === undefined) throw new RangeError(`Selection position ${position} is out of range.`);
    return entry;
  };
  return {
    count: picked.length,
    elementAt(position: number): unknown {
      const entry = entryAt(position);
      if (typeof entry !== "number") return entry.element;
      return generatedAt(entry);
    },
    serializeAt(position: number, projection: ElementProjection): string {
      const entry = entryAt(position);
      if (typeof entry !== "number") return serializeElement(entry.element, projection);
      return serializeElement(generatedAt(entry), projection);
    },
  };
}

function isAfter(valueMs: number, boundMs: number | undefined, inclusive: boolean): boolean {
  if (boundMs === undefined) return true;
  return inclusive ? valueMs >= boundMs : valueMs > boundMs;
}

function readUserId(element: unknown): string | undefined {
  const user = readUser(element);
  const id = user?.user_id;
  return typeof id === "string" ? id : undefined;
}

function readRegisteredAtMs(element: unknown): number | undefined {
  const registered = readUser(element)?.registered;
  if (typeof registered !== "string") return undefined;
  const ms = Date.parse(registered);
  return Number.isNaN(ms) ? undefined : ms;
}

function readUser(element: unknown): Record<string, unknown> | undefined {
  if (typeof element !== "object" || element === null) return undefined;
  const user = (element as { user?: unknown }).user;
  return typeof user === "object" && user !== null ? (user as Record<string, unknown>) : undefined;
}
