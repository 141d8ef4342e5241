import { listGrants } from "./user-mutations.js";
import type { SimulatorStore } from "./simulator-store.js";

/**
 * The simulated tenant's catalogues (`/v3/products`, `/v3/bundles`, `/v3/entitlements`, `/v3/meters`,
 * `/v3/credits`) and user schema (`/v3/schema/users`). Zephr does not document these shapes, so the
 * defaults deliberately differ per listing (bare arrays, `{"results": [...]}`, `id` or `meter_id`,
 * `label`, `name` or `title`), as a client must cope with any of them.
 *
 * A listing not set explicitly is derived from the users' grants and attributes (so every
 * entitlement_id and product_id a grant carries has a name), computed once per store size.
 */

export const catalogueListingPaths = [
  "/v3/products",
  "/v3/bundles",
  "/v3/entitlements",
  "/v3/meters",
  "/v3/credits",
  "/v3/schema/users",
] as const;

export type CatalogueListingPath = (typeof catalogueListingPaths)[number];

/** `array`: a bare JSON array; `results`: `{"results": [...]}` (paged with links when pageSize is set). */
export type CatalogueEnvelope = "array" | "results";

export function isCatalogueListingPath(path: string): path is CatalogueListingPath {
  return (catalogueListingPaths as readonly string[]).includes(path);
}

const defaultEnvelopes: Record<CatalogueListingPath, CatalogueEnvelope> = {
  "/v3/products": "array",
  "/v3/bundles": "results",
  "/v3/entitlements": "array",
  "/v3/meters": "results",
  "/v3/credits": "array",
  "/v3/schema/users": "array",
};

/** Definitions of the attributes the user generator writes, as a tenant's schema would declare them. */
export const generatedUserSchema: readonly Record<string, unknown>[] = [
  { slug: "first-name", label: "First name", "input-type": "text", required: true },
  { slug: "surname", label: "Surname", "input-type": "text", required: true },
  { slug: "company", label: "Company", "input-type": "text", required: false },
  { slug: "job-title", label: "Job title", "input-type": "text", required: false },
  { slug: "country", label: "Country", "input-type": "select", required: false },
  { slug: "city", label: "City", "input-type": "text", required: false },
  { slug: "postcode", label: "Postcode", "input-type": "text", required: false },
  { slug: "newsletter", label: "Send me the newsletter", "input-type": "checkbox", required: false },
  { slug: "preferred-language", label: "Preferred language", "input-type": "select", required: false },
  { slug: "age", label: "Age", "input-type": "number", required: false },
  { slug: "loyalty-points", label: "Loyalty points", "input-type": "number", required: false },
];

const productNames = [
  "Digital Premium",
  "Digital Basic",
  "Print + Digital",
  "Student Digital",
  "Weekend Print",
  "Corporate Licence",
  "Newsletter Plus",
  "Podcast Pass",
  "Archive Access",
  "Day Pass",
  "Gift Subscription",
  "Free Trial",
];

interface Derived {
  readonly size: number;
  readonly listings: ReadonlyMap<CatalogueListingPath, readonly unknown[]>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export class SimulatorCatalogue {
  readonly #store: SimulatorStore;
  readonly #explicit = new Map<CatalogueListingPath, readonly unknown[]>();
  readonly #statuses = new Map<CatalogueListingPath, number>();
  readonly #envelopes = new Map<CatalogueListingPath, CatalogueEnvelope>();
  readonly #bodies = new Map<CatalogueListingPath, unknown>();
  #derived: Derived | undefined;
  /** Items per page of `results` listings (with `links.next`); undefined: everything on one page. */
  pageSize: number | undefined;

  constructor(store: SimulatorStore) {
    this.#store = store;
  }

  /** Serves exactly these items (raw JSON values, any shape) for the listing from now on. */
  set(path: CatalogueListingPath, items: readonly unknown[]): void {
    this.#explicit.set(path, structuredClone([...items]));
  }

  /** Answers the listing with exactly this JSON body from now on, whatever its shape. */
  setBody(path: CatalogueListingPath, body: unknown): void {
    this.#bodies.set(path, structuredClone(body));
  }

  /** The body set by setBody, if any (`has` tells an explicit undefined apart). */
  bodyOf(path: CatalogueListingPath): { readonly body: unknown } | undefined {
    return this.#bodies.has(path) ? { body: this.#bodies.get(path) } : undefined;
  }

  /** Answers the listing with this status and a `{"message": …}` body from now on (e.g. 403). */
  failWith(path: CatalogueListingPath, status: number): void {
    this.#statuses.set(path, status);
  }

  /** The forced status of the listing, if any. */
  statusOf(path: CatalogueListingPath): number | undefined {
    return this.#statuses.get(path);
  }

  setEnvelope(path: CatalogueListingPath, envelope: CatalogueEnvelope): void {
    this.#envelopes.set(path, envelope);
  }

  envelopeOf(path: CatalogueListingPath): CatalogueEnvelope {
    return this.#envelopes.get(path) ?? defaultEnvelopes[path];
  }

  /** Forgets explicit items and bodies, forced statuses and envelopes: everything is derived again. */
  reset(): void {
    this.#explicit.clear();
    this.#bodies.clear();
    this.#statuses.clear();
    this.#envelopes.clear();
    this.#derived = undefined;
    this.pageSize = undefined;
  }

  /** The items the listing serves now. */
  list(path: CatalogueListingPath): readonly unknown[] {
    return this.#explicit.get(path) ?? this.#derive().listings.get(path) ?? [];
  }

  #derive(): Derived {
    if (this.#derived?.size === this.#store.size) return this.#derived;
    const products = new Set<string>();
    const granted = new Map<string, Set<string>>();
    const slugs = new Set<string>();
    for (const user of this.#store.entries()) {
      for (const grant of listGrants(user.element)) {
        if (!isRecord(grant)) continue;
        if (typeof grant.product_id === "string") products.add(grant.product_id);
        if (typeof grant.entitlement_type === "string" && typeof grant.entitlement_id === "string") {
          let ids = granted.get(grant.entitlement_type);
          if (ids === undefined) granted.set(grant.entitlement_type, (ids = new Set()));
          ids.add(grant.entitlement_id);
        }
      }
      const element = user.element;
      const attributes = isRecord(element) && isRecord(element.user) ? element.user.attributes : undefined;
      if (isRecord(attributes)) for (const slug of Object.keys(attributes)) slugs.add(slug);
    }
    const sorted = (ids: Set<string> | undefined): string[] => [...(ids ?? [])].sort();
    const listings = new Map<CatalogueListingPath, readonly unknown[]>([
      [
        "/v3/products",
        sorted(products).map((id, i) => ({
          id,
          label: `${productNames[i % productNames.length] ?? "Product"}${i >= productNames.length ? ` ${Math.floor(i / productNames.length) + 1}` : ""}`,
          description: "A product of the simulated tenant.",
        })),
      ],
      [
        "/v3/bundles",
        sorted(granted.get("bundle")).map((id, i) => ({ id, label: `Bundle ${i + 1}`, entitlements: [] })),
      ],
      [
        "/v3/entitlements",
        sorted(granted.get("entitlement")).map((id, i) => ({ id, label: `Section access ${i + 1}` })),
      ],
      [
        "/v3/meters",
        sorted(granted.get("meter")).map((id, i) => ({
          meter_id: id,
          name: `Free articles meter ${i + 1}`,
          limit: 5 + i,
        })),
      ],
      [
        "/v3/credits",
        sorted(granted.get("credits")).map((id, i) => ({
          id,
          title: `Article credits ${i + 1}`,
          credits: 10,
        })),
      ],
      [
        "/v3/schema/users",
        [
          ...generatedUserSchema,
          ...[...slugs]
            .filter((slug) => !generatedUserSchema.some((d) => d.slug === slug))
            .sort()
            .map((slug) => ({ slug, label: slug, "input-type": "text", required: false })),
        ],
      ],
    ]);
    this.#derived = { size: this.#store.size, listings };
    return this.#derived;
  }
}
