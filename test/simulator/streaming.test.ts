import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { BodyWriter } from "../../tools/simulator/body-writer.js";
import { startZephrSimulator } from "../../tools/simulator/index.js";
import { parseEnvelope, signedGet, testKeys, userIdOf } from "./simulator-client.js";

/** Resolves once `read()` returned the same value `stableChecks` times in a row, `intervalMs` apart. */
async function waitUntilStable(read: () => number, intervalMs = 5, stableChecks = 4): Promise<number> {
  let last = -1;
  let stable = 0;
  while (stable < stableChecks) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const value = read();
    stable = value === last ? stable + 1 : 0;
    last = value;
  }
  return last;
}

describe("streaming large exports", () => {
  it("streams tens of thousands of generated users in one well-formed body, in store order", async () => {
    const nowMs = Date.UTC(2024, 0, 1);
    const simulator = await startZephrSimulator({ ...testKeys, clock: () => nowMs, ignorePaging: true });
    try {
      simulator.store.seedGenerated({ count: 20_000, seed: 99 });

      const response = await signedGet(simulator, "attributes=true&grants=true", { nowMs });
      const body = parseEnvelope(response);

      expect(response.body.length).toBeGreaterThan(15_000_000);
      expect(body.results).toHaveLength(20_000);
      expect(body.results.map(userIdOf)).toEqual([...simulator.store.userIds()]);
    } finally {
      await simulator.close();
    }
  });

  describe("the body writer", () => {
    const pieceBytes = 1024;
    const totalBytes = 64 * 1024 * 1024;
    let server: Server;
    let pushedBytes = 0;
    let finished = false;

    beforeEach(async () => {
      pushedBytes = 0;
      finished = false;
      const piece = "x".repeat(pieceBytes - 2) + "é";
      server = createServer((_req, res) => {
        void (async () => {
          res.writeHead(200, { "content-type": "application/octet-stream" });
          const closed = new AbortController();
          res.once("close", () => {
            closed.abort();
          });
          const writer = new BodyWriter(res, undefined, closed.signal);
          while (pushedBytes < totalBytes) {
            writer.push(piece);
            pushedBytes += pieceBytes;
            if (writer.shouldFlush && !(await writer.flush())) return;
          }
          await writer.end();
          finished = true;
        })();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    });

    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it("stops producing while the client does not read, and delivers every byte once it does", async () => {
      const { port } = server.address() as AddressInfo;
      let receivedBytes = 0;
      const done = new Promise<void>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
          res.pause();
          void waitUntilStable(() => pushedBytes).then((pushedWhilePaused) => {
            try {
              // Socket buffers hold a few MB at most; without backpressure all 64 MB would be queued.
              expect(pushedWhilePaused).toBeLessThan(totalBytes / 2);
              expect(finished).toBe(false);
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
            res.on("data", (chunk: Buffer) => (receivedBytes += chunk.length));
            res.on("end", resolve);
            res.resume();
          });
        });
        req.on("error", reject);
        req.end();
      });

      await done;

      expect(receivedBytes).toBe(totalBytes);
      expect(finished).toBe(true);
    });
  });
});
