import { sectionCommands, type Variable } from "./config-spec.js";

/**
 * How `--help` and the README show what an unset variable reads as: its default (marked up by `code`:
 * backticks in the README, nothing in `--help`), `(required)`, `(required for run, …)`, `(none)` or
 * `(off)`.
 */
export function describeUnset(variable: Variable, code: (text: string) => string): string {
  if ("default" in variable) return code(variable.default);
  if ("unset" in variable) return `(${variable.unset})`;
  // Every command reads the database section.
  if (variable.section === "database") return "(required)";
  return `(required for ${sectionCommands[variable.section].map(code).join(", ")})`;
}
