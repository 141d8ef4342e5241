/**
 * Small, fast, deterministic randomness for the simulator: the same (seed, index) always yields the same
 * user, on every machine, without storing anything. Not cryptographic, and never meant to be.
 */

// Bound once: inside a vm context (jest), every lookup of the global `Math` is slow.
const { imul, floor } = Math;

/** murmur3's 32-bit finaliser: a good avalanche of one 32-bit word. */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of up to three integers (the seed, an index and a salt telling streams apart). */
export function hash32(a: number, b: number, c = 0): number {
  return mix32(imul(mix32(a ^ 0x9e3779b9) ^ b, 0x27d4eb2d) ^ mix32(c + 0x165667b1));
}

/** A uniform number in [0, 1) from a 32-bit hash. */
export function unitFloat(hash: number): number {
  return hash / 0x1_0000_0000;
}

/** mulberry32: one 32-bit state word, a few ns per draw, plenty for synthetic data. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed | 0;
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform number in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number {
    return floor(this.nextFloat() * bound);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly [T, ...T[]]): T {
    return items[this.nextInt(items.length)] ?? items[0];
  }

  /** A version-4-shaped UUID (random bits from this generator, version and variant bits set). */
  nextUuid(): string {
    return formatUuid(this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32());
  }
}

const hexByte: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex32(word: number): string {
  return (
    (hexByte[(word >>> 24) & 0xff] ?? "") +
    (hexByte[(word >>> 16) & 0xff] ?? "") +
    (hexByte[(word >>> 8) & 0xff] ?? "") +
    (hexByte[word & 0xff] ?? "")
  );
}

/** Lays 128 bits out as `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`, forcing the v4 version and variant. */
export function formatUuid(w0: number, w1: number, w2: number, w3: number): string {
  const b = hex32(w1);
  const c = hex32(((w2 & 0x3fffffff) | 0x80000000) >>> 0);
  const d = hex32(w3);
  return `${hex32(w0)}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${c.slice(0, 4)}-${c.slice(4, 8)}${d}`;
}

/**
 * A keyed bijection on 32-bit integers (a 4-round Feistel network over 16-bit halves), so generated user
 * ids can carry their index invisibly and be mapped back to it without a lookup table.
 */
export function permute32(value: number, key: number): number {
  let left = (value >>> 16) & 0xffff;
  let right = value & 0xffff;
  for (let round = 0; round < 4; round++) {
    const next = left ^ (hash32(key, right, round) & 0xffff);
    left = right;
    right = next;
  }
  return ((left << 16) | right) >>> 0;
}

/** The inverse of `permute32` for the same key. */
export function unpermute32(value: number, key: number): number {
  let left = (value >>> 16) & 0xffff;
  let right = value & 0xffff;
  for (let round = 3; round >= 0; round--) {
    const previous = right ^ (hash32(key, left, round) & 0xffff);
    right = left;
    left = previous;
  }
  return ((left << 16) | right) >>> 0;
}
