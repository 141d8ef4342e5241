import type { CatalogueEndpoint } from "./catalogue-endpoints.js";
import { labelKeys } from "./catalogue-endpoints.js";

/** One item of a catalogue, ready to store. */
export interface CatalogueItem {
  readonly itemId: string;
  readonly label: string | null;
  /** The item as listed, made storable (see toStorableJson). */
  readonly item: unknown;
}

/** One attribute definition of the user schema, ready to store. */
export interface AttributeDefinition {
  readonly slug: string;
  readonly label: string | null;
  readonly inputType: string | null;
  readonly definition: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first key whose value is a non-blank string (or a finite number, for ids), as text. */
function pickText(
  record: Record<string, unknown>,
  keys: readonly string[],
  allowNumbers: boolean,
): string | null {
  for (const key of keys) {
    if (!Object.hasOwn(record, key)) continue;
    const value = record[key];
    if (typeof value === "string" && value.trim() !== "") return storableText(value.trim());
    if (allowNumbers && typeof value === "number" && Number.isFinite(value)) return String(value);
  }
  return null;
}

/** PostgreSQL stores neither NUL nor unpaired surrogates in text or jsonb: replace them with U+FFFD. */
function storableText(text: string): string {
  // toWellFormed is Node 20+, typed from ES2024 on (lib here is ES2023).
  const wellFormed = (text as string & { toWellFormed(): string }).toWellFormed();
  return wellFormed.replaceAll("\u0000", "\uFFFD");
}

/** A parsed JSON value with every string (keys included) made storable; `__proto__` stays an own key. */
export function toStorableJson(value: unknown): unknown {
  if (typeof value === "string") return storableText(value);
  if (Array.isArray(value)) return value.map(toStorableJson);
  if (!isRecord(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    Object.defineProperty(result, storableText(key), {
      value: toStorableJson(child),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}

/** The item's id and label, or undefined when it is not an object or has no id in any known field. */
export function readCatalogueItem(endpoint: CatalogueEndpoint, raw: unknown): CatalogueItem | undefined {
  if (!isRecord(raw)) return undefined;
  const itemId = pickText(raw, endpoint.idKeys, true);
  if (itemId === null) return undefined;
  return { itemId, label: pickText(raw, labelKeys, false), item: toStorableJson(raw) };
}

const slugKeys = ["slug", "key", "id", "name"] as const;
const definitionLabelKeys = ["label", "name", "title"] as const;
const inputTypeKeys = ["input-type", "inputType", "input_type", "type"] as const;

/** The definition's slug, label and input type, or undefined when it is not an object or has no slug. */
export function readAttributeDefinition(raw: unknown): AttributeDefinition | undefined {
  if (!isRecord(raw)) return undefined;
  const slug = pickText(raw, slugKeys, false);
  if (slug === null) return undefined;
  const inputType = pickText(raw, inputTypeKeys, false);
  return {
    slug,
    label: pickText(raw, definitionLabelKeys, false),
    inputType: inputType === null ? null : inputType.toLowerCase(),
    definition: toStorableJson(raw),
  };
}
