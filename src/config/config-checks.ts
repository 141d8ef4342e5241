import type { ConfigValues, VariableName } from "./config-spec.js";

/** A problem found by a check across variables: reported as `NAME message` (or `NAME="value" message`). */
export interface CrossProblem {
  readonly name: VariableName;
  readonly message: string;
  readonly value?: string;
}

/**
 * A rule between variables. It runs only when every variable it reads is read and valid (so a bad value
 * is reported once, by its own kind), and only for a command that reads all of them.
 */
export interface ConfigCheck {
  readonly reads: readonly VariableName[];
  /** Reads only the variables in `reads`. */
  readonly findProblem: (values: ConfigValues) => CrossProblem | undefined;
}

/** localhost, *.localhost, 127.0.0.0/8 or ::1: a server on this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127(\.\d{1,3}){3}$/.test(host) ||
    host === "[::1]" ||
    host === "::1"
  );
}

export const configChecks: readonly ConfigCheck[] = [
  {
    reads: ["ZEPHR_BASE_URL", "ZEPHR_ALLOW_HTTP"],
    findProblem: (values) => {
      const url = new URL(values.ZEPHR_BASE_URL);
      if (url.protocol !== "http:" || values.ZEPHR_ALLOW_HTTP || isLoopbackHost(url.hostname)) {
        return undefined;
      }
      return {
        name: "ZEPHR_BASE_URL",
        value: values.ZEPHR_BASE_URL,
        message:
          `is plain http:// to ${url.hostname}, not this machine: requests, their signatures and every ` +
          "user's data would cross the network unencrypted. Use https://, or set ZEPHR_ALLOW_HTTP=true " +
          "for a simulator or proxy on a network you trust",
      };
    },
  },
  {
    reads: ["ZEPHR_RETRY_MIN", "ZEPHR_RETRY_MAX"],
    findProblem: (values) =>
      values.ZEPHR_RETRY_MAX < values.ZEPHR_RETRY_MIN
        ? { name: "ZEPHR_RETRY_MAX", message: "must not be shorter than ZEPHR_RETRY_MIN" }
        : undefined,
  },
];
