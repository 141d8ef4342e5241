import { randomBytes } from "node:crypto";
import pg from "pg";
import { readTestHarnessEnv } from "./test-harness-env.js";
import { withAdminClient } from "./with-admin-client.js";

export interface LoginRole {
  readonly name: string;
  /** The database URL with this role's name and password in it. */
  readonly databaseUrl: string;
  /** Drops the role; call after dropping the databases it has privileges on. */
  drop(): Promise<void>;
}

/**
 * A login role of its own with a known password (cluster-wide, so uniquely named), for processes whose
 * output must never show that password. Superuser unless `superuser: false`: then it has only what the
 * caller grants it.
 */
export async function createLoginRole(
  databaseUrl: string,
  password: string,
  options: { superuser?: boolean; prefix?: string } = {},
): Promise<LoginRole> {
  const { adminUrl } = readTestHarnessEnv();
  const name = `${options.prefix ?? "zephr_sync_rel"}_${randomBytes(4).toString("hex")}`;
  await withAdminClient(adminUrl, (admin) =>
    admin.query(
      `create role ${pg.escapeIdentifier(name)} login ${options.superuser === false ? "" : "superuser"} password ${pg.escapeLiteral(password)}`,
    ),
  );
  const url = new URL(databaseUrl);
  url.username = name;
  url.password = password;
  return {
    name,
    databaseUrl: url.toString(),
    drop: () =>
      withAdminClient(adminUrl, async (admin) => {
        await admin.query(`drop role if exists ${pg.escapeIdentifier(name)}`);
      }),
  };
}
