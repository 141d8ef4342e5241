import type { SimulatorStore } from "../../src/simulator/index.js";
import type {
  AttributeSnapshot,
  GrantSnapshot,
  UserSnapshot,
  WarehouseSnapshot,
} from "./warehouse-snapshot.js";

/**
 * What the warehouse must hold for the users in the simulator, derived independently of zephr-sync's
 * own normalization code: the field-by-field contract of the README, applied to well-formed elements.
 */

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json =>
  typeof value === "object" && value !== null ? (value as Json) : {};
const asText = (value: unknown): string | null => (typeof value === "string" ? value : null);

function zephrTimeToIso(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(value)
    ? value.replace(" ", "T")
    : `${value.replace(" ", "T")}Z`;
  return new Date(withZone).toISOString();
}

export function expectedWarehouse(store: SimulatorStore): WarehouseSnapshot {
  const users: UserSnapshot[] = [];
  const grants: GrantSnapshot[] = [];
  const attributes: AttributeSnapshot[] = [];
  for (const stored of store.list()) {
    const element = asObject(stored.element);
    const user = asObject(element.user);
    const userId = String(user.user_id).toLowerCase();
    const userAttributes = asObject(user.attributes);
    users.push({
      user_id: userId,
      email_address: asText(asObject(user.identifiers).email_address),
      email_verified: typeof user.email_verified === "boolean" ? user.email_verified : null,
      tracking_id: asText(user.tracking_id),
      registered_at: zephrTimeToIso(user.registered),
      registration_tenant: asText(user.registration_tenant),
      attributes: userAttributes,
      seq_no: typeof element["seq-no"] === "number" ? String(element["seq-no"]) : null,
      deleted: false,
    });
    for (const [name, value] of Object.entries(userAttributes))
      attributes.push({ user_id: userId, name, value });
    const grantList = asObject(element.grants).results;
    for (const raw of Array.isArray(grantList) ? grantList : []) {
      const grant = asObject(raw);
      grants.push({
        grant_id: String(grant.grantId ?? grant.grant_id),
        user_id: userId,
        account_id: asText(grant.account_id),
        entitlement_type: asText(grant.entitlement_type),
        entitlement_id: asText(grant.entitlement_id),
        product_id: asText(grant.product_id),
        expiry_state: asText(grant.expiry_state),
        starts_at: zephrTimeToIso(grant.startTime),
        ends_at: zephrTimeToIso(grant.endTime),
        created_at: zephrTimeToIso(grant.createdAt ?? grant.created_at),
      });
    }
  }
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  users.sort((a, b) => byText(a.user_id, b.user_id));
  grants.sort((a, b) => byText(a.grant_id, b.grant_id));
  attributes.sort((a, b) => byText(a.user_id, b.user_id) || byText(a.name, b.name));
  return { users, grants, attributes };
}
