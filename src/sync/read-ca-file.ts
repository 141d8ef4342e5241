import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { SyncError, describeError } from "../errors.js";

/** Node's own CA list plus the PEM file named by ZEPHR_CA_FILE, or undefined (Node's defaults) when none. */
export function readCaFile(path: string | undefined): string[] | undefined {
  if (path === undefined) return undefined;
  try {
    return [...rootCertificates, readFileSync(path, "utf8")];
  } catch (error) {
    throw new SyncError(
      "CONFIG_INVALID",
      `Cannot read ZEPHR_CA_FILE ${JSON.stringify(path)}: ${describeError(error)}`,
    );
  }
}
