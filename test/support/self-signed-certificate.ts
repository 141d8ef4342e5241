import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SelfSignedCertificate {
  readonly key: string;
  readonly cert: string;
  /** The certificate's PEM file (what ZEPHR_CA_FILE names). */
  readonly certFile: string;
  /** Deletes the files. */
  remove(): void;
}

/** A fresh self-signed certificate for 127.0.0.1 (openssl, RSA 2048, valid one day) in a temp dir. */
export function createSelfSignedCertificate(): SelfSignedCertificate {
  const dir = mkdtempSync(join(tmpdir(), "zephr-sync-tls-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  return {
    key: readFileSync(keyFile, "utf8"),
    cert: readFileSync(certFile, "utf8"),
    certFile,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
