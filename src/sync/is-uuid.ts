const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Any RFC 4122 layout, any version, either case (Zephr's user ids). */
export function isUuid(text: string): boolean {
  return uuidPattern.test(text);
}
