import type { SimulatorStore } from "../../tools/simulator/index.js";
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
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The grant's own user_id, lowercased, when it is a UUID (README: user_grants.grant_user_id). */
const asUuid = (value: unknown): string | null =>
  typeof value === "string" && uuidPattern.test(value) ? value.toLowerCase() : null;

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
    // One row per user and grant id: every user listing a grant holds it (a company account's grant,
    // listed under each member); a grant id listed twice by one user is the later one.
    const grantList = asObject(element.grants).results;
    const userGrants = new Map<string, GrantSnapshot>();
    for (const raw of Array.isArray(grantList) ? grantList : []) {
      const grant = asObject(raw);
      const grantId = String(grant.grantId ?? grant.grant_id);
      userGrants.delete(grantId);
      userGrants.set(grantId, {
        grant_id: grantId,
        user_id: userId,
        grant_user_id: asUuid(grant.user_id),
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
    grants.push(...userGrants.values());
  }
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  users.sort((a, b) => byText(a.user_id, b.user_id));
  grants.sort((a, b) => byText(a.user_id, b.user_id) || byText(a.grant_id, b.grant_id));
  attributes.sort((a, b) => byText(a.user_id, b.user_id) || byText(a.name, b.name));
  return { users, grants, attributes };
}
