/** How deep an element may nest before it is rejected (Zephr's elements need about 5 levels). */
export const maxElementDepth = 64;
