import { setImmediate } from "node:timers/promises";

/** Items a long synchronous loop handles between two turns of the event loop (about 3 ms of work). */
export const itemsPerTurn = 100;

/**
 * Lets the event loop run in the middle of a long loop: validating or encoding a batch of a thousand
 * users takes tens of milliseconds, and the replies to the batch being written meanwhile would wait that
 * long for each statement. The batch writes follow each other in one chain that bounds a load, so they
 * must not wait: loops call this after every `itemsPerTurn` items.
 */
export async function nextTurn(): Promise<void> {
  await setImmediate();
}
