import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { UserSelection } from "../tools/simulator/index.js";
import { normalizeElement } from "../src/sync/normalize/normalize-element.js";
import { attributeLines, grantLine, userLine } from "../src/db/copy-lines.js";
import { copyTables } from "./copy-rows.js";

/** Rows written per table, plus what the export body amounts to. */
export interface CopyFiles {
  readonly dir: string;
  readonly users: number;
  readonly attributes: number;
  readonly grants: number;
  /** Elements normalizeElement rejected (the generator makes none; non-zero means the files are off). */
  readonly rejected: number;
  /**
   * Grants whose id an earlier user listed too (the generator repeats a few ids): written for each user
   * who lists them, as the sync stores them (user_grants is keyed by user_id and grant_id).
   */
  readonly duplicateGrants: number;
  /** Size of the three files (bytes). */
  readonly bytes: number;
}

/** Appends text to a file through a ~1 MB buffer. */
class BufferedFile {
  private readonly fd: number;
  private parts: string[] = [];
  private length = 0;
  bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, "w");
  }

  write(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (this.length >= 1 << 20) this.flush();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    const buffer = Buffer.from(this.parts.join(""), "utf8");
    writeSync(this.fd, buffer);
    this.bytes += buffer.length;
    this.parts = [];
    this.length = 0;
  }
}

/** The run id written in every user row (the sync writes its own run's). */
const copyRunId = "1";

/**
 * Writes the rows the sync would store for every user of `selection` (the same export: each element is
 * serialized as the simulator serves it, parsed, and normalized by the sync's own normalizeElement) as
 * three COPY text files, so that the copy limit times nothing but COPY.
 */
export function writeCopyFiles(selection: UserSelection, dir: string, grantTimezone: string): CopyFiles {
  const [usersTable, attributesTable, grantsTable] = copyTables;
  const users = new BufferedFile(join(dir, usersTable.file));
  const attributes = new BufferedFile(join(dir, attributesTable.file));
  const grants = new BufferedFile(join(dir, grantsTable.file));
  const projection = { attributes: true, grants: true } as const;
  let userCount = 0;
  let attributeCount = 0;
  let grantCount = 0;
  let rejected = 0;
  let duplicateGrants = 0;
  const grantIds = new Set<string>();
  try {
    for (let position = 0; position < selection.count; position++) {
      const value: unknown = JSON.parse(selection.serializeAt(position, projection));
      const outcome = normalizeElement({ value, hasLossless: false, hasTooDeep: false }, { grantTimezone });
      if (!outcome.ok) {
        rejected += 1;
        continue;
      }
      const user = outcome.user;
      users.write(userLine(user, copyRunId));
      userCount += 1;
      const lines = attributeLines(user);
      attributes.write(lines.text);
      attributeCount += lines.count;
      for (const g of user.grants) {
        if (grantIds.has(g.grantId)) duplicateGrants += 1;
        grantIds.add(g.grantId);
        grants.write(grantLine(user, g));
        grantCount += 1;
      }
    }
  } finally {
    users.close();
    attributes.close();
    grants.close();
  }
  return {
    dir,
    users: userCount,
    attributes: attributeCount,
    grants: grantCount,
    rejected,
    duplicateGrants,
    bytes: users.bytes + attributes.bytes + grants.bytes,
  };
}
