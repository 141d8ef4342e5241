import type { Pool } from "./pool.js";

/** What the connected role may do with the warehouse schema, to explain a refused migration. */
export interface SchemaAccess {
  readonly schemaExists: boolean;
  /** USAGE on the schema: without it, its tables cannot even be named (nor pgmigrations read). */
  readonly schemaUsage: boolean;
  /** CREATE on the database: what `create schema` needs. */
  readonly databaseCreate: boolean;
}

/** Whether `schema` exists and what the current role may do with it and with the database. */
export async function findSchemaAccess(pool: Pool, schema: string): Promise<SchemaAccess> {
  const result = await pool.query<{
    schema_exists: boolean;
    schema_usage: boolean;
    database_create: boolean;
  }>(
    `select n.oid is not null as schema_exists,
            coalesce(has_schema_privilege(n.oid, 'usage'), false) as schema_usage,
            has_database_privilege(current_database(), 'create') as database_create
       from (select $1::text as name) wanted
       left join pg_namespace n on n.nspname = wanted.name`,
    [schema],
  );
  const row = result.rows[0];
  return {
    schemaExists: row?.schema_exists === true,
    schemaUsage: row?.schema_usage === true,
    databaseCreate: row?.database_create === true,
  };
}
