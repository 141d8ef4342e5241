import { parseArgs } from "node:util";

import type { SimulatorOptions } from "./start-zephr-simulator.js";

export const simulatorUsage = `Usage: node dist/src/simulator/main.js [options]

Runs a Zephr Admin API simulator (GET /v3/user-export, HMAC-signed) until SIGINT or SIGTERM.

Options:
  --users N          generated users to serve (default 1000)
  --seed S           generator seed, an integer (default 1)
  --port P           port to listen on (default 0: any free port)
  --host H           address to listen on (default 127.0.0.1)
  --envelope E       array | object | nested (default object)
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
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
