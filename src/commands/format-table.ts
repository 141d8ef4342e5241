import type { QueryTable } from "../db/analyst-examples.js";

/** A psql-like aligned text table. */
export function formatTable(table: QueryTable): string {
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    " " +
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join(" | ")
      .trimEnd();
  const rule = "-" + widths.map((w) => "-".repeat(w)).join("-+-") + "-";
  const count = `(${table.rows.length} row${table.rows.length === 1 ? "" : "s"})`;
  return [line(table.columns), rule, ...table.rows.map(line), count].join("\n");
}
