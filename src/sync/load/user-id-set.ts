/**
 * A set of UUIDs in 16 bytes each (open addressing over a Uint32Array), so a full export of millions of
 * users can remember whom it listed without a table write per user and without 100 bytes per id.
 */
export class UserIdSet {
  private slots: Uint32Array;
  private used: Uint8Array;
  private count = 0;

  constructor(initialCapacity = 1 << 14) {
    this.slots = new Uint32Array(initialCapacity * 4);
    this.used = new Uint8Array(initialCapacity);
  }

  /**
   * A set sized for about `expected` ids (with 10% to spare), so that filling it does not grow it: a
   * growth holds the old and the new table at once, 1.5 times the memory. Exactly that size, not the
   * next power of two: at a million ids that is 25 MB instead of 34 MB.
   */
  static forExpected(expected: number): UserIdSet {
    return new UserIdSet(Math.max(1 << 14, Math.ceil((expected * 1.1) / maxLoad)));
  }

  get size(): number {
    return this.count;
  }

  /** Slots in the table (it grows when three quarters are used). */
  get capacity(): number {
    return this.used.length;
  }

  /** Adds a lowercase UUID (any other text is ignored); true when it was not in the set before. */
  add(id: string): boolean {
    const words = toWords(id);
    if (words === undefined) return false;
    if (this.count + 1 > this.used.length * maxLoad) this.grow();
    if (!this.insert(words)) return false;
    this.count += 1;
    return true;
  }

  has(id: string): boolean {
    const words = toWords(id);
    return words !== undefined && this.used[this.slotOf(words)] === 1;
  }

  private insert(words: Uint32Array): boolean {
    const slot = this.slotOf(words);
    if (this.used[slot] === 1) return false;
    this.used[slot] = 1;
    this.slots.set(words, slot * 4);
    return true;
  }

  /** The slot holding `words`, or else the free slot where they go (linear probing from their hash). */
  private slotOf(words: Uint32Array): number {
    const capacity = this.used.length;
    for (let slot = hashWords(words) % capacity; ; slot = slot + 1 === capacity ? 0 : slot + 1) {
      if (this.used[slot] === 0 || this.equals(slot, words)) return slot;
    }
  }

  private equals(slot: number, words: Uint32Array): boolean {
    const base = slot * 4;
    return (
      this.slots[base] === words[0] &&
      this.slots[base + 1] === words[1] &&
      this.slots[base + 2] === words[2] &&
      this.slots[base + 3] === words[3]
    );
  }

  private grow(): void {
    const oldSlots = this.slots;
    const oldUsed = this.used;
    this.slots = new Uint32Array(oldSlots.length * 2);
    this.used = new Uint8Array(oldUsed.length * 2);
    for (let slot = 0; slot < oldUsed.length; slot++) {
      if (oldUsed[slot] === 1) this.insert(oldSlots.subarray(slot * 4, slot * 4 + 4));
    }
  }
}

/** Linear probing stays quick (under 3 probes on average for a hit) up to three quarters full. */
const maxLoad = 0.75;

const scratch = new Uint32Array(4);

/** The 128 bits of a UUID as four words (into a shared scratch array), or undefined if not a UUID. */
function toWords(id: string): Uint32Array | undefined {
  if (id.length !== 36) return undefined;
  const hex = id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24);
  for (let i = 0; i < 4; i++) {
    const word = Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16);
    if (Number.isNaN(word)) return undefined;
    scratch[i] = word >>> 0;
  }
  return scratch;
}

function hashWords(words: Uint32Array): number {
  // UUIDs are mostly random already; mix the words so sequential ids spread too.
  let h = 0x811c9dc5;
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ (words[i] ?? 0), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}
