import { SeededRandom, formatUuid, hash32, permute32, unitFloat, unpermute32 } from "./seeded-random.js";

/**
 * Realistic, deterministic Zephr export elements: `generateUser(index, seed)` is a pure function, so a
 * store can hold a million users as two numbers and build each element only while serving it.
 * Shape as in shared/zephr-api.md ("One element"); both documented spellings of grant keys occur.
 */

/** A grant as Zephr exports it; `grantId`/`grant_id` and `createdAt`/`created_at` both occur. */
export type GeneratedGrant = Record<string, string>;

export interface GeneratedUserElement {
  user: {
    user_id: string;
    identifiers: { email_address: string };
    email_verified: boolean;
    tracking_id: string;
    registered: string;
    registration_tenant: string;
    attributes: Record<string, string | number>;
  };
  "seq-no": number;
  grants: { results: GeneratedGrant[] };
}

export interface GenerateUsersOptions {
  readonly count: number;
  readonly seed: number;
  /** Index of the first user (default 0): `startIndex + i` is what `generateUser` receives. */
  readonly startIndex?: number;
}

/** Registration instants are spread over [2016-01-01, 2023-07-01) UTC, whole seconds. */
// Bound once: inside a vm context (jest), every lookup of the global `Math` is slow.
const { floor } = Math;

const registeredFromMs = Date.UTC(2016, 0, 1);
const registeredSpanS = (Date.UTC(2023, 6, 1) - registeredFromMs) / 1000;
/** `expiry_state` is computed against this fixed instant, so output never depends on the wall clock. */
const grantStateReferenceMs = Date.UTC(2023, 9, 1);
const dayMs = 86_400_000;

const salt = { userId: 1, registered: 2, body: 3, catalogue: 4, idKey: 5 } as const;

/** Deterministic id of the user at `index` for `seed` (a v4-shaped UUID whose first 8 digits encode index). */
export function generateUserId(index: number, seed: number): string {
  const random = new SeededRandom(hash32(seed, index, salt.userId));
  return formatUuid(
    permute32(index, hash32(seed, 0, salt.idKey)),
    random.nextUint32(),
    random.nextUint32(),
    random.nextUint32(),
  );
}

/** The index `generateUserId` was given for this id and seed, or undefined when it is not one of them. */
export function findGeneratedUserIndex(userId: string, seed: number): number | undefined {
  if (userId.length !== 36) return undefined;
  const head = Number.parseInt(userId.slice(0, 8), 16);
  if (!Number.isInteger(head)) return undefined;
  const index = unpermute32(head, hash32(seed, 0, salt.idKey));
  return generateUserId(index, seed) === userId ? index : undefined;
}

/** The user's `registered` instant in ms, cheap enough to filter a million users without building them. */
export function generatedRegisteredAtMs(index: number, seed: number): number {
  return registeredFromMs + floor(unitFloat(hash32(seed, index, salt.registered)) * registeredSpanS) * 1000;
}

/** One user element; the same arguments always give an equal value. */
export function generateUser(index: number, seed: number): GeneratedUserElement {
  const catalogue = findCatalogue(seed);
  const userId = generateUserId(index, seed);
  const registeredAtMs = generatedRegisteredAtMs(index, seed);
  const random = new SeededRandom(hash32(seed, index, salt.body));

  const first = random.pick(firstNames);
  const last = random.pick(surnames);
  const firstName = random.chance(0.02) ? `${first[0]} ${random.pick(emoji)}` : first[0];
  const attributes: Record<string, string | number> = {};
  if (random.chance(0.97)) attributes["first-name"] = firstName;
  if (random.chance(0.95)) attributes.surname = last[0];
  if (random.chance(0.55)) attributes.company = random.chance(0.05) ? "" : random.pick(companies);
  if (random.chance(0.45)) attributes["job-title"] = random.pick(jobTitles);
  if (random.chance(0.8)) attributes.country = random.pick(countries);
  if (random.chance(0.4)) attributes.city = random.pick(cities);
  if (random.chance(0.2)) attributes.postcode = random.pick(postcodes);
  if (random.chance(0.85)) attributes.newsletter = random.chance(0.4) ? "true" : "false";
  if (random.chance(0.3)) attributes["preferred-language"] = random.pick(languages);
  if (random.chance(0.35)) attributes.age = 18 + random.nextInt(70);
  if (random.chance(0.25))
    attributes["loyalty-points"] = random.nextInt(5) === 0 ? 0 : random.nextInt(25_000);

  const grantCount = pickGrantCount(random.nextFloat());
  const grants: GeneratedGrant[] = [];
  for (let g = 0; g < grantCount; g++) {
    grants.push(buildGrant(random, catalogue, userId, registeredAtMs));
  }

  return {
    user: {
      user_id: userId,
      identifiers: { email_address: buildEmail(random, first[1], last[1], index) },
      email_verified: random.chance(0.7),
      tracking_id: random.nextUuid(),
      registered: formatIsoSeconds(registeredAtMs),
      registration_tenant: random.pick(tenants),
      attributes,
    },
    "seq-no": 1 + random.nextInt(2_000),
    grants: { results: grants },
  };
}

/** `count` consecutive users, starting at `startIndex` (default 0). Eager: for millions, seed a store. */
export function generateUsers(options: GenerateUsersOptions): GeneratedUserElement[] {
  const start = options.startIndex ?? 0;
  const users: GeneratedUserElement[] = [];
  for (let i = 0; i < options.count; i++) users.push(generateUser(start + i, options.seed));
  return users;
}

/** Options for one new grant; anything not given is drawn from `random`. */
export interface GrantDraft {
  readonly userId: string;
  /** Start of the grant in ms, e.g. the moment of a purchase; also its `createdAt`. */
  readonly startMs: number;
  /** Catalogue (products, entitlements, accounts) to draw from: the seed of the user's block (default 0). */
  readonly seed?: number;
}

/**
 * A realistic grant starting and created at `draft.startMs`, its `expiry_state` as of that instant
 * (active), e.g. for a purchase a test simulates: `generateGrant(new SeededRandom(1), draft)`.
 */
export function generateGrant(random: SeededRandom, draft: GrantDraft): GeneratedGrant {
  const startMs = floor(draft.startMs / 1000) * 1000;
  return buildGrant(random, findCatalogue(draft.seed ?? 0), draft.userId, startMs, {
    startMs,
    stateAtMs: startMs,
  });
}

/** 0–3 grants, mean 1.5: 15% none, 35% one, 35% two, 15% three. */
function pickGrantCount(u: number): number {
  if (u < 0.15) return 0;
  if (u < 0.5) return 1;
  if (u < 0.85) return 2;
  return 3;
}

/** Forces a grant's start (and `createdAt`) and the instant its `expiry_state` is judged at. */
interface GrantTiming {
  readonly startMs: number;
  readonly stateAtMs: number;
}

function buildGrant(
  random: SeededRandom,
  catalogue: Catalogue,
  userId: string,
  notBeforeMs: number,
  timing?: GrantTiming,
): GeneratedGrant {
  const entitlement = random.pick(catalogue.entitlements);
  const drawnStartMs = random.chance(0.5)
    ? floor((notBeforeMs + random.nextInt(400) * dayMs) / dayMs) * dayMs
    : notBeforeMs + random.nextInt(400 * 86_400) * 1000;
  const startMs = timing?.startMs ?? drawnStartMs;
  const hasEnd = random.chance(0.75);
  const endMs = hasEnd ? startMs + random.pick(termsDays) * dayMs - 1000 : undefined;
  const drawnCreatedMs = startMs - random.nextInt(2 * 86_400) * 1000;
  const created = timing?.startMs ?? drawnCreatedMs;
  const stateAtMs = timing?.stateAtMs ?? grantStateReferenceMs;
  const state =
    startMs > stateAtMs ? "pending" : endMs !== undefined && endMs < stateAtMs ? "expired" : "active";

  const grant: GeneratedGrant = {};
  grant[random.chance(0.7) ? "grantId" : "grant_id"] = random.nextUuid();
  grant.user_id = userId;
  grant.account_id = random.pick(catalogue.accounts);
  grant.expiry_state = state;
  grant.entitlement_type = entitlement.type;
  grant.entitlement_id = entitlement.id;
  grant.startTime = formatGrantTime(startMs);
  if (endMs !== undefined) grant.endTime = formatGrantTime(endMs);
  grant.product_id = random.pick(catalogue.products);
  grant[random.chance(0.7) ? "createdAt" : "created_at"] = formatGrantTime(created);
  return grant;
}

function buildEmail(random: SeededRandom, first: string, last: string, index: number): string {
  const style = random.nextInt(10);
  const tag = random.chance(0.06) ? `+${random.pick(emailTags)}${random.nextInt(100)}` : "";
  const local =
    style < 5
      ? `${first}.${last}${index}`
      : style < 7
        ? `${first[0] ?? "x"}${last}${index}`
        : style < 9
          ? `${first}_${last}.${index.toString(36)}`
          : `${first.charAt(0).toUpperCase()}${first.slice(1)}.${last.charAt(0).toUpperCase()}${last.slice(1)}${index}`;
  return `${local}${tag}@${random.pick(emailDomains)}`;
}

/** `2021-02-24T15:43:28Z`, as Zephr writes `registered`. */
function formatIsoSeconds(ms: number): string {
  return formatUtc(ms, "T", "Z");
}

/** `2022-06-01 00:00:00`, as Zephr writes grant times (no zone). */
export function formatGrantTime(ms: number): string {
  return formatUtc(ms, " ", "");
}

const twoDigits: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

/**
 * `YYYY-MM-DD{sep}HH:mm:ss{zone}` for years 1000–9999, without a Date object: toISOString was most of the
 * generator's time. Civil-from-days after Howard Hinnant's algorithm (proleptic Gregorian, UTC).
 */
function formatUtc(ms: number, separator: string, zone: string): string {
  const days = floor(ms / dayMs);
  const secondsOfDay = floor((ms - days * dayMs) / 1000);
  const z = days + 719_468;
  const era = floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = floor(
    (dayOfEra - floor(dayOfEra / 1460) + floor(dayOfEra / 36_524) - floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + floor(yearOfEra / 4) - floor(yearOfEra / 100));
  const monthIndex = floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = floor(secondsOfDay / 3600);
  const minute = floor((secondsOfDay % 3600) / 60);
  const second = secondsOfDay % 60;
  return (
    `${year}-` +
    (twoDigits[month] ?? "") +
    "-" +
    (twoDigits[day] ?? "") +
    separator +
    (twoDigits[hour] ?? "") +
    ":" +
    (twoDigits[minute] ?? "") +
    ":" +
    (twoDigits[second] ?? "") +
    zone
  );
}

interface Catalogue {
  readonly products: readonly [string, ...string[]];
  readonly entitlements: readonly [{ id: string; type: string }, ...{ id: string; type: string }[]];
  readonly accounts: readonly [string, ...string[]];
}

/** Per-seed products, entitlements and accounts, shared by many users as in a real tenant. */
const catalogues = new Map<number, Catalogue>();

function findCatalogue(seed: number): Catalogue {
  const known = catalogues.get(seed);
  if (known !== undefined) return known;
  const random = new SeededRandom(hash32(seed, 0, salt.catalogue));
  const types = ["bundle", "entitlement", "meter", "credits"] as const;
  const catalogue: Catalogue = {
    products: [random.nextUuid(), ...Array.from({ length: 11 }, () => random.nextUuid())],
    entitlements: [
      { id: random.nextUuid(), type: "bundle" },
      ...Array.from({ length: 29 }, () => ({ id: random.nextUuid(), type: random.pick(types) })),
    ],
    accounts: [random.nextUuid(), ...Array.from({ length: 1_999 }, () => random.nextUuid())],
  };
  if (catalogues.size > 64) catalogues.clear();
  catalogues.set(seed, catalogue);
  return catalogue;
}

/** [display name, ASCII form used in e-mail addresses]. */
const firstNames: readonly [[string, string], ...[string, string][]] = [
  ["Joe", "joe"],
  ["Alex", "alex"],
  ["José", "jose"],
  ["Zoë", "zoe"],
  ["François", "francois"],
  ["Søren", "soren"],
  ["Łukasz", "lukasz"],
  ["Björn", "bjorn"],
  ["Chloé", "chloe"],
  ["Siobhán", "siobhan"],
  ["Ana María", "anamaria"],
  ["Priya", "priya"],
  ["Oluwaseun", "oluwaseun"],
  ["Margaret", "margaret"],
  ["Christopher", "christopher"],
  ["Emily", "emily"],
  ["Mohammed", "mohammed"],
  ["محمد", "muhammad"],
  ["فاطمة", "fatima"],
  ["שרה", "sarah"],
  ["דוד", "david"],
  ["翔太", "shota"],
  ["美咲", "misaki"],
  ["伟", "wei"],
  ["秀英", "xiuying"],
  ["민준", "minjun"],
  ["Дмитрий", "dmitry"],
  ["Αλέξανδρος", "alexandros"],
  ["Nguyễn Thị", "thi"],
  ["Ines", "ines"],
];

const surnames: readonly [[string, string], ...[string, string][]] = [
  ["Blow", "blow"],
  ["Smith", "smith"],
  ["Müller", "mueller"],
  ["García", "garcia"],
  ["Ødegaard", "odegaard"],
  ["Nguyễn", "nguyen"],
  ["O'Brien", "obrien"],
  ["Dvořáková", "dvorakova"],
  ["Kowalczyk", "kowalczyk"],
  ["Papadopoulos", "papadopoulos"],
  ["Ferreira da Silva", "ferreiradasilva"],
  ["van der Berg", "vanderberg"],
  ["Żółkiewski", "zolkiewski"],
  ["Okonkwo", "okonkwo"],
  ["Patel", "patel"],
  ["Johansson", "johansson"],
  ["佐藤", "sato"],
  ["王", "wang"],
  ["김", "kim"],
  ["כהן", "cohen"],
  ["الحسن", "alhassan"],
  ["Иванова", "ivanova"],
  ["Wright-Phillips", "wrightphillips"],
  ["Lefèvre", "lefevre"],
];

const emoji: readonly [string, ...string[]] = ["🚀", "🎉", "🌟", "🐱", "☕", "👩‍💻", "🇫🇷"];

const companies: readonly [string, ...string[]] = [
  "Acme Corp",
  "Globex Corporation",
  "Initech",
  "Umbrella plc",
  "Société Générale d'Édition",
  "株式会社サンプル",
  "Müller & Söhne GmbH",
  "Stark Industries",
  "Wayne Enterprises Ltd.",
  "Łódź Media sp. z o.o.",
  "The Daily Planet",
  "شركة الأخبار",
  "Freelance",
  "Ministry of Silly Walks",
];

const jobTitles: readonly [string, ...string[]] = [
  "Editor",
  "Senior Software Engineer",
  "Head of Audience Development",
  "Rédactrice en chef",
  "Data Analyst",
  "CEO",
  "Student",
  "Retired",
  "Marketing Manager, EMEA",
  "Journalist",
  "Teacher",
  "Product Owner",
];

const countries: readonly [string, ...string[]] = [
  "GB",
  "US",
  "FR",
  "DE",
  "JP",
  "ES",
  "IL",
  "AE",
  "BR",
  "IN",
  "PL",
  "IE",
];

const cities: readonly [string, ...string[]] = [
  "London",
  "New York",
  "Paris",
  "München",
  "東京",
  "São Paulo",
  "Kraków",
  "Tel Aviv-Yafo",
  "دبي",
  "Dublin",
  "Reykjavík",
];

const postcodes: readonly [string, ...string[]] = [
  "SW1A 1AA",
  "10001",
  "75008",
  "80331",
  "100-0001",
  "D02 X285",
];

const languages: readonly [string, ...string[]] = [
  "en-GB",
  "en-US",
  "fr-FR",
  "de-DE",
  "ja-JP",
  "ar",
  "he",
  "pl",
];

const tenants: readonly [string, ...string[]] = [
  "acme|web",
  "acme|web",
  "acme|web",
  "acme|app-ios",
  "acme|app-android",
];

const emailDomains: readonly [string, ...string[]] = [
  "gmail.com",
  "outlook.com",
  "yahoo.co.uk",
  "proton.me",
  "web.de",
  "example.com",
  "acme-news.co.uk",
  "zephr.com",
];

const emailTags: readonly [string, ...string[]] = ["trial", "news", "test"];

/** Subscription terms in days. */
const termsDays: readonly [number, ...number[]] = [7, 30, 30, 90, 365, 365, 730];
