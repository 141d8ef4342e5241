/**
 * The migrations are written for schema zephr and, once landed, never edited. A warehouse in another
 * schema (ZEPHR_SCHEMA) applies the same files with their schema rewritten by this function, so a
 * migration must name its schema only in the two forms below (see the comment of migrateDatabase):
 *
 * - `zephr.` before a name: `zephr.users`, `zephr.try_date(…)`, also inside strings such as
 *   `to_regclass('zephr.pgmigrations')` or the text of a comment;
 * - `schema zephr` (or `schema if [not] exists zephr`): `create schema if not exists zephr`, `grant usage on schema zephr to …`,
 *   `alter default privileges in schema zephr …`, `drop schema zephr cascade`.
 *
 * Both become the schema's quoted name (`"tenant_b".users`, `schema "tenant_b"`). `zephr_analyst` (the
 * analysts' role, shared by every schema of the database) and `zephr-sync` are not the schema and stay.
 * Any other mention of the word zephr (`'zephr'`, `"zephr"`, `search_path = zephr`, `zephr;` …) would
 * silently keep meaning schema zephr, so it is refused, naming the file and line.
 */
export function rewriteMigrationSchema(sql: string, schema: string, file: string): string {
  const quoted = `"${schema}"`;
  const rewritten = sql
    .replace(/\bzephr\.(?=[a-z_])/g, `${quoted}.`)
    .replace(/\bschema( if (?:not )?exists)? zephr\b(?![-_])/g, `schema$1 ${quoted}`);
  const lines = rewritten.split("\n");
  const index = lines.findIndex((line) => /\bzephr\b(?!-)/.test(line.replace(/\bzephr_analyst\b/g, "")));
  if (index !== -1) {
    throw new Error(
      `Migration ${file}, line ${index + 1}, names schema zephr in a way that cannot be rewritten for ` +
        `ZEPHR_SCHEMA=${schema}: write \`zephr.NAME\` or \`schema zephr\` (see src/db/rewrite-migration-schema.ts). ` +
        `The line: ${(lines[index] ?? "").trim()}`,
    );
  }
  return rewritten;
}
