import { SyncError, describeError, findSqlState, sqlState } from "../errors.js";
import type { SchemaAccess } from "../db/schema-access.js";
import { toDatabaseError } from "../db/database-errors.js";

const guide = "docs/database-privileges.md";

/** Did the failure come from a missing privilege (SQLSTATE 42501)? Then describeMigrationFailure explains it. */
export function isPrivilegeFailure(error: unknown): boolean {
  return !(error instanceof SyncError) && findSqlState(error) === sqlState.insufficientPrivilege;
}

/**
 * A failure of `applyMigrations` as a SyncError that says what to do. PostgreSQL's text for a missing
 * privilege (42501) names the object refused, not the remedy, and the object misleads: a role without
 * USAGE on the schema does not see its bookkeeping table, so the migrations look pending and the
 * `create schema` they start with is refused on the database. What the role may do (`access`, read after
 * the failure; undefined if that failed too) tells the cases apart:
 * - the schema exists and the role has no USAGE on it: nothing needed applying, the role lacks the
 *   job's grants;
 * - the schema does not exist and the role has no CREATE on the database: the owner must create it,
 *   with `zephr-sync migrate`;
 * - otherwise: a migration is pending that only the owner may apply.
 */
export function describeMigrationFailure(
  error: unknown,
  schema: string,
  access: SchemaAccess | undefined,
): SyncError {
  if (!isPrivilegeFailure(error)) return toDatabaseError(error, "applying migrations");
  const refused = describeError(error);
  const lacksUsage =
    access === undefined
      ? /permission denied for (schema|table|relation|sequence)\b/i.test(refused)
      : access.schemaExists && !access.schemaUsage;
  if (lacksUsage) {
    const wrapped = toDatabaseError(error, `checking for pending migrations in schema ${schema}`);
    return new SyncError(
      wrapped.code,
      `${wrapped.message} No migration was being applied: the role in DATABASE_URL has no usage on schema ${schema}, ` +
        "so it cannot even read which migrations were applied. It lacks the grants a job needs (usage on the schema; " +
        "select, insert, update and delete on its tables; usage on its sequences): grant them as the owner of the " +
        `schema, as ${guide} shows.`,
      { cause: error },
    );
  }
  const wrapped = toDatabaseError(error, "applying migrations");
  const cannotCreate =
    access === undefined
      ? /permission denied for database\b/i.test(refused)
      : !access.schemaExists && !access.databaseCreate;
  const remedy = cannotCreate
    ? `Schema ${schema} does not exist yet, and the role in DATABASE_URL may not create it (it has no CREATE on the database). ` +
      "Run 'zephr-sync migrate' once as the owner (a role with CREATE on the database, which then owns the schema), " +
      `then this command as this role; ${guide} lists what each role needs.`
    : `A migration is pending that only the owner of schema ${schema} may apply: run 'zephr-sync migrate' as the owner ` +
      `first (after every upgrade of zephr-sync), then this command as this role; see ${guide}.`;
  return new SyncError(wrapped.code, `${wrapped.message} ${remedy}`, { cause: error });
}
