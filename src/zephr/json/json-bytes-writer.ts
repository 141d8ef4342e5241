/** Size of the slabs texts are written into (bytes); a longer text gets a slab of its own. */
const slabBytes = 64 * 1024;

const quote = 0x22;
const backslash = 0x5c;

/**
 * Writes compact JSON as UTF-8 straight into large buffers (slabs), one text after another, and hands
 * each finished text out as a view of its slab: no string is built and nothing is copied, which matters
 * in the export's hot loop. A slab stays alive while any text in it does.
 */
export class JsonBytesWriter {
  private slab = Buffer.allocUnsafe(slabBytes);
  /** Where the text being written starts in the slab. */
  private start = 0;
  /** Where its next byte goes. */
  private end = 0;

  /** Appends one ASCII character, by its code. */
  byte(code: number): void {
    if (this.end === this.slab.length) this.reserve(1);
    this.slab[this.end++] = code;
  }

  /** Appends ASCII text (JSON punctuation, numbers, literals). */
  ascii(text: string): void {
    this.reserve(text.length);
    const slab = this.slab;
    let at = this.end;
    for (let i = 0; i < text.length; i++) slab[at++] = text.charCodeAt(i);
    this.end = at;
  }

  /** Appends `value` as JSON.stringify writes a string, quotes included. */
  string(value: string): void {
    const length = value.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit (4 per surrogate pair), plus 2 quotes.
    this.reserve(3 * length + 2);
    const slab = this.slab;
    let at = this.end;
    slab[at++] = quote;
    for (let i = 0; i < length; i++) {
      let code = value.charCodeAt(i);
      if (code < 0x80) {
        // What JSON.stringify escapes: rare, so it writes those strings itself.
        if (code < 0x20 || code === quote || code === backslash) {
          this.escaped(value);
          return;
        }
        slab[at++] = code;
      } else if (code < 0x800) {
        slab[at++] = 0xc0 | (code >> 6);
        slab[at++] = 0x80 | (code & 0x3f);
      } else if (code < 0xd800 || code > 0xdfff) {
        slab[at++] = 0xe0 | (code >> 12);
        slab[at++] = 0x80 | ((code >> 6) & 0x3f);
        slab[at++] = 0x80 | (code & 0x3f);
      } else {
        const low = value.charCodeAt(i + 1); // NaN past the end
        // A lone surrogate: JSON.stringify writes it as \uXXXX.
        if (code > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) {
          this.escaped(value);
          return;
        }
        i += 1;
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        slab[at++] = 0xf0 | (code >> 18);
        slab[at++] = 0x80 | ((code >> 12) & 0x3f);
        slab[at++] = 0x80 | ((code >> 6) & 0x3f);
        slab[at++] = 0x80 | (code & 0x3f);
      }
    }
    slab[at++] = quote;
    this.end = at;
  }

  /** What is written of the text in progress, as a view of its slab (valid until the next write). */
  pending(): Buffer {
    return this.slab.subarray(this.start, this.end);
  }

  /** The text written since the previous call, as a view of its slab; the next text starts after it. */
  finish(): Buffer {
    const text = this.slab.subarray(this.start, this.end);
    this.start = this.end;
    return text;
  }

  /** Writes a string that needs escapes (the bytes written so far for it are overwritten). */
  private escaped(value: string): void {
    // JSON.stringify writes lone surrogates as escapes, so its output encodes to UTF-8 losslessly.
    const json = JSON.stringify(value);
    this.reserve(3 * json.length);
    this.end += this.slab.write(json, this.end, "utf8");
  }

  /**
   * Makes room for `bytes` more bytes: when the slab is too full, the text written so far moves to the
   * start of a new one (the old slab stays with the texts already handed out).
   */
  private reserve(bytes: number): void {
    if (this.end + bytes <= this.slab.length) return;
    const written = this.end - this.start;
    const slab = Buffer.allocUnsafe(Math.max(slabBytes, 2 * (written + bytes)));
    this.slab.copy(slab, 0, this.start, this.end);
    this.slab = slab;
    this.start = 0;
    this.end = written;
  }
}
