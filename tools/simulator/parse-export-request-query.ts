/** What a `GET /v3/user-export` query string asks for, once validated. */
export interface ExportRequestQuery {
  readonly attributes: boolean;
  readonly grants: boolean;
  readonly sinceMs?: number;
  readonly registeredSinceMs?: number;
  readonly registeredBeforeMs?: number;
  readonly rpp: number;
  readonly page: number;
}

export type ParsedExportRequestQuery =
  | { readonly ok: true; readonly query: ExportRequestQuery }
  | { readonly ok: false; readonly message: string };

export const defaultRpp = 500;

/** An ISO-8601 instant with a zone: `2024-01-01T00:00:00Z`, `…T00:00:00.123+01:00`. */
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses the raw query (without `?`). Values are percent-decoded first (`%3A` → `:`), and, as in any
 * form-encoded query, `+` means a space: an unencoded `+01:00` offset is therefore rejected, which is
 * what a strict server would do too. Unknown parameters (`appIds`, …) are ignored.
 */
export function parseExportRequestQuery(rawQuery: string): ParsedExportRequestQuery {
  const params = new URLSearchParams(rawQuery);
  const problems: string[] = [];

  const flag = (name: string): boolean => {
    const value = params.get(name);
    if (value === null) return false;
    const lower = value.toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
    problems.push(`${name} must be true or false, got "${value}".`);
    return false;
  };
  const instant = (name: string): number | undefined => {
    const value = params.get(name);
    if (value === null) return undefined;
    const ms = instantPattern.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) {
      problems.push(`${name} must be an ISO-8601 instant such as 2024-01-01T00:00:00Z, got "${value}".`);
      return undefined;
    }
    return ms;
  };
  const positiveInteger = (name: string, fallback: number): number => {
    const value = params.get(name);
    if (value === null) return fallback;
    if (!/^\d{1,9}$/.test(value) || Number(value) < 1) {
      problems.push(`${name} must be a positive integer, got "${value}".`);
      return fallback;
    }
    return Number(value);
  };

  const attributes = flag("attributes");
  const grants = flag("grants");
  const sinceMs = instant("since");
  const registeredSinceMs = instant("registeredSince");
  const registeredBeforeMs = instant("registeredBefore");
  const rpp = positiveInteger("rpp", defaultRpp);
  const page = positiveInteger("page", 1);

  if (problems.length > 0) return { ok: false, message: problems.join(" ") };
  return {
    ok: true,
    query: {
      attributes,
      grants,
      rpp,
      page,
      ...(sinceMs === undefined ? {} : { sinceMs }),
      ...(registeredSinceMs === undefined ? {} : { registeredSinceMs }),
      ...(registeredBeforeMs === undefined ? {} : { registeredBeforeMs }),
    },
  };
}

/** The `page` a raw query asks for (1 when absent or not a number), to match page-specific faults. */
export function findRequestedPage(rawQuery: string): number {
  const match = /(?:^|&)page=(\d{1,9})(?:&|$)/.exec(rawQuery);
  return match?.[1] === undefined ? 1 : Number(match[1]);
}

/** The same raw query with `page=` set to `page` (appended when absent); other parameters stay byte-identical. */
export function replaceQueryPage(rawQuery: string, page: number): string {
  const parts = rawQuery === "" ? [] : rawQuery.split("&");
  const index = parts.findIndex((part) => part.startsWith("page="));
  const result = [...parts];
  if (index === -1) result.push(`page=${page}`);
  else result[index] = `page=${page}`;
  return result.join("&");
}
