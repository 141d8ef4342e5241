import type { PoolClient } from "./pool.js";

/**
 * Records rejected elements for a run, in one statement: a JSON array of {page, user_id, reason,
 * element, element_truncated, element_bytes} (src/sync/normalize/reject-row.ts).
 */
export async function insertRejects(client: PoolClient, runId: string, rejectsJson: string): Promise<void> {
  await client.query(
    `insert into sync_rejects (run_id, page, user_id, reason, element, element_truncated, element_bytes)
     select $1::bigint, t.page, t.user_id, t.reason, t.element, t.element_truncated, t.element_bytes
       from json_to_recordset($2::json)
         as t(page integer, user_id text, reason text, element text, element_truncated boolean, element_bytes integer)`,
    [runId, rejectsJson],
  );
}
