/**
 * PostgreSQL's COPY text format, field by field: tab-separated, one row per line, `\N` for null, and
 * backslash, newline, carriage return and tab escaped with a backslash.
 */

const special = /[\\\n\r\t]/g;
const hasSpecial = /[\\\n\r\t]/;
const escapes: Readonly<Record<string, string>> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** A text field (or `\N` for null). */
export function copyField(value: string | null): string {
  if (value === null) return "\\N";
  // Most fields have nothing to escape: testing first spares replace()'s allocation.
  return hasSpecial.test(value) ? value.replace(special, (c) => escapes[c] ?? c) : value;
}

/** A boolean field. */
export function copyBoolean(value: boolean | null): string {
  if (value === null) return "\\N";
  return value ? "t" : "f";
}

/** A bytea field from hex digits, in bytea's hex input form (its backslash escaped for COPY). */
export function copyHexBytes(hex: string): string {
  return "\\\\x" + hex;
}

/** One row: fields already encoded by the functions above. */
export function copyLine(fields: readonly string[]): string {
  return fields.join("\t") + "\n";
}
