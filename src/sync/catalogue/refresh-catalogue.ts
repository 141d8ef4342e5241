import type { Agent } from "node:http";
import type { ZephrConfig } from "../../config.js";
import { SyncError, describeError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { Pool, PoolClient } from "../../db/pool.js";
import { withTransaction } from "../../db/pool.js";
import { replaceCatalogueItems, type CatalogueWriteCounts } from "../../db/catalogue-items.js";
import { replaceAttributeDefinitions } from "../../db/catalogue-attribute-definitions.js";
import {
  listCatalogueSources,
  recordCatalogueFailure,
  recordCatalogueSuccess,
} from "../../db/catalogue-sources.js";
import {
  catalogueEndpoints,
  userSchemaPath,
  type CatalogueEndpoint,
  type CatalogueKind,
} from "../../zephr/catalogue/catalogue-endpoints.js";
import { readAttributeDefinition, readCatalogueItem } from "../../zephr/catalogue/catalogue-items.js";
import { describeRequestUrl } from "../../zephr/http/describe-request-url.js";
import { fetchCatalogueListing } from "../../zephr/catalogue/fetch-catalogue.js";
import { createZephrAgent } from "../../zephr/http/open-export-page.js";
import { toDatabaseError } from "../../db/database-errors.js";
import { readCaFile } from "../read-ca-file.js";

export interface CatalogueRefreshDeps {
  readonly zephr: ZephrConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  /** ms since the epoch (signatures). */
  readonly now: () => number;
  /** Waits for Retry-After; tests pass a recorder. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal | undefined;
  /** The run's keep-alive agent, if it has one; otherwise one is made for the refresh and destroyed after. */
  readonly agent?: Agent | undefined;
}

/** What a catalogue endpoint lists: one of the five catalogues, or the user schema. */
export type CatalogueSourceKind = CatalogueKind | "user_schema";

export interface CatalogueRefreshed {
  readonly endpoint: string;
  readonly kind: CatalogueSourceKind;
  /** Items (or attribute definitions) stored: every one the listing had with an id. */
  readonly items: number;
  /** Items newly flagged removed because the listing no longer had them. */
  readonly removed: number;
  /** Listed entries without a recognisable id (or slug): not stored. */
  readonly skipped: number;
}

export interface CatalogueFailed {
  readonly endpoint: string;
  readonly kind: CatalogueSourceKind;
  readonly code: string;
  readonly reason: string;
}

/** A listing this tenant does not offer (Zephr answered 404): not a failure, and said only once. */
export interface CatalogueAbsent {
  readonly endpoint: string;
  readonly kind: CatalogueSourceKind;
  readonly reason: string;
}

export interface CatalogueRefreshSummary {
  readonly refreshed: readonly CatalogueRefreshed[];
  readonly failed: readonly CatalogueFailed[];
  /** Listings answered 404: the tenant has none (the export from the same ZEPHR_BASE_URL just worked). */
  readonly absent: readonly CatalogueAbsent[];
}

interface Source {
  readonly endpoint: string;
  readonly kind: CatalogueSourceKind;
  /** Turns the listing into rows and stores them (inside the transaction); returns the counts. */
  readonly store: (
    client: PoolClient,
    items: readonly unknown[],
  ) => Promise<CatalogueWriteCounts & { skipped: number }>;
}

function catalogueSource(endpoint: CatalogueEndpoint): Source {
  return {
    endpoint: endpoint.path,
    kind: endpoint.kind,
    async store(client, items) {
      // One row per id (the last listed wins): a duplicate would make the upsert fail with 21000.
      const rows = new Map<string, { item_id: string; label: string | null; item: unknown }>();
      let skipped = 0;
      for (const raw of items) {
        const item = readCatalogueItem(endpoint, raw);
        if (item === undefined) skipped += 1;
        else rows.set(item.itemId, { item_id: item.itemId, label: item.label, item: item.item });
      }
      refuseIfNothingUsable(endpoint.path, items.length, rows.size, "an id");
      const counts = await replaceCatalogueItems(client, endpoint.kind, JSON.stringify([...rows.values()]));
      return { ...counts, skipped };
    },
  };
}

const userSchemaSource: Source = {
  endpoint: userSchemaPath,
  kind: "user_schema",
  async store(client, items) {
    const rows = new Map<string, Record<string, unknown>>();
    let skipped = 0;
    for (const raw of items) {
      const definition = readAttributeDefinition(raw);
      if (definition === undefined) {
        skipped += 1;
        continue;
      }
      rows.set(definition.slug, {
        slug: definition.slug,
        label: definition.label,
        input_type: definition.inputType,
        definition: definition.definition,
      });
    }
    refuseIfNothingUsable(userSchemaPath, items.length, rows.size, "a slug");
    const counts = await replaceAttributeDefinitions(client, JSON.stringify([...rows.values()]));
    return { ...counts, skipped };
  },
};

/**
 * A listing with entries of which none is usable is a shape we do not understand, not an empty
 * catalogue: storing it would flag every known item removed.
 */
function refuseIfNothingUsable(endpoint: string, listed: number, usable: number, what: string): void {
  if (listed > 0 && usable === 0) {
    throw new SyncError(
      "EXPORT_MALFORMED",
      `GET ${endpoint} listed ${listed} entries but none had ${what} in a known field; nothing was changed.`,
    );
  }
}

/** Not a SyncErrorCode: a listing the tenant lacks is no error (CatalogueAbsent). */
const notListedCode = "ZEPHR_NOT_LISTED";

/** The last recorded reason of each endpoint, to say a listing is absent only the first time. */
async function findPreviousReasons(pool: Pool, logger: Logger): Promise<Map<string, string | null>> {
  try {
    const rows = await listCatalogueSources(pool);
    return new Map(rows.map((row) => [row.endpoint, row.lastError]));
  } catch (error) {
    logger.debug({ err: describeError(error) }, "could not read zephr.catalogue_sources");
    return new Map();
  }
}

/** The sources a refresh reads, in order: the five catalogues, then the user schema. */
const catalogueSources: readonly Source[] = [...catalogueEndpoints.map(catalogueSource), userSchemaSource];

/**
 * Why a listing was not stored. The refresh runs only after the user export succeeded from the same
 * ZEPHR_BASE_URL, so a 404 says this tenant has no such listing (not every tenant uses meters or
 * credits): the code ZEPHR_NOT_LISTED marks it as normal rather than as a failure (CatalogueAbsent).
 */
function describeFailure(
  zephr: ZephrConfig,
  endpoint: string,
  error: unknown,
  signal: AbortSignal | undefined,
): { code: string; reason: string } {
  if (signal?.aborted === true) return { code: "CANCELLED", reason: "cancelled" };
  const url = describeRequestUrl(zephr.baseUrl, endpoint, "");
  if (error instanceof SyncError && error.httpStatus === 404) {
    return {
      code: notListedCode,
      reason:
        `This tenant has no ${endpoint} listing (Zephr answered 404 for GET ${url}, where the user export worked): ` +
        "normal for a tenant that does not use it; its names stay empty, and later runs skip it without saying so again.",
    };
  }
  if (error instanceof SyncError && error.code === "ZEPHR_FORBIDDEN") {
    return {
      code: error.code,
      reason:
        `Zephr answered 403 for GET ${url}: the key pair's admin user may not read it. ` +
        "Grant that privilege in the Zephr console to get these names; the user sync is unaffected.",
    };
  }
  if (error instanceof SyncError) return { code: error.code, reason: error.message };
  const wrapped = toDatabaseError(error, `storing ${endpoint}`);
  return { code: wrapped.code, reason: wrapped.message };
}

/**
 * Reads Zephr's catalogues (`/v3/products`, `/v3/bundles`, `/v3/entitlements`, `/v3/meters`,
 * `/v3/credits`) and user schema (`/v3/schema/users`) into zephr.catalogue_items and
 * zephr.user_attribute_definitions, one endpoint at a time, each in its own transaction. A listing that
 * fails (403, timeout, unreadable body, database error) is logged, recorded in
 * zephr.catalogue_sources and skipped, leaving what an earlier run stored; the others still refresh.
 * A listing answered 404 is one this tenant lacks: recorded the same way, but logged (info) only the
 * first time, and reported as absent rather than failed.
 * Never throws: the names are a convenience, the user sync must not depend on them.
 */
export async function refreshCatalogue(deps: CatalogueRefreshDeps): Promise<CatalogueRefreshSummary> {
  const { zephr, pool, logger } = deps;
  const refreshed: CatalogueRefreshed[] = [];
  const failed: CatalogueFailed[] = [];
  const absent: CatalogueAbsent[] = [];
  let agent = deps.agent;
  let ownAgent: Agent | undefined;
  try {
    if (agent === undefined) {
      try {
        ownAgent = createZephrAgent(zephr.baseUrl, readCaFile(zephr.caFile));
        agent = ownAgent;
      } catch (error) {
        const reason = describeError(error);
        logger.warn({ err: reason }, "catalogue refresh skipped");
        return {
          refreshed,
          absent,
          failed: catalogueSources.map((s) => ({
            endpoint: s.endpoint,
            kind: s.kind,
            code: "CONFIG_INVALID",
            reason,
          })),
        };
      }
    }
    const http = { agent, now: deps.now };
    const previousReasons = await findPreviousReasons(pool, logger);
    for (const source of catalogueSources) {
      if (deps.signal?.aborted === true) {
        failed.push({ endpoint: source.endpoint, kind: source.kind, code: "CANCELLED", reason: "cancelled" });
        continue;
      }
      try {
        const listing = await fetchCatalogueListing(
          zephr,
          {
            http,
            sleep: deps.sleep,
            signal: deps.signal,
            onRetry: (path, error, attempt, delayMs) => {
              logger.warn(
                { endpoint: path, attempt, delayMs, code: error.code, err: error.message },
                "catalogue request failed; retrying",
              );
            },
          },
          source.endpoint,
        );
        const counts = await withTransaction(pool, async (client) => {
          const stored = await source.store(client, listing.items);
          await recordCatalogueSuccess(client, source.endpoint, source.kind, stored.listed);
          return stored;
        });
        const result: CatalogueRefreshed = {
          endpoint: source.endpoint,
          kind: source.kind,
          items: counts.listed,
          removed: counts.removed,
          skipped: counts.skipped,
        };
        refreshed.push(result);
        if (counts.skipped > 0) {
          logger.warn(
            { endpoint: source.endpoint, skipped: counts.skipped },
            "catalogue entries without an id were skipped",
          );
        }
        logger.info({ ...result, pages: listing.pages }, "catalogue refreshed");
      } catch (error) {
        const { code, reason } = describeFailure(zephr, source.endpoint, error, deps.signal);
        if (code === notListedCode) {
          absent.push({ endpoint: source.endpoint, kind: source.kind, reason });
          if (previousReasons.get(source.endpoint) === reason) {
            logger.debug({ endpoint: source.endpoint }, "catalogue not offered by this tenant; skipped");
          } else {
            logger.info(
              { endpoint: source.endpoint, reason },
              "catalogue not offered by this tenant; skipped",
            );
          }
        } else {
          failed.push({ endpoint: source.endpoint, kind: source.kind, code, reason });
          logger.warn({ endpoint: source.endpoint, code, err: reason }, "catalogue refresh failed; skipped");
        }
        await recordCatalogueFailure(pool, source.endpoint, source.kind, reason).catch(
          (recordError: unknown) => {
            logger.error(
              { endpoint: source.endpoint, err: describeError(recordError) },
              "could not record the catalogue failure",
            );
          },
        );
      }
    }
    return { refreshed, failed, absent };
  } finally {
    ownAgent?.destroy();
  }
}
