import { parseArgs } from "node:util";

import type { SimulatorOptions } from "./start-zephr-simulator.js";

export const simulatorUsage = `Usage: node dist/tools/simulator/main.js [options]

Runs a Zephr Admin API simulator (GET /v3/user-export, HMAC-signed) until SIGINT or SIGTERM.

Options:
  --users N          generated users to serve (default 1000)
  --seed S           generator seed, an integer (default 1)
  --port P           port to listen on (default 0: any free port)
  --host H           address to listen on (default 127.0.0.1)
  --envelope E       array | object | nested (default object)

Server variants (each a way a real Zephr may answer; see SimulatorOptions):
  --max-page-size N  answer an rpp above N with N users per page (meta.rpp says N)
  --min-page-size N  answer an rpp below N with N users per page
  --next-link L      absolute | relative | page-only: how links.* are written (default absolute)
  --last-page-next X absent | null: links.next on the last page (default absent)
  --links X          present | omitted: the links object (default present)
  --meta X           present | omitted: the meta object (default present)
  --count C          total | page | absent: what meta.count says (default total)
  --ignore-page      honour rpp but serve the first users on every page (a broken server)
  --shared-grants N  company accounts of N users whose grant each member lists
  --grant-user-ids X own | other: the user_id inside each grant (default own)
  --date-header X    ok | missing: the Date header (default ok)
  --date-skew-ms MS  date every response MS milliseconds off the clock (e.g. 2366841600000: 2099)
  --help             show this text

Environment:
  ZEPHR_ACCESS_KEY   access key the simulator accepts (default demo-access-key)
  ZEPHR_SECRET_KEY   secret key it verifies signatures with (default demo-secret-key)

Prints the URL to use as the Zephr base URL on its first line.`;

export type SimulatorCommand =
  | { readonly kind: "help" }
  | { readonly kind: "usage-error"; readonly problems: readonly string[] }
  | {
      readonly kind: "run";
      readonly options: SimulatorOptions & { readonly users: { count: number; seed: number } };
    };

/** Reads `--users N --seed S --port P …` and the key variables; lists every problem at once. */
export function parseSimulatorArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): SimulatorCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        users: { type: "string" },
        seed: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        envelope: { type: "string" },
        "max-page-size": { type: "string" },
        "min-page-size": { type: "string" },
        "next-link": { type: "string" },
        "last-page-next": { type: "string" },
        links: { type: "string" },
        meta: { type: "string" },
        count: { type: "string" },
        "ignore-page": { type: "boolean" },
        "shared-grants": { type: "string" },
        "grant-user-ids": { type: "string" },
        "date-header": { type: "string" },
        "date-skew-ms": { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    // Not `instanceof Error`: under jest, node's own errors come from another realm.
    const message = (error as { message?: unknown }).message;
    return { kind: "usage-error", problems: [typeof message === "string" ? message : String(error)] };
  }
  if (values.help === true) return { kind: "help" };

  const problems: string[] = [];
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = values[name];
    if (typeof raw !== "string") return fallback;
    if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`--${name} must be an integer from ${min} to ${max}, got "${raw}".`);
      return fallback;
    }
    return Number(raw);
  };
  const count = integer("users", 1000, 0, 2 ** 32 - 1);
  const seed = integer("seed", 1, -(2 ** 31), 2 ** 31 - 1);
  const port = integer("port", 0, 0, 65_535);
  const envelope = values.envelope ?? "object";
  if (envelope !== "array" && envelope !== "object" && envelope !== "nested") {
    problems.push(`--envelope must be array, object or nested, got "${String(envelope)}".`);
  }
  const optionalInteger = (name: string, min: number, max: number): number | undefined =>
    typeof values[name] === "string" ? integer(name, min, min, max) : undefined;
  const choice = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const raw = values[name];
    if (typeof raw !== "string") return undefined;
    const found = allowed.find((value) => value === raw);
    if (found === undefined) problems.push(`--${name} must be ${allowed.join(" | ")}, got "${raw}".`);
    return found;
  };
  const maxPageSize = optionalInteger("max-page-size", 1, 1_000_000_000);
  const minPageSize = optionalInteger("min-page-size", 1, 1_000_000_000);
  const nextLink = choice("next-link", ["absolute", "relative", "page-only"] as const);
  const lastPageNext = choice("last-page-next", ["absent", "null"] as const);
  const links = choice("links", ["present", "omitted"] as const);
  const meta = choice("meta", ["present", "omitted"] as const);
  const metaCount = choice("count", ["total", "page", "absent"] as const);
  const membersPerAccount = optionalInteger("shared-grants", 2, 1_000_000);
  const grantUserIds = choice("grant-user-ids", ["own", "other"] as const);
  const dateHeader = choice("date-header", ["ok", "missing"] as const);
  const skewMs = optionalInteger("date-skew-ms", -(2 ** 52), 2 ** 52);
  if (dateHeader === "missing" && skewMs !== undefined) {
    problems.push("--date-skew-ms needs a Date header: leave out --date-header missing.");
  }
  if (problems.length > 0) return { kind: "usage-error", problems };

  return {
    kind: "run",
    options: {
      accessKey: nonEmpty(env.ZEPHR_ACCESS_KEY) ?? "demo-access-key",
      secretKey: nonEmpty(env.ZEPHR_SECRET_KEY) ?? "demo-secret-key",
      host: typeof values.host === "string" ? values.host : "127.0.0.1",
      port,
      envelope: envelope === "array" || envelope === "nested" ? envelope : "object",
      users: { count, seed },
      ...(maxPageSize === undefined ? {} : { maxPageSize }),
      ...(minPageSize === undefined ? {} : { minPageSize }),
      ...(nextLink === undefined ? {} : { nextLink }),
      ...(lastPageNext === undefined ? {} : { lastPageNext }),
      ...(links === undefined ? {} : { links }),
      ...(meta === undefined ? {} : { meta }),
      ...(metaCount === undefined ? {} : { count: metaCount }),
      ...(values["ignore-page"] === true ? { ignorePage: true } : {}),
      ...(membersPerAccount === undefined ? {} : { sharedGrants: { membersPerAccount } }),
      ...(grantUserIds === undefined ? {} : { grantUserIds }),
      ...(skewMs === undefined
        ? dateHeader === undefined
          ? {}
          : { dateHeader }
        : { dateHeader: { skewMs } }),
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
