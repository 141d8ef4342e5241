/**
 * The Admin API listings that name things for analysts: the five catalogues a grant can point into
 * (`entitlement_type` says which one holds a grant's `entitlement_id`) and the user schema.
 */

/** A catalogue, named as `user_grants.entitlement_type` names it (plus product, for `product_id`). */
export type CatalogueKind = "product" | "bundle" | "entitlement" | "meter" | "credits";

export interface CatalogueEndpoint {
  readonly kind: CatalogueKind;
  readonly path: string;
  /** Fields that may hold an item's id, in order of preference (Zephr does not document the shapes). */
  readonly idKeys: readonly string[];
}

function idKeysFor(...names: string[]): readonly string[] {
  return ["id", ...names.flatMap((name) => [`${name}_id`, `${name}Id`]), "uuid", "slug"];
}

export const catalogueEndpoints: readonly CatalogueEndpoint[] = [
  { kind: "product", path: "/v3/products", idKeys: idKeysFor("product") },
  { kind: "bundle", path: "/v3/bundles", idKeys: idKeysFor("bundle") },
  { kind: "entitlement", path: "/v3/entitlements", idKeys: idKeysFor("entitlement") },
  { kind: "meter", path: "/v3/meters", idKeys: idKeysFor("meter") },
  { kind: "credits", path: "/v3/credits", idKeys: idKeysFor("credits", "credit") },
];

/** Attribute definitions of the tenant's user schema (slug, label, input-type, …). */
export const userSchemaPath = "/v3/schema/users";

/** Fields that may hold a human-readable name, in order of preference. */
export const labelKeys: readonly string[] = ["label", "name", "title", "slug"];
