import { isUtf8 } from "node:buffer";

/** Bytes that are not UTF-8, where they were met; the text has one U+FFFD in their place. */
export interface InvalidUtf8 {
  /** Index in the chunk's text of the U+FFFD that stands for them. */
  readonly at: number;
  /** Offset of their first byte from the start of the body. */
  readonly offset: number;
  /** The bytes, as upper-case hex pairs (`C3`, `FF`, `E2 82`). */
  readonly hex: string;
}

export interface DecodedChunk {
  readonly text: string;
  /** Every run of bytes that is not UTF-8, in order; empty for valid text (nearly always). */
  readonly invalid: readonly InvalidUtf8[];
}

const noInvalid: readonly InvalidUtf8[] = Object.freeze([]);

/** Bytes a sequence starting with `lead` has in all (1-4), or 0 when no sequence starts with it. */
function sequenceBytes(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead < 0xc2) return 0;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  return lead < 0xf5 ? 4 : 0;
}

/**
 * Length of the well-formed sequence at `at` (positive), or of the maximal ill-formed subpart there
 * (negative), as Unicode's "U+FFFD substitution of maximal subparts" counts them (what WHATWG's
 * decoder, and so StringDecoder, replace by one U+FFFD each). Bytes past `end` are missing.
 */
function measureSequence(bytes: Uint8Array, at: number, end: number): number {
  const lead = bytes[at] ?? 0;
  const length = sequenceBytes(lead);
  if (length === 1) return 1;
  if (length === 0) return -1;
  // The second byte's range depends on the lead (no overlongs, no surrogates, nothing past U+10FFFF).
  const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
  const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
  for (let i = 1; i < length; i++) {
    const byte = at + i < end ? (bytes[at + i] ?? 0) : -1;
    if (byte < (i === 1 ? low : 0x80) || byte > (i === 1 ? high : 0xbf)) return -i;
  }
  return length;
}

function toHex(bytes: Uint8Array, from: number, to: number): string {
  const pairs: string[] = [];
  for (let i = from; i < to; i++) pairs.push((bytes[i] ?? 0).toString(16).toUpperCase().padStart(2, "0"));
  return pairs.join(" ");
}

/**
 * Decodes a body that arrives in chunks as UTF-8, like StringDecoder (a sequence split between chunks
 * is decoded whole; what is not UTF-8 becomes U+FFFD), and says where it had to replace: the export
 * must not turn such bytes silently into text. Valid chunks (nearly all) cost one `isUtf8` check.
 */
export class Utf8ChunkDecoder {
  /** The start of a sequence the last chunk ended in (at most 3 bytes). */
  private carried: Buffer | undefined;
  /** Body offset of the next byte to decode. */
  private offset = 0;

  write(chunk: Buffer): DecodedChunk {
    const bytes = this.carried === undefined ? chunk : Buffer.concat([this.carried, chunk]);
    const cut = bytes.length - this.incompleteTail(bytes);
    this.carried = cut < bytes.length ? Buffer.from(bytes.subarray(cut)) : undefined;
    return this.decode(bytes, cut);
  }

  /** What the body ended with: a sequence cut short by the end is not UTF-8. */
  end(): DecodedChunk {
    const bytes = this.carried;
    this.carried = undefined;
    return bytes === undefined ? { text: "", invalid: noInvalid } : this.decode(bytes, bytes.length);
  }

  /** Bytes at the end of `bytes` that start a sequence the next chunk may complete (0-3). */
  private incompleteTail(bytes: Buffer): number {
    for (let back = 1; back <= 3 && back <= bytes.length; back++) {
      const byte = bytes[bytes.length - back] ?? 0;
      if (byte < 0x80) return 0;
      if (byte >= 0xc0) return sequenceBytes(byte) > back ? back : 0;
    }
    return 0;
  }

  private decode(bytes: Buffer, end: number): DecodedChunk {
    const start = this.offset;
    this.offset += end;
    if (isUtf8(bytes.subarray(0, end))) return { text: bytes.toString("utf8", 0, end), invalid: noInvalid };
    // Rare: walk the sequences, keeping valid runs and noting each ill-formed subpart.
    const invalid: InvalidUtf8[] = [];
    let text = "";
    let runStart = 0;
    let at = 0;
    while (at < end) {
      const length = measureSequence(bytes, at, end);
      if (length > 0) {
        at += length;
        continue;
      }
      text += bytes.toString("utf8", runStart, at);
      invalid.push({ at: text.length, offset: start + at, hex: toHex(bytes, at, at - length) });
      text += "\ufffd";
      at -= length;
      runStart = at;
    }
    text += bytes.toString("utf8", runStart, end);
    return { text, invalid };
  }
}
