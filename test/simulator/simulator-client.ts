import { request, type IncomingHttpHeaders } from "node:http";

import type { ZephrSimulator } from "../../tools/simulator/index.js";
import { buildAuthorizationHeader } from "../../src/zephr/http/sign-request.js";

/** What came back, including what arrived before a connection error. */
export interface RawResponse {
  /** 0 when no response head arrived. */
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** True when the body ended cleanly. */
  readonly complete: boolean;
  /** The socket error, if the exchange ended in one (e.g. ECONNRESET). */
  readonly errorCode: string | undefined;
  readonly text: string;
}

export const testKeys = { accessKey: "test-access-key", secretKey: "test-secret-key" } as const;
export const exportPath = "/v3/user-export";

/** A request with exactly this target on the wire (no URL normalisation), on a fresh connection. */
export function getRaw(
  baseUrl: string,
  target: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let responseHeaders: IncomingHttpHeaders = {};
    let settled = false;
    const settle = (complete: boolean, errorCode?: string): void => {
      if (settled) return;
      settled = true;
      const body = Buffer.concat(chunks);
      resolve({ status, headers: responseHeaders, body, complete, errorCode, text: body.toString("utf8") });
    };
    const req = request(
      { host: url.hostname, port: url.port, method, path: target, headers, agent: false },
      (res) => {
        status = res.statusCode ?? 0;
        responseHeaders = res.headers;
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          settle(true);
        });
        res.on("error", (error: NodeJS.ErrnoException) => {
          settle(false, error.code ?? error.message);
        });
        res.on("close", () => {
          settle(false, "CLOSED");
        });
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      settle(false, error.code ?? error.message);
    });
    req.end();
  });
}

export interface SignOptions {
  readonly nowMs: number;
  readonly nonce?: string;
  readonly accessKey?: string;
  readonly secretKey?: string;
  readonly path?: string;
}

/** A correctly signed GET of `path?query` (default the export path), as the sync's client sends it. */
export function signedGet(
  simulator: ZephrSimulator,
  query: string,
  options: SignOptions,
): Promise<RawResponse> {
  const path = options.path ?? exportPath;
  const authorization = buildAuthorizationHeader(
    {
      accessKey: options.accessKey ?? testKeys.accessKey,
      secretKey: options.secretKey ?? testKeys.secretKey,
    },
    { method: "GET", path, query, body: "" },
    options.nowMs,
    ...(options.nonce === undefined ? [] : [options.nonce]),
  );
  return getRaw(simulator.url, query === "" ? path : `${path}?${query}`, { authorization });
}

/** The parsed JSON body, failing the test with the body's start when it is not JSON. */
export function parseJson(response: RawResponse): unknown {
  try {
    return JSON.parse(response.text) as unknown;
  } catch {
    throw new Error(`Expected JSON, got ${response.status}: ${response.text.slice(0, 200)}`);
  }
}

/** The object envelope of a response, typed loosely for assertions. */
export interface ObjectEnvelope {
  results: unknown[];
  meta: { count: number; rpp: number; paginated: boolean };
  links: Record<string, { url: string; page: number } | null | undefined>;
}

export function parseEnvelope(response: RawResponse): ObjectEnvelope {
  return parseJson(response) as ObjectEnvelope;
}

/** user_id of an element, for comparing orders. */
export function userIdOf(element: unknown): string {
  return (element as { user: { user_id: string } }).user.user_id;
}

/** A minimal well-formed element for tests that do not need a generated one. */
export function makeElement(userId: string, registered = "2021-02-24T15:43:28Z"): Record<string, unknown> {
  return {
    user: {
      user_id: userId,
      identifiers: { email_address: `${userId}@example.com` },
      email_verified: false,
      registered,
      attributes: { "first-name": "Joe", surname: "Blow" },
    },
    "seq-no": 17,
    grants: {
      results: [{ grantId: `grant-${userId}`, expiry_state: "active", startTime: "2022-06-01 00:00:00" }],
    },
  };
}
