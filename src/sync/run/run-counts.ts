import type { RunCounts } from "../../db/sync-runs.js";

export function addCounts(a: RunCounts, b: RunCounts): RunCounts {
  return {
    pages: a.pages + b.pages,
    bytes: a.bytes + b.bytes,
    usersReceived: a.usersReceived + b.usersReceived,
    usersWritten: a.usersWritten + b.usersWritten,
    attributesWritten: a.attributesWritten + b.attributesWritten,
    grantsWritten: a.grantsWritten + b.grantsWritten,
    rejected: a.rejected + b.rejected,
  };
}
