import http from "node:http";
import https from "node:https";
import { SyncError } from "../../errors.js";
import type { ZephrConfig } from "../../config.js";
import { describeRequestUrl } from "./describe-request-url.js";
import { buildAuthorizationHeader } from "./sign-request.js";

/** An export page whose headers arrived with status 200; the body is still to be read. */
export interface OpenExportPage {
  /** Zephr's clock when it answered (HTTP Date header), if it sent a valid one (ms since the epoch). */
  readonly serverDateMs: number | undefined;
  /** Content-Length, when the server sent one (bytes). */
  readonly contentLength: number | undefined;
  /** The body, chunk by chunk. Errors mid-body surface here as SyncError. */
  readonly body: AsyncIterable<Buffer>;
}

export interface HttpDeps {
  readonly agent: http.Agent;
  readonly now: () => number;
}

/** A keep-alive agent for one run, verifying TLS certificates always (with extra CAs when configured). */
export function createZephrAgent(baseUrl: string, ca: readonly string[] | undefined): http.Agent {
  if (baseUrl.startsWith("https:")) {
    return new https.Agent({
      keepAlive: true,
      maxSockets: 2,
      rejectUnauthorized: true,
      ...(ca ? { ca: [...ca] } : {}),
    });
  }
  return new http.Agent({ keepAlive: true, maxSockets: 2 });
}

const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
]);

/**
 * OpenSSL's words for a peer that answered the TLS handshake with something else (plain HTTP's
 * "HTTP/1.1 400" read as a TLS record): the port serves no TLS, whatever CA is trusted.
 */
const notTlsCodes = new Set(["ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG"]);

/** Maps a socket-level failure to a ZEPHR_NETWORK error that names the URL (transient unless TLS). */
function networkError(error: unknown, target: string): SyncError {
  if (error instanceof SyncError) return error;
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const reason = error instanceof Error ? error.message : String(error);
  if (notTlsCodes.has(code) || /wrong version number|packet length too long/i.test(reason)) {
    const host = new URL(target).host;
    return new SyncError(
      "ZEPHR_NETWORK",
      `Could not complete GET ${target}: the server at ${host} does not speak TLS on this port (it answered the TLS handshake with something else, probably plain HTTP). ` +
        "Check ZEPHR_BASE_URL's scheme and port: Zephr is https://TENANT.api.zephr.com; a local simulator serving plain HTTP is http://.",
      { cause: error },
    );
  }
  const tlsHint = /CERT|SSL|TLS|self.signed|certificate/i.test(code + reason)
    ? " The TLS certificate was not trusted: set ZEPHR_CA_FILE to your CA bundle if a proxy re-signs traffic."
    : "";
  return new SyncError("ZEPHR_NETWORK", `Could not complete GET ${target}: ${reason}.${tlsHint}`, {
    cause: error,
    transient: tlsHint === "" && (networkCodes.has(code) || code === "" || reason === "aborted"),
  });
}

/**
 * Sends one signed GET for `path?query` and resolves once the status and headers are in. The query is
 * signed and sent byte for byte as given. No byte for `idleTimeoutMs` before the headers, or while the
 * body is being read, aborts the attempt with a transient ZEPHR_TIMEOUT; so does the time spent awaiting
 * the headers plus reading the body passing `pageTimeoutMs` (a body that trickles forever). Between the
 * two (a body not read yet: a page requested ahead, waiting for its turn) neither runs. `signal` aborts
 * the request at any point.
 */
export function openSignedGet(
  config: ZephrConfig,
  deps: HttpDeps,
  path: string,
  query: string,
  signal: AbortSignal | undefined,
  expect: "json" | "csv" = "json",
): Promise<OpenExportPage> {
  const base = new URL(config.baseUrl);
  const fullPath = base.pathname.replace(/\/$/, "") + path;
  // Messages name the URL requested, ZEPHR_BASE_URL's own path included.
  const target = describeRequestUrl(config.baseUrl, path, query);
  const authorization = buildAuthorizationHeader(
    config,
    { method: "GET", path: fullPath, query, body: "" },
    deps.now(),
  );
  const client = base.protocol === "https:" ? https : http;
  return new Promise<OpenExportPage>((resolve, reject) => {
    // Set when the idle timeout fired or `signal` aborted: the body stream then fails with a bare
    // "aborted", and this is what really happened.
    let stopped: SyncError | undefined;
    const request = client.request({
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port === "" ? undefined : Number(base.port),
      method: "GET",
      path: `${fullPath}?${query}`,
      agent: deps.agent,
      headers: {
        authorization,
        accept: expect === "json" ? "application/json" : "text/csv, text/plain;q=0.9",
        "user-agent": "zephr-sync",
      },
    });
    // Destroyed without an error, and not through request()'s `signal` option, which passes one on to
    // the socket: once a response has arrived in full (its last chunk still being handed on), its socket
    // no longer listens for errors, and that error would be uncaught. `stopped` says what happened.
    const stop = (error: SyncError) => {
      stopped ??= error;
      reject(error);
      request.destroy();
    };
    const deadline = startPageDeadline(config.pageTimeoutMs, (bytes) => {
      stop(
        new SyncError(
          "ZEPHR_TIMEOUT",
          `GET ${target} did not complete within ${config.pageTimeoutMs}ms (ZEPHR_PAGE_TIMEOUT): ` +
            (bytes === undefined ? "its headers had not arrived" : `${bytes} bytes of its body had arrived`) +
            "; aborted. If a page this large needs longer, raise ZEPHR_PAGE_TIMEOUT (0 = no limit) or lower ZEPHR_PAGE_SIZE.",
          { transient: true },
        ),
      );
    });
    request.once("close", deadline.clear);
    // What had arrived when the idle timeout fired: nothing (headers awaited), or body bytes.
    const arrived: { bodyBytes: number | undefined; contentLength: number | undefined } = {
      bodyBytes: undefined,
      contentLength: undefined,
    };
    request.setTimeout(config.idleTimeoutMs, () => {
      stop(
        new SyncError(
          "ZEPHR_TIMEOUT",
          `GET ${target} ${describeSilence(config.idleTimeoutMs, arrived.bodyBytes, arrived.contentLength)}; aborted (ZEPHR_IDLE_TIMEOUT).`,
          { transient: true },
        ),
      );
    });
    if (signal !== undefined) {
      const abort = () => {
        stop(networkError(signal.reason, target));
      };
      if (signal.aborted) abort();
      else signal.addEventListener("abort", abort, { once: true });
      // Until the response has been read to its end (a body read later still needs the signal).
      request.once("close", () => {
        signal.removeEventListener("abort", abort);
      });
    }
    request.on("error", (error) => {
      reject(networkError(error, target));
    });
    request.on("response", (response) => {
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        readSmallBody(response)
          .then((body) => {
            reject(statusError(status, target, body, response.headers, deps.now()));
          })
          .catch((error: unknown) => {
            reject(networkError(error, target));
          });
        return;
      }
      const contentType = response.headers["content-type"] ?? "";
      if (expect === "json" ? /html|text\/plain|xml/i.test(contentType) : /html|xml/i.test(contentType)) {
        readSmallBody(response)
          .then((body) => {
            reject(
              new SyncError(
                "EXPORT_MALFORMED",
                `Zephr answered GET ${target} with ${contentType} instead of ${expect === "json" ? "JSON" : "CSV"}: ${JSON.stringify(body.slice(0, 200))}. ` +
                  "Check ZEPHR_BASE_URL points at the tenant API host (https://TENANT.api.zephr.com).",
              ),
            );
          })
          .catch((error: unknown) => {
            reject(networkError(error, target));
          });
        return;
      }
      const dateMs = Date.parse(response.headers.date ?? "");
      const length = Number(response.headers["content-length"]);
      arrived.bodyBytes = 0;
      if (Number.isFinite(length)) arrived.contentLength = length;
      // A page opened ahead of its turn is not read for a while, and TCP backpressure then stops its
      // bytes: that silence is ours, not Zephr's. The idle timeout and the page deadline resume when
      // the body is read.
      request.setTimeout(0);
      deadline.pause();
      resolve({
        serverDateMs: Number.isFinite(dateMs) ? dateMs : undefined,
        contentLength: Number.isFinite(length) ? length : undefined,
        body: readBody(response, target, {
          resumeTimeouts: () => {
            request.setTimeout(config.idleTimeoutMs);
            deadline.resume();
          },
          received: (bytes) => {
            arrived.bodyBytes = (arrived.bodyBytes ?? 0) + bytes;
            deadline.received(bytes);
          },
          stopped: () => stopped,
        }),
      });
    });
    request.end();
  });
}

/**
 * What an idle timeout saw, for its message: no headers yet, headers and no body byte, or part of the
 * body (of how much, when Content-Length said) with the rest, or the end of the response, awaited.
 */
function describeSilence(
  idleMs: number,
  bodyBytes: number | undefined,
  contentLength: number | undefined,
): string {
  if (bodyBytes === undefined) return `received nothing for ${idleMs}ms while awaiting the response headers`;
  if (bodyBytes === 0) {
    return `received its headers (status 200) and then nothing for ${idleMs}ms while awaiting the body`;
  }
  if (contentLength !== undefined) {
    return (
      `received no byte for ${idleMs}ms after ${bodyBytes} of the ${contentLength} body bytes its Content-Length announced, ` +
      `while awaiting the other ${Math.max(0, contentLength - bodyBytes)}`
    );
  }
  return (
    `received no byte for ${idleMs}ms after ${bodyBytes} bytes of its body, while awaiting more or the end of the ` +
    "response (its last chunk, or the connection closing): a server that sent the whole document without ending the response never finishes it"
  );
}

interface BodyControl {
  /** The body starts being read: the idle timeout and the page deadline run again. */
  readonly resumeTimeouts: () => void;
  /** Counts body bytes, for the page deadline's message. */
  readonly received: (bytes: number) => void;
  readonly stopped: () => SyncError | undefined;
}

async function* readBody(
  response: http.IncomingMessage,
  target: string,
  control: BodyControl,
): AsyncGenerator<Buffer> {
  control.resumeTimeouts();
  try {
    for await (const chunk of response) {
      const buffer = chunk as Buffer;
      control.received(buffer.length);
      yield buffer;
    }
  } catch (error) {
    throw control.stopped() ?? networkError(error, target);
  }
  if (!response.complete) {
    throw networkError(new Error("the connection closed before the whole body arrived"), target);
  }
}

interface PageDeadline {
  /** Stops counting time (the headers are in; the body waits for its turn). */
  readonly pause: () => void;
  /** Counts time again, with what is left of the budget (the body is being read). */
  readonly resume: () => void;
  readonly received: (bytes: number) => void;
  readonly clear: () => void;
}

/**
 * ZEPHR_PAGE_TIMEOUT for one request: a budget of `timeoutMs` spent while the headers are awaited and
 * while the body is read, not in between; `onExpired` gets the body bytes received by then (undefined
 * before the headers). Running from the start; `timeoutMs` 0 means no deadline.
 */
function startPageDeadline(
  timeoutMs: number,
  onExpired: (bodyBytes: number | undefined) => void,
): PageDeadline {
  let leftMs = timeoutMs;
  let bodyBytes: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let runningSinceMs = 0;
  let cleared = timeoutMs === 0;
  const resume = () => {
    if (cleared || timer !== undefined) return;
    runningSinceMs = performance.now();
    timer = setTimeout(() => {
      cleared = true;
      onExpired(bodyBytes);
    }, leftMs);
    // Never what keeps the process alive: the request itself does.
    timer.unref();
  };
  const pause = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    leftMs = Math.max(0, leftMs - (performance.now() - runningSinceMs));
  };
  resume();
  return {
    pause,
    resume: () => {
      bodyBytes ??= 0;
      resume();
    },
    received: (bytes) => {
      bodyBytes = (bodyBytes ?? 0) + bytes;
    },
    clear: () => {
      pause();
      cleared = true;
    },
  };
}

async function readSmallBody(response: http.IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of response) {
    if (text.length < 4096) text += (chunk as Buffer).toString("utf8");
  }
  return text.slice(0, 4096);
}

function serverMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null) {
      const { message, error } = parsed as { message?: unknown; error?: unknown };
      if (typeof message === "string") return message;
      if (typeof error === "string") return error;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 300);
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

function statusError(
  status: number,
  target: string,
  body: string,
  headers: http.IncomingHttpHeaders,
  nowMs: number,
): SyncError {
  const said = serverMessage(body);
  const quoted = said === "" ? "" : ` (Zephr said: ${JSON.stringify(said)})`;
  const where = `Zephr answered ${status} for GET ${target}${quoted}`;
  if (status >= 300 && status < 400) {
    const location = headers.location;
    const to =
      location === undefined ? "without a Location header" : `redirecting to ${JSON.stringify(location)}`;
    return new SyncError(
      "ZEPHR_BAD_REQUEST",
      `Zephr answered ${status} for GET ${target}, ${to}${quoted}. Signed requests are not followed elsewhere: ` +
        "set ZEPHR_BASE_URL to the tenant API host itself (https://TENANT.api.zephr.com), the one the redirect names if it is that.",
      { httpStatus: status },
    );
  }
  if (status === 401) {
    return new SyncError(
      "ZEPHR_AUTH",
      `${where}: check ZEPHR_ACCESS_KEY / ZEPHR_SECRET_KEY and that this machine's clock is correct.`,
      { httpStatus: status },
    );
  }
  if (status === 403) {
    return new SyncError(
      "ZEPHR_FORBIDDEN",
      `${where}: the admin user that owns the key pair lacks the privilege to export users; grant it in the Zephr console.`,
      { httpStatus: status },
    );
  }
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfterMs(headers["retry-after"], nowMs);
    // Whether it is retried is for the retry loop to say (retryTransient): this may be the last attempt.
    return new SyncError("ZEPHR_UNAVAILABLE", `${where}.`, {
      transient: true,
      httpStatus: status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  const hint = status === 404 ? ": check ZEPHR_BASE_URL (https://TENANT.api.zephr.com)." : ".";
  return new SyncError("ZEPHR_BAD_REQUEST", `${where}${hint}`, { httpStatus: status });
}
