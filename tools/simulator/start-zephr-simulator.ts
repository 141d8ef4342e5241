import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";

import { describeError } from "../../src/errors.js";
import type { FaultKind } from "./fault-queue.js";
import { FaultQueue } from "./fault-queue.js";
import { baseHeaders, sendJson, type DateHeader, type Exchange } from "./exchange.js";
import type { GrantUserIds, SharedGrantsOptions } from "./account-grants.js";
import {
  defaultExportShape,
  type ExportShape,
  type MetaCountStyle,
  type NextLinkStyle,
} from "./export-shape.js";
import { handleExportRequest, type ExportEndpoint } from "./handle-export-request.js";
import { SignatureVerifier } from "./signature-verifier.js";
import { SimulatorStore, type SeedGeneratedOptions } from "./simulator-store.js";
import { SimulatorCatalogue, isCatalogueListingPath } from "./catalogue-store.js";
import { handleCatalogueRequest } from "./catalogue-handler.js";
import { SimulatorStateEvents } from "./state-events-store.js";
import { handleStateEventsRequest } from "./state-events-handler.js";
import type { ExportEnvelope } from "./write-export-body.js";

export interface SimulatorOptions {
  readonly accessKey: string;
  readonly secretKey: string;
  /** Default "127.0.0.1". */
  readonly host?: string;
  /** Default 0: an ephemeral port (read it from `url`). */
  readonly port?: number;
  /** ms since the epoch: the `Date` header, updatedAt of mutations, the signature skew check. */
  readonly clock?: () => number;
  /** Default "object". */
  readonly envelope?: ExportEnvelope;
  /** Answer every request with all selected users (meta/links still follow rpp/page). Default false. */
  readonly ignorePaging?: boolean;
  /**
   * A broken server: honour `rpp` but ignore `page`, so every page holds the same first users while
   * `meta.count` still says the total and `links.next` is present until the last page. Default false.
   */
  readonly ignorePage?: boolean;
  /**
   * A page cap: an `rpp` above N is answered with N users per page. `meta.rpp` says N, page k holds
   * users [(k−1)·N, k·N), and `links`/`meta` count pages of N. Default: no cap.
   */
  readonly maxPageSize?: number;
  /**
   * A page floor: an `rpp` below N is answered with N users per page (more than asked), `meta.rpp`
   * says N and offsets follow it, as with the cap. Default: no floor.
   */
  readonly minPageSize?: number;
  /**
   * How every `links.*` entry is written: "absolute" `{"url": "http://host:port/v3/user-export?…",
   * "page": k}` (default); "relative" `{"url": "/v3/user-export?…", "page": k}`; "page-only" `{"page": k}`.
   * The url is the request's own query with only `page` changed (a capped `rpp` stays as asked).
   */
  readonly nextLink?: NextLinkStyle;
  /** How `links.next` (and `links.previous` on page 1) look when there is none. Default "absent". */
  readonly lastPageNext?: "absent" | "null";
  /** "omitted": the object envelopes carry no `links` at all (meta only). Default "present". */
  readonly links?: "present" | "omitted";
  /** "omitted": the object envelopes carry no `meta` at all. Default "present". */
  readonly meta?: "present" | "omitted";
  /**
   * What `meta.count` says: "total" the users the export selects (default), "page" the number of
   * results on this page, "absent" no `count` key.
   */
  readonly count?: MetaCountStyle;
  /**
   * The `Date` header of every response: "ok" clock() (default), "missing" none, `{ skewMs }` clock()
   * + skewMs (e.g. 75 years: a response dated 2099). The signature check still uses clock().
   */
  readonly dateHeader?: DateHeader;
  /**
   * Company accounts among generated users (the `users` option and `store.seedGenerated`): each account
   * holding a grant has it listed, same grant id, under every member. Stored in each member's element,
   * so the store's grants are still each user's whole current list. Default: none.
   */
  readonly sharedGrants?: SharedGrantsOptions;
  /** What generated grants' own `user_id` says: "own" the user (default) or "other" (see GrantUserIds). */
  readonly grantUserIds?: GrantUserIds;
  /** Largest accepted |signature timestamp − clock()|, default 5 minutes; beyond it, 401. */
  readonly maxSkewMs?: number;
  /** Default false: `since` selects updatedAt > since (and `registeredSince` registeredAt > it); true: ≥. */
  readonly sinceInclusive?: boolean;
  /** Largest inner array of the nested envelope, default 100. */
  readonly nestedGroupSize?: number;
  /** Generated users to seed the store with (lazily built; a million cost a few MB). */
  readonly users?: SeedGeneratedOptions;
  /** Serve HTTPS with this PEM key and certificate (e.g. self-signed, to test certificate checks). */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** The options that say how the export is paged and described, and how responses are dated. */
export type ServerVariantOptions = Pick<
  SimulatorOptions,
  | "ignorePaging"
  | "ignorePage"
  | "maxPageSize"
  | "minPageSize"
  | "nextLink"
  | "lastPageNext"
  | "links"
  | "meta"
  | "count"
  | "dateHeader"
>;

/** One request as the simulator saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** Raw path, without the query. */
  readonly path: string;
  /** Raw query string as received (no `?`, not decoded). */
  readonly query: string;
  /** Status answered; 0 when the connection was reset without an answer. */
  readonly status: number;
  /** clock() when answered. */
  readonly atMs: number;
  /** The fault that shaped the answer, if one did. */
  readonly fault?: FaultKind;
}

export interface ZephrSimulator {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`), no trailing slash. */
  readonly url: string;
  readonly store: SimulatorStore;
  readonly faults: FaultQueue;
  /** The catalogue listings (/v3/products, …) and user schema (/v3/schema/users). */
  readonly catalogue: SimulatorCatalogue;
  /** The state events export (GET /v4/user-export?eventsExport=true), CSV. */
  readonly stateEvents: SimulatorStateEvents;
  /** Every request in order of answer; tests may clear it (`requests.length = 0`). */
  readonly requests: RecordedRequest[];
  /**
   * Switches the server's variant for requests that arrive from now on (a deploy on Zephr's side, or a
   * proxy put in front): the given options replace the current ones, the others stay. Throws on bad values.
   */
  reshape(options: ServerVariantOptions): void;
  /** Stops listening and destroys every open connection, stalled ones included. Idempotent. */
  close(): Promise<void>;
}

export const exportPath = "/v3/user-export";
export const stateEventsExportPath = "/v4/user-export";

/** Starts a Zephr Admin API simulator (user export, catalogue listings, state events) on loopback. */
export async function startZephrSimulator(options: SimulatorOptions): Promise<ZephrSimulator> {
  const clock = options.clock ?? Date.now;
  const host = options.host ?? "127.0.0.1";
  // Checked before listening, so bad options leave no server behind.
  let variant: ServerVariantOptions = options;
  let shape = readExportShape(variant);
  const store = new SimulatorStore(clock, {
    ...(options.sharedGrants === undefined ? {} : { sharedGrants: options.sharedGrants }),
    ...(options.grantUserIds === undefined ? {} : { grantUserIds: options.grantUserIds }),
  });
  if (options.users !== undefined) store.seedGenerated(options.users);
  const faults = new FaultQueue();
  const catalogue = new SimulatorCatalogue(store);
  const stateEvents = new SimulatorStateEvents();
  const requests: RecordedRequest[] = [];
  const shutdown = new AbortController();
  // One listener per open response: many concurrent requests are normal, not a leak.
  setMaxListeners(0, shutdown.signal);
  const sockets = new Set<Socket>();

  const verifier = new SignatureVerifier({
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    clock,
    maxSkewMs: options.maxSkewMs ?? 5 * 60_000,
  });

  const server = options.tls === undefined ? createServer() : createTlsServer(options.tls);
  // With TLS, "connection" gives the raw TCP socket: destroying it on close ends the TLS session too.
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const scheme = options.tls === undefined ? "http" : "https";
  const baseUrl = `${scheme}://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  const endpoint: ExportEndpoint = {
    store,
    faults,
    verifier,
    clock,
    // Getters: reshape() applies to requests that arrive after it (each copies the endpoint it is given).
    get dateHeader() {
      return variant.dateHeader ?? "ok";
    },
    envelope: options.envelope ?? "object",
    get shape() {
      return shape;
    },
    sinceInclusive: options.sinceInclusive ?? false,
    nestedGroupSize: options.nestedGroupSize ?? 100,
    baseUrl,
  };
  // Attached only now that `baseUrl` is known; no connection is accepted before this tick ends.
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    // Every answer sets its own `Date` (baseHeaders): node's would defeat dateHeader "missing".
    res.sendDate = false;
    void handleRequest(endpoint, { catalogue, stateEvents }, req, res, requests, shutdown.signal);
  });

  let closed: Promise<void> | undefined;
  return {
    url: baseUrl,
    store,
    faults,
    catalogue,
    stateEvents,
    requests,
    reshape(changes: ServerVariantOptions): void {
      const next = { ...variant, ...changes };
      shape = readExportShape(next);
      variant = next;
    },
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function readExportShape(options: ServerVariantOptions): ExportShape {
  for (const [name, size] of [
    ["maxPageSize", options.maxPageSize],
    ["minPageSize", options.minPageSize],
  ] as const) {
    if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
      throw new RangeError(`${name} must be a positive integer, got ${size}`);
    }
  }
  return Object.freeze({
    ignorePaging: options.ignorePaging ?? defaultExportShape.ignorePaging,
    ignorePage: options.ignorePage ?? defaultExportShape.ignorePage,
    maxPageSize: options.maxPageSize,
    minPageSize: options.minPageSize,
    nextLink: options.nextLink ?? defaultExportShape.nextLink,
    lastPageNext: options.lastPageNext ?? defaultExportShape.lastPageNext,
    links: options.links ?? defaultExportShape.links,
    meta: options.meta ?? defaultExportShape.meta,
    count: options.count ?? defaultExportShape.count,
  });
}

async function handleRequest(
  endpoint: ExportEndpoint,
  listings: { readonly catalogue: SimulatorCatalogue; readonly stateEvents: SimulatorStateEvents },
  req: IncomingMessage,
  res: ServerResponse,
  requests: RecordedRequest[],
  shutdownSignal: AbortSignal,
): Promise<void> {
  const target = req.url ?? "/";
  const queryStart = target.indexOf("?");
  const method = req.method ?? "GET";
  const path = queryStart === -1 ? target : target.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? "" : target.slice(queryStart + 1);
  // Aborts when this response's connection closes or the whole simulator shuts down.
  const aborted = new AbortController();
  const abort = (): void => {
    aborted.abort();
  };
  shutdownSignal.addEventListener("abort", abort, { once: true });
  res.once("close", () => {
    shutdownSignal.removeEventListener("abort", abort);
    abort();
  });
  const exchange: Exchange = {
    req,
    res,
    method,
    path,
    rawQuery,
    signal: aborted.signal,
    record: (status, fault) => {
      requests.push({
        method,
        path,
        query: rawQuery,
        status,
        atMs: endpoint.clock(),
        ...(fault && { fault }),
      });
    },
  };
  // A GET has no body worth reading, but an unread one would stall a keep-alive connection.
  req.resume();

  try {
    const isStateEvents =
      path === stateEventsExportPath && new URLSearchParams(rawQuery).get("eventsExport") === "true";
    if (path !== exportPath && !isStateEvents && !isCatalogueListingPath(path)) {
      await sendJson(endpoint, exchange, 404, { message: `No route for ${method} ${path}.` });
    } else if (method !== "GET") {
      res.setHeader("allow", "GET");
      await sendJson(endpoint, exchange, 405, { message: `${method} is not allowed on ${path}; use GET.` });
    } else if (isStateEvents) {
      await handleStateEventsRequest({ ...endpoint, stateEvents: listings.stateEvents }, exchange);
    } else if (isCatalogueListingPath(path)) {
      await handleCatalogueRequest({ ...endpoint, catalogue: listings.catalogue }, exchange, path);
    } else {
      await handleExportRequest(endpoint, exchange);
    }
  } catch (error) {
    // A bug in the simulator: say so to the client rather than crash the test run.
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, baseHeaders(endpoint, "application/json"));
      exchange.record(500);
      res.end(JSON.stringify({ message: `Simulator error: ${describeError(error)}` }));
    } else {
      res.destroy();
    }
  }
}
