/**
 * One-shot misbehaviours for the export endpoint, consumed in push order by the next matching
 * `GET /v3/user-export` requests. A fault applies before the signature is checked: it stands for the
 * network, a load balancer or an overloaded Zephr, which do not care whether the request was signed well.
 */

/** Which requests a fault applies to and how many times. */
export interface FaultMatch {
  /** How many matching requests this fault answers (default 1). */
  readonly times?: number;
  /** Only requests for this page (the `page` query parameter, 1 when absent) match. */
  readonly page?: number;
  /** Only requests whose raw query string contains this text match (e.g. one backfill window). */
  readonly queryIncludes?: string;
}

/** Answer with this status and a JSON error body `{"message": …}` (or `body`, sent verbatim if a string). */
export interface StatusFault extends FaultMatch {
  readonly kind: "status";
  readonly status: 400 | 401 | 403 | 404 | 429 | 500 | 502 | 503 | 504;
  /** Sent as `Retry-After: <seconds>`. */
  readonly retryAfterSeconds?: number;
  /** A string is sent as is; anything else is serialised as JSON. */
  readonly body?: unknown;
}

/** Headers and the first `afterBytes` bytes of the real body, then a TCP reset (connection lost mid-body). */
export interface DropFault extends FaultMatch {
  readonly kind: "drop";
  readonly afterBytes: number;
}

/** Reset the connection without answering at all. */
export interface RefuseFault extends FaultMatch {
  readonly kind: "refuse";
}

/** A complete, cleanly ended HTTP response whose body stops after `afterBytes` bytes (invalid JSON). */
export interface TruncateFault extends FaultMatch {
  readonly kind: "truncate";
  readonly afterBytes: number;
}

/**
 * Send `afterBytes` bytes of the body, then nothing for `ms` milliseconds (real time) before going on;
 * without `ms`, hang until the client gives up or the simulator closes.
 */
export interface StallFault extends FaultMatch {
  readonly kind: "stall";
  readonly afterBytes: number;
  readonly ms?: number;
}

/**
 * 200, then `prefix` (default `{"results":[`), then one space every `intervalMs` milliseconds (real time)
 * for as long as the client listens: every read sees progress, so only an overall deadline ends it.
 */
export interface TrickleFault extends FaultMatch {
  readonly kind: "trickle";
  readonly intervalMs: number;
  readonly prefix?: string;
}

/**
 * Not a misbehaviour of its own: calls `run()` when the matching request arrives, then answers it as
 * usual. For what changes on Zephr's side between two pages of one export (a user registering, pages
 * shifting), at an exact point of the export instead of a race.
 */
export interface HookFault extends FaultMatch {
  readonly kind: "hook";
  readonly run: () => void;
}

/** 200 with an HTML error page (`text/html`), as a misconfigured proxy or login wall answers. */
export interface HtmlFault extends FaultMatch {
  readonly kind: "html";
}

/** 200 with an empty body (`Content-Length: 0`) and a JSON content type. */
export interface EmptyFault extends FaultMatch {
  readonly kind: "empty";
}

/** Exactly this status and body (content type `application/json` unless given). */
export interface RawFault extends FaultMatch {
  readonly kind: "raw";
  readonly status: number;
  /** A string is sent as UTF-8; bytes are sent as they are (invalid UTF-8, other encodings). */
  readonly body: string | Uint8Array;
  readonly contentType?: string;
}

export type Fault =
  | StatusFault
  | DropFault
  | RefuseFault
  | TruncateFault
  | StallFault
  | TrickleFault
  | HookFault
  | HtmlFault
  | EmptyFault
  | RawFault;

export type FaultKind = Fault["kind"];

interface QueuedFault {
  readonly fault: Fault;
  remaining: number;
}

export class FaultQueue {
  readonly #queue: QueuedFault[] = [];

  /** Queues faults behind those already waiting. */
  push(...faults: Fault[]): void {
    for (const fault of faults) {
      const times = fault.times ?? 1;
      if (!Number.isInteger(times) || times < 1) {
        throw new RangeError(`Fault ${fault.kind}: times must be a positive integer, got ${String(times)}`);
      }
      if ("afterBytes" in fault && (!Number.isInteger(fault.afterBytes) || fault.afterBytes < 0)) {
        throw new RangeError(`Fault ${fault.kind}: afterBytes must be a non-negative integer`);
      }
      if (fault.kind === "trickle" && (!Number.isInteger(fault.intervalMs) || fault.intervalMs < 1)) {
        throw new RangeError("Fault trickle: intervalMs must be a positive integer");
      }
      this.#queue.push({ fault, remaining: times });
    }
  }

  /** Forgets every fault not yet consumed. */
  clear(): void {
    this.#queue.length = 0;
  }

  /** Faults still waiting, in the order they will be consumed. */
  get pending(): readonly Fault[] {
    return this.#queue.map((queued) => queued.fault);
  }

  /** Consumes one use of the first fault that matches a request for `page` with `rawQuery`, if any. */
  take(page: number, rawQuery = ""): Fault | undefined {
    const index = this.#queue.findIndex(
      (queued) =>
        (queued.fault.page === undefined || queued.fault.page === page) &&
        (queued.fault.queryIncludes === undefined || rawQuery.includes(queued.fault.queryIncludes)),
    );
    const queued = this.#queue[index];
    if (queued === undefined) return undefined;
    queued.remaining -= 1;
    if (queued.remaining === 0) this.#queue.splice(index, 1);
    return queued.fault;
  }
}
