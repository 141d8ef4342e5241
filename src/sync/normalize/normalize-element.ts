import { LosslessNumber } from "../../json/lossless-number.js";
import { stringifyJson } from "../../json/stringify-json.js";
import type { BuiltValue } from "../../zephr/json/json-value-builder.js";
import { tooDeep } from "../../zephr/json/json-value-builder.js";
import type { NormalizeOutcome, NormalizedGrant } from "../../db/normalized-user.js";
import { parseInstant } from "./parse-instant.js";
import { toUserId } from "./is-uuid.js";
import { computeSourceHash } from "./source-hash.js";

const knownUserKeys = new Set([
  "user_id",
  "identifiers",
  "email_verified",
  "tracking_id",
  "registered",
  "registration_tenant",
  "attributes",
]);
const knownElementKeys = new Set(["user", "grants", "seq-no"]);
const knownGrantKeys = new Set([
  "grantId",
  "grant_id",
  "account_id",
  "entitlement_type",
  "entitlement_id",
  "product_id",
  "expiry_state",
  "startTime",
  "endTime",
  "createdAt",
  "created_at",
]);
/** Known keys of a grant whose `user_id` is a UUID: it goes to its own column instead of the extras. */
const knownGrantKeysWithUserId = new Set([...knownGrantKeys, "user_id"]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof LosslessNumber)
  );
}

function pickExtra(source: Json, known: ReadonlySet<string>): Json {
  const extra: Json = {};
  for (const key of Object.keys(source)) {
    if (!known.has(key)) {
      Object.defineProperty(extra, key, {
        value: source[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return extra;
}

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  const text = stringifyJson(value);
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

/** A string PostgreSQL cannot store in text or jsonb: one with NUL or with unpaired surrogates. */
function isUnstorable(text: string): boolean {
  return text.includes("\u0000") || !(text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** Where in the element the first value PostgreSQL cannot store is, and what is wrong with it. */
interface Unstorable {
  /** Keys and indexes from the element down, innermost first (built only once one is found). */
  readonly steps: (string | number)[];
  readonly problem: "string" | "key" | "deep";
}

/** Finds the first string (value or key) PostgreSQL cannot store, or the too-deep marker. */
function findUnstorable(value: unknown): Unstorable | undefined {
  if (typeof value === "string") return isUnstorable(value) ? { steps: [], problem: "string" } : undefined;
  if (value === tooDeep) return { steps: [], problem: "deep" };
  if (typeof value !== "object" || value === null || value instanceof LosslessNumber) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i]);
      if (found !== undefined) {
        found.steps.push(i);
        return found;
      }
    }
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    if (isUnstorable(key)) return { steps: [], problem: "key" };
    const found = findUnstorable(child);
    if (found !== undefined) {
      found.steps.push(key);
      return found;
    }
  }
  return undefined;
}

/** The reason for a value findUnstorable found, with its path (`element.user.attributes.x`). */
function describeUnstorable({ steps, problem }: Unstorable): string {
  const path = steps.reduceRight<string>(
    (text, step) => (typeof step === "number" ? `${text}[${step}]` : `${text}.${step}`),
    "element",
  );
  if (problem === "key") return `a key in ${path} contains a NUL character or invalid Unicode`;
  if (problem === "deep") return `${path} is nested deeper than 64 levels`;
  return `${path} contains a NUL character or invalid Unicode`;
}

/**
 * Longest text (UTF-8 bytes) for a value the warehouse indexes with a btree (attribute names, grant,
 * entitlement and product ids): PostgreSQL refuses index entries beyond about 2,700 bytes, which would
 * fail the whole batch, so such an element is rejected instead.
 */
export const maxIndexedTextBytes = 2000;

class Checker {
  readonly reasons: string[] = [];

  /**
   * Records a reason when an indexed text is too long; returns the text either way. `path` is a function
   * when naming the text costs something, so that only a text too long pays for it.
   */
  indexable(text: string, path: string | (() => string)): string {
    if (text.length > maxIndexedTextBytes / 4 && Buffer.byteLength(text, "utf8") > maxIndexedTextBytes) {
      this.reasons.push(
        `${typeof path === "string" ? path : path()} is longer than ${maxIndexedTextBytes} bytes, more than the warehouse can index`,
      );
    }
    return text;
  }

  /** user.attributes: an object whose slugs the warehouse can index. */
  attributes(value: unknown): Json {
    const attributes = this.optionalObject(value, "user.attributes");
    for (const name of Object.keys(attributes))
      this.indexable(name, () => `the user.attributes name ${describe(name)}`);
    return attributes;
  }

  indexableOrNull(text: string | null, path: string): string | null {
    return text === null ? null : this.indexable(text, path);
  }

  optionalString(value: unknown, path: string): string | null {
    if (value === undefined || value === null) return null;
    if (typeof value === "string") return value;
    this.reasons.push(`${path} must be a string, got ${describe(value)}`);
    return null;
  }

  optionalBoolean(value: unknown, path: string): boolean | null {
    if (value === undefined || value === null) return null;
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    this.reasons.push(`${path} must be true or false, got ${describe(value)}`);
    return null;
  }

  optionalObject(value: unknown, path: string): Json {
    if (value === undefined || value === null) return {};
    if (isObject(value)) return value;
    this.reasons.push(`${path} must be an object, got ${describe(value)}`);
    return {};
  }

  optionalInstant(value: unknown, path: string, timeZone: string): string | null {
    if (value === undefined || value === null || value === "") return null;
    if (typeof value === "string") {
      const parsed = parseInstant(value, timeZone);
      if (parsed !== undefined) return parsed;
    }
    this.reasons.push(`${path} is not a valid date and time: ${describe(value)}`);
    return null;
  }

  userId(value: unknown): string {
    const id = toUserId(value);
    if (id !== undefined) return id;
    this.reasons.push(
      value === undefined || value === null
        ? "user.user_id is missing"
        : `user.user_id is not a UUID: ${describe(value)}`,
    );
    return "";
  }

  grantList(value: unknown): unknown[] {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    if (isObject(value)) {
      const { results } = value;
      if (results === undefined || results === null) return [];
      if (Array.isArray(results)) return results;
      this.reasons.push(`grants.results must be a list, got ${describe(results)}`);
      return [];
    }
    this.reasons.push(`grants must be an object with a results list, got ${describe(value)}`);
    return [];
  }

  grant(value: unknown, path: string, timeZone: string): NormalizedGrant | undefined {
    if (!isObject(value)) {
      this.reasons.push(`${path} must be an object, got ${describe(value)}`);
      return undefined;
    }
    const grantId = this.grantId(value, path);
    const created = value.createdAt ?? value.created_at;
    const grantUserId = toUserId(value.user_id) ?? null;
    const grant: NormalizedGrant = {
      grantId,
      grantUserId,
      accountId: this.optionalString(value.account_id, `${path}.account_id`),
      entitlementType: this.optionalString(value.entitlement_type, `${path}.entitlement_type`),
      entitlementId: this.indexableOrNull(
        this.optionalString(value.entitlement_id, `${path}.entitlement_id`),
        `${path}.entitlement_id`,
      ),
      productId: this.indexableOrNull(
        this.optionalString(value.product_id, `${path}.product_id`),
        `${path}.product_id`,
      ),
      expiryState: this.optionalString(value.expiry_state, `${path}.expiry_state`),
      startsAt: this.optionalInstant(value.startTime, `${path}.startTime`, timeZone),
      endsAt: this.endTime(value.endTime, `${path}.endTime`, timeZone),
      createdAt: this.optionalInstant(created, `${path}.createdAt`, timeZone),
      extra: pickExtra(value, grantUserId === null ? knownGrantKeys : knownGrantKeysWithUserId),
    };
    // ISO UTC strings of one format compare as the instants do.
    if (grant.startsAt !== null && grant.endsAt !== null && grant.startsAt > grant.endsAt) {
      this.reasons.push(
        `${path}.startTime ${describe(value.startTime)} is after its endTime ${describe(value.endTime)}`,
      );
    }
    return grant;
  }

  /** endTime: absent or null means indefinite; "" is no instant, and must not silently mean forever. */
  private endTime(value: unknown, path: string, timeZone: string): string | null {
    if (value !== "") return this.optionalInstant(value, path, timeZone);
    this.reasons.push(`${path} is an empty string: an indefinite grant has no endTime, or null`);
    return null;
  }

  /**
   * Keeps one grant per id: a repeat identical to the first is the same grant listed twice (one row,
   * nothing lost); one that differs leaves no way to tell which is true, and rejects the element.
   */
  addGrant(
    grants: Map<string, { grant: NormalizedGrant; raw: unknown; index: number }>,
    raw: unknown,
    index: number,
    grant: NormalizedGrant,
  ): void {
    const first = grants.get(grant.grantId);
    if (first === undefined) {
      grants.set(grant.grantId, { grant, raw, index });
    } else if (stringifyJson(first.raw) !== stringifyJson(raw)) {
      this.reasons.push(
        `grants.results[${first.index}] and grants.results[${index}] have the same grantId ${describe(grant.grantId)} and differ`,
      );
    }
  }

  private grantId(grant: Json, path: string): string {
    const { grantId, grant_id: grantIdSnake } = grant;
    if (grantId !== undefined && grantIdSnake !== undefined && grantId !== grantIdSnake) {
      this.reasons.push(`${path} has both grantId and grant_id, and they differ`);
    }
    const id = grantId ?? grantIdSnake;
    if (typeof id === "string" && id.trim() !== "") return this.indexable(id, `${path}.grantId`);
    this.reasons.push(`${path}.grantId is missing or not a non-empty string: ${describe(id)}`);
    return "";
  }
}

function seqNoOf(value: unknown): number | LosslessNumber | null {
  if (typeof value === "number" || value instanceof LosslessNumber) return value;
  return null;
}

export interface NormalizeOptions {
  /** Zone for Zephr's zone-less grant times (IANA name). */
  readonly grantTimezone: string;
}

/**
 * Validates one export element and turns it into the rows it stands for, or explains every reason it
 * cannot be stored. Never throws for bad input.
 */
export function normalizeElement(
  built: BuiltValue,
  options: NormalizeOptions,
  contentHash: string = computeSourceHash(
    stringifyJson(built.value, built.hasLossless),
    options.grantTimezone,
  ),
): NormalizeOutcome {
  const element = built.value;
  const check = new Checker();
  const timeZone = options.grantTimezone;
  const reject = (userId: unknown, reasons: readonly string[]): NormalizeOutcome => ({
    ok: false,
    rejected: {
      userId: typeof userId === "string" ? userId.slice(0, 200) : null,
      reasons,
      element: stringifyJson(element, built.hasLossless),
    },
  });

  if (!isObject(element)) return reject(null, [`the element must be an object, got ${describe(element)}`]);
  const rawUser = element.user;
  if (!isObject(rawUser)) return reject(null, [`element.user must be an object, got ${describe(rawUser)}`]);
  const unstorable = findUnstorable(element);
  if (unstorable !== undefined) return reject(rawUser.user_id, [describeUnstorable(unstorable)]);

  const userId = check.userId(rawUser.user_id);
  const identifiers = check.optionalObject(rawUser.identifiers, "user.identifiers");
  const grants = new Map<string, { grant: NormalizedGrant; raw: unknown; index: number }>();
  check.grantList(element.grants).forEach((raw, index) => {
    const grant = check.grant(raw, `grants.results[${index}]`, timeZone);
    if (grant !== undefined) check.addGrant(grants, raw, index, grant);
  });
  const seqNo = seqNoOf(element["seq-no"]);
  const elementExtra = pickExtra(element, knownElementKeys);
  if (seqNo === null && element["seq-no"] !== undefined && element["seq-no"] !== null) {
    elementExtra["seq-no"] = element["seq-no"];
  }
  const partial = {
    userId,
    emailAddress: check.optionalString(identifiers.email_address, "user.identifiers.email_address"),
    emailVerified: check.optionalBoolean(rawUser.email_verified, "user.email_verified"),
    trackingId: check.optionalString(rawUser.tracking_id, "user.tracking_id"),
    registeredAt: check.optionalInstant(rawUser.registered, "user.registered", timeZone),
    registrationTenant: check.optionalString(rawUser.registration_tenant, "user.registration_tenant"),
    identifiers,
    attributes: check.attributes(rawUser.attributes),
    seqNo,
    userExtra: pickExtra(rawUser, knownUserKeys),
    elementExtra,
    grants: [...grants.values()].map((kept) => kept.grant),
    hasLossless: built.hasLossless,
  };
  if (check.reasons.length > 0) return reject(rawUser.user_id, check.reasons);
  return { ok: true, user: { ...partial, contentHash } };
}
