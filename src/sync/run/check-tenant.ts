import type { Pool } from "../../db/pool.js";
import { findTenantBinding, saveTenantBinding } from "../../db/sync-tenant.js";
import { SyncError, findSqlState, sqlState } from "../../errors.js";
import type { Logger } from "../../logger.js";

/**
 * The identity of a tenant: ZEPHR_BASE_URL's scheme, lowercase host, port (none when the scheme's
 * default) and path without trailing slashes. Access keys play no part: a rotated key pair of the same
 * tenant is the same tenant.
 */
export function normalizeTenantUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * Refuses to sync another tenant into a warehouse schema that mirrors one (TENANT_MISMATCH, exit 2): its
 * users would be mixed with the first tenant's, its watermark moved and, after a full export, all the
 * first tenant's users marked deleted. Runs under the run lock, before any run row. `record`: bind the
 * warehouse to this tenant when it is bound to none yet, or when it holds no user and no run has
 * succeeded (a first load that never finished, a tenant mistyped on the first run): then it is bound
 * anew, and that is logged. A dry run passes `record: false` (it writes nothing) and tolerates a
 * warehouse whose migrations have not created the table yet.
 */
export async function checkTenant(
  pool: Pool,
  baseUrl: string,
  logger: Logger,
  options: { readonly record: boolean },
): Promise<void> {
  const tenant = normalizeTenantUrl(baseUrl);
  const binding = await findTenantBinding(pool).catch((error: unknown) => {
    if (!options.record && findSqlState(error) === sqlState.undefinedTable) return null;
    throw error;
  });
  if (binding?.baseUrl === tenant) return;
  if (binding === null) {
    if (options.record) {
      await saveTenantBinding(pool, tenant);
      logger.info({ tenant }, "this warehouse now mirrors this tenant");
    }
    return;
  }
  if (binding.rebindable) {
    if (options.record) await saveTenantBinding(pool, tenant);
    logger.warn(
      { tenant, previousTenant: binding.baseUrl },
      options.record
        ? "the warehouse was bound to another tenant but holds no user and no succeeded run: bound to this one instead"
        : "the warehouse is bound to another tenant but holds no user and no succeeded run: a real run would bind it to this one",
    );
    return;
  }
  throw new SyncError(
    "TENANT_MISMATCH",
    `Schema ${binding.schema} (ZEPHR_SCHEMA) of this database mirrors the Zephr tenant ${binding.baseUrl}, not ${tenant} (ZEPHR_BASE_URL): refusing to mix two tenants' users, and nothing was done. ` +
      `To sync ${tenant}, point DATABASE_URL at another database, or keep it in this database under a schema of its own: set ZEPHR_SCHEMA (e.g. ZEPHR_SCHEMA=tenant_b; see "Several tenants in one database" in the README). ` +
      `A new access key of the same tenant is fine (only ZEPHR_BASE_URL names the tenant); ` +
      `if ${tenant} is the same tenant at a new address, set ${binding.schema}.sync_tenants.base_url to it.`,
  );
}
