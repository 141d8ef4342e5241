import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";

/** How a fault cuts a body after `afterBytes` bytes (UTF-8, excluding chunked framing). */
export type BodyCut =
  | { readonly kind: "drop"; readonly afterBytes: number }
  | { readonly kind: "truncate"; readonly afterBytes: number }
  | { readonly kind: "stall"; readonly afterBytes: number; readonly ms?: number };

/** Bytes per `res.write`: large enough to amortise the syscall, small enough to stream. */
const defaultChunkBytes = 64 * 1024;

/**
 * Streams a response body in chunks and waits for 'drain' whenever `res.write` says the socket is full,
 * so a 300 MB export never sits in memory. Applies a fault's cut at an exact byte offset.
 *
 * Text is encoded as it is pushed, straight into the chunk being filled: encoding many small strings is
 * several times faster than flattening and encoding (or measuring) one long concatenated string.
 *
 * Usage: `push()` text; when `shouldFlush`, `await flush()` and stop if it returns false (the client is
 * gone or the body was cut); finally `await end()`.
 */
export class BodyWriter {
  readonly #res: ServerResponse;
  readonly #cut: BodyCut | undefined;
  readonly #signal: AbortSignal;
  readonly #chunkBytes: number;
  /** Full chunks waiting to be written. */
  #ready: Buffer[] = [];
  #chunk: Buffer;
  #used = 0;
  #sentBytes = 0;
  #cutApplied = false;
  #stopped = false;

  /** `signal` aborts when the response's connection closes or the simulator shuts down. */
  constructor(
    res: ServerResponse,
    cut: BodyCut | undefined,
    signal: AbortSignal,
    chunkBytes = defaultChunkBytes,
  ) {
    this.#res = res;
    this.#cut = cut;
    this.#signal = signal;
    this.#chunkBytes = chunkBytes;
    this.#chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** True once nothing more will be written (client gone, connection dropped, body truncated). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** True when at least one full chunk waits: time to `await flush()`. */
  get shouldFlush(): boolean {
    return this.#ready.length > 0;
  }

  push(text: string): void {
    // A UTF-16 code unit never takes more than 3 bytes in UTF-8.
    const worstBytes = text.length * 3;
    if (this.#used + worstBytes > this.#chunkBytes) this.#sealChunk();
    if (worstBytes > this.#chunkBytes) {
      this.#ready.push(Buffer.from(text, "utf8"));
      return;
    }
    this.#used += this.#chunk.write(text, this.#used, "utf8");
  }

  /** Writes the full chunks (with `all`, the partial one too); false when writing must stop. */
  async flush(all = false): Promise<boolean> {
    if (all) this.#sealChunk();
    const chunks = this.#ready;
    this.#ready = [];
    for (const chunk of chunks) {
      if (!(await this.#write(chunk))) return false;
    }
    return !this.#stopped;
  }

  #sealChunk(): void {
    if (this.#used === 0) return;
    this.#ready.push(this.#chunk.subarray(0, this.#used));
    this.#chunk = Buffer.allocUnsafe(this.#chunkBytes);
    this.#used = 0;
  }

  async #write(chunk: Buffer): Promise<boolean> {
    if (this.#stopped) return false;
    const cut = this.#cut;
    if (cut === undefined || this.#cutApplied) return this.#send(chunk);
    const room = cut.afterBytes - this.#sentBytes;
    if (chunk.length <= room) {
      this.#sentBytes += chunk.length;
      return this.#send(chunk);
    }
    return this.#applyCut(cut, chunk.subarray(0, room), chunk.subarray(room));
  }

  /** Flushes and ends the response (a pending `drop` still resets the connection instead). */
  async end(): Promise<void> {
    if (!(await this.flush(true))) return;
    if (this.#cut?.kind === "drop" && !this.#cutApplied) {
      await this.#applyCut(this.#cut, Buffer.alloc(0), Buffer.alloc(0));
      return;
    }
    this.#stopped = true;
    if (!this.#res.destroyed) this.#res.end();
  }

  async #applyCut(cut: BodyCut, head: Buffer, rest: Buffer): Promise<boolean> {
    this.#cutApplied = true;
    switch (cut.kind) {
      case "drop": {
        this.#stopped = true;
        await this.#writeFlushed(head);
        // RST rather than FIN: the client sees ECONNRESET mid-body, as with a dying load balancer.
        this.#res.socket?.resetAndDestroy();
        return false;
      }
      case "truncate": {
        this.#stopped = true;
        if (!this.#res.destroyed) this.#res.end(head);
        return false;
      }
      case "stall": {
        if (head.length === 0) this.#res.flushHeaders();
        else if (!(await this.#send(head))) return false;
        if (this.#signal.aborted) {
          this.#stopped = true;
          return false;
        }
        if (cut.ms === undefined) {
          // Hang until the client gives up or the simulator closes.
          await once(this.#signal, "abort");
          this.#stopped = true;
          return false;
        }
        try {
          await delay(cut.ms, undefined, { signal: this.#signal });
        } catch {
          this.#stopped = true;
          return false;
        }
        return rest.length === 0 ? true : this.#send(rest);
      }
    }
  }

  /** Writes and waits until the bytes have reached the kernel (so a reset cannot discard them). */
  async #writeFlushed(chunk: Buffer): Promise<void> {
    const res = this.#res;
    if (res.destroyed) return;
    if (chunk.length > 0) {
      await new Promise<void>((resolve) => {
        res.write(chunk, () => {
          resolve();
        });
      });
    } else {
      res.flushHeaders();
    }
    const socket = res.socket;
    if (socket !== null && socket.writableLength > 0 && !socket.destroyed) {
      // Not 'drain': it follows only a write that returned false, so bytes queued by writes that did not
      // (a body shorter than the cut) would be waited on forever. The callback of an empty write runs
      // once everything queued before it has reached the kernel.
      const flushed = new Promise<void>((resolve) => {
        socket.write(Buffer.alloc(0), () => {
          resolve();
        });
      });
      const aborted = once(this.#signal, "abort").catch(() => undefined);
      await Promise.race([flushed, aborted]);
    }
  }

  async #send(chunk: Buffer): Promise<boolean> {
    if (this.#res.destroyed || this.#signal.aborted) {
      this.#stopped = true;
      return false;
    }
    if (!this.#res.write(chunk)) {
      try {
        await once(this.#res, "drain", { signal: this.#signal });
      } catch {
        this.#stopped = true;
        return false;
      }
    }
    return true;
  }
}
