/**
 * Most of a rejected element kept in zephr.sync_rejects.element (bytes of UTF-8): an element beyond it
 * is cut there and marked element_truncated, so that a hostile or broken export cannot fill the table
 * (or a batch's memory) with rejects. Zephr's elements are a few kilobytes.
 */
export const maxRejectElementBytes = 262_144;

/** One row of zephr.sync_rejects as insertRejects takes it. */
export interface RejectRow {
  readonly page: number;
  readonly user_id: string | null;
  readonly reason: string;
  readonly element: string;
  readonly element_truncated: boolean;
  readonly element_bytes: number;
}

/**
 * The reject row of an element: its compact JSON as received (ScannedElement.json), cut after
 * maxRejectElementBytes at a character boundary when longer, and its reasons joined by "; ".
 */
export function toRejectRow(
  page: number,
  userId: string | null,
  reasons: readonly string[],
  json: Buffer,
): RejectRow {
  let end = json.length;
  if (end > maxRejectElementBytes) {
    end = maxRejectElementBytes;
    while (end > 0 && ((json[end] ?? 0) & 0xc0) === 0x80) end -= 1; // not inside a character
  }
  return {
    page,
    user_id: userId,
    reason: reasons.join("; "),
    element: json.toString("utf8", 0, end),
    element_truncated: end < json.length,
    element_bytes: json.length,
  };
}
