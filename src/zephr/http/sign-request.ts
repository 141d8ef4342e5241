import { createHash, randomUUID } from "node:crypto";

/** What Zephr's ZEPHR-HMAC-SHA256 scheme signs for one request. */
export interface SignableRequest {
  readonly method: string;
  /** Path without the query, e.g. `/v3/user-export`. */
  readonly path: string;
  /** The query string exactly as sent on the wire, without the leading `?` ("" when none). */
  readonly query: string;
  /** Request body ("" for GET). */
  readonly body: string;
}

export interface SigningKeys {
  readonly accessKey: string;
  readonly secretKey: string;
}

/**
 * Zephr's documented hash: lowercase hex SHA-256 (a plain digest, not a keyed HMAC) of
 * secret + body + path + query + METHOD + timestamp + nonce, concatenated without separators.
 */
export function computeRequestHash(
  secretKey: string,
  request: SignableRequest,
  timestampMs: string,
  nonce: string,
): string {
  return createHash("sha256")
    .update(secretKey)
    .update(request.body)
    .update(request.path)
    .update(request.query)
    .update(request.method.toUpperCase())
    .update(timestampMs)
    .update(nonce)
    .digest("hex");
}

/** The `Authorization` header value for one request. `nowMs` and `nonce` are injectable for tests. */
export function buildAuthorizationHeader(
  keys: SigningKeys,
  request: SignableRequest,
  nowMs: number,
  nonce: string = randomUUID(),
): string {
  const timestamp = String(Math.trunc(nowMs));
  const hash = computeRequestHash(keys.secretKey, request, timestamp, nonce);
  return `ZEPHR-HMAC-SHA256 ${keys.accessKey}:${timestamp}:${nonce}:${hash}`;
}

export interface ParsedAuthorization {
  readonly accessKey: string;
  readonly timestampMs: string;
  readonly nonce: string;
  readonly hash: string;
}

/** Splits a `ZEPHR-HMAC-SHA256 key:ts:nonce:hash` header; undefined when it is not of that form. */
export function parseAuthorizationHeader(header: string): ParsedAuthorization | undefined {
  const match = /^ZEPHR-HMAC-SHA256 ([^:\s]+):(\d+):([^:\s]+):([0-9a-f]{64})$/.exec(header);
  if (!match) return undefined;
  const [, accessKey, timestampMs, nonce, hash] = match;
  if (accessKey === undefined || timestampMs === undefined || nonce === undefined || hash === undefined) {
    return undefined;
  }
  return { accessKey, timestampMs, nonce, hash };
}
