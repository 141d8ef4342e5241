import { timingSafeEqual } from "node:crypto";

import {
  computeRequestHash,
  parseAuthorizationHeader,
  type SignableRequest,
} from "../../src/zephr/http/sign-request.js";

/** The verdict on one request's `Authorization` header; `reason` becomes the 401 body's message. */
export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface SignatureVerifierOptions {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly clock: () => number;
  /** Largest accepted |timestamp − clock()| in ms. */
  readonly maxSkewMs: number;
}

/** Beyond this many remembered nonces, those whose timestamp left the skew window are forgotten. */
const nonceSweepThreshold = 10_000;

/**
 * Checks `ZEPHR-HMAC-SHA256 {accessKey}:{timestamp}:{nonce}:{hash}` as Zephr documents it, and refuses a
 * nonce seen before. Only well-signed requests use up their nonce, so a bad attempt cannot block a good one.
 */
export class SignatureVerifier {
  readonly #options: SignatureVerifierOptions;
  /** nonce → its request's timestamp (ms), for sweeping. */
  readonly #seenNonces = new Map<string, number>();

  constructor(options: SignatureVerifierOptions) {
    this.#options = options;
  }

  verify(header: string | undefined, request: SignableRequest): SignatureCheck {
    if (header === undefined || header === "") {
      return { ok: false, reason: "Missing Authorization header (expected ZEPHR-HMAC-SHA256 …)." };
    }
    const parsed = parseAuthorizationHeader(header);
    if (parsed === undefined) {
      return {
        ok: false,
        reason:
          "Malformed Authorization header: expected ZEPHR-HMAC-SHA256 {accessKey}:{timestamp}:{nonce}:{hash}.",
      };
    }
    if (parsed.accessKey !== this.#options.accessKey) return { ok: false, reason: "Unknown access key." };

    const now = this.#options.clock();
    const timestampMs = Number(parsed.timestampMs);
    if (Math.abs(timestampMs - now) > this.#options.maxSkewMs) {
      return {
        ok: false,
        reason: `Request timestamp ${parsed.timestampMs} is more than ${this.#options.maxSkewMs} ms away from the server clock (${now}).`,
      };
    }

    const expected = computeRequestHash(this.#options.secretKey, request, parsed.timestampMs, parsed.nonce);
    if (!timingSafeEqual(Buffer.from(expected, "latin1"), Buffer.from(parsed.hash, "latin1"))) {
      return { ok: false, reason: "Invalid request signature." };
    }

    if (this.#seenNonces.has(parsed.nonce)) return { ok: false, reason: "Nonce already used." };
    this.#remember(parsed.nonce, timestampMs, now);
    return { ok: true };
  }

  #remember(nonce: string, timestampMs: number, now: number): void {
    if (this.#seenNonces.size >= nonceSweepThreshold) {
      for (const [seen, seenAtMs] of this.#seenNonces) {
        // A replay of these would fail the skew check anyway.
        if (Math.abs(seenAtMs - now) > this.#options.maxSkewMs) this.#seenNonces.delete(seen);
      }
    }
    this.#seenNonces.set(nonce, timestampMs);
  }
}
