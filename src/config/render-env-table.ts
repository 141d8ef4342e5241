import { configSpec, variableNames } from "./config-spec.js";
import { describeUnset } from "./describe-unset.js";

const header = ["Variable", "Default", "Meaning"] as const;

/**
 * The README's table of environment variables, rendered from the spec as prettier formats a Markdown
 * table (cells padded to the widest in their column), so `npm run docs:env` and `prettier --check`
 * agree. Every cell is plain text of one column per character (no wide characters).
 */
export function renderEnvTable(): string {
  const code = (text: string) => `\`${text}\``;
  const rows = variableNames.map((name) => {
    const variable = configSpec[name];
    return [code(name), describeUnset(variable, code), variable.readme] as const;
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/** Where the table of environment variables is in the README: its header line to its last row. */
export function findEnvTable(readme: string): { readonly start: number; readonly end: number } {
  const start = readme.search(/^\| Variable +\| Default +\| Meaning +\|$/m);
  if (start === -1) throw new Error("README.md has no table headed | Variable | Default | Meaning |");
  const after = readme.slice(start).search(/\n(?!\|)/);
  return { start, end: after === -1 ? readme.length : start + after };
}

/** The README with its table of environment variables rendered anew from the spec. */
export function replaceEnvTable(readme: string): string {
  const { start, end } = findEnvTable(readme);
  return readme.slice(0, start) + renderEnvTable() + readme.slice(end);
}
