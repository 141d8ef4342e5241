const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Any RFC 4122 layout, any version, either case (Zephr's user ids). */
export function isUuid(text: string): boolean {
  return uuidPattern.test(text);
}

/**
 * The user id a value stands for when it is a UUID, lowercased as the warehouse keys users (Zephr may
 * send either case); undefined for anything else.
 */
export function toUserId(value: unknown): string | undefined {
  return typeof value === "string" && isUuid(value) ? value.toLowerCase() : undefined;
}
