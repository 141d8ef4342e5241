import type { PoolClient } from "./pool.js";

/** Records rejected elements (JSON array of {page, user_id, reason, element}) for a run, in one statement. */
export async function insertRejects(client: PoolClient, runId: string, rejectsJson: string): Promise<void> {
  await client.query(
    `insert into sync_rejects (run_id, page, user_id, reason, element)
     select $1::bigint, t.page, t.user_id, t.reason, t.element
       from json_to_recordset($2::json) as t(page integer, user_id text, reason text, element text)`,
    [runId, rejectsJson],
  );
}
