import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { BodyWriter } from "../../tools/simulator/body-writer.js";
import { startZephrSimulator } from "../../tools/simulator/index.js";
import { waitFor } from "../support/wait-for.js";
import { parseEnvelope, signedGet, testKeys, userIdOf } from "./simulator-client.js";

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
    /** True while the writer waits for the socket to drain: the client is not reading fast enough. */
    let blocked = false;

    beforeEach(async () => {
      pushedBytes = 0;
      finished = false;
      blocked = false;
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
            if (!writer.shouldFlush) continue;
            // Seen from a timer, this is true only while flush waits for 'drain': without I/O to wait
            // on, the loop runs through microtasks and gives timers no turn.
            blocked = true;
            const open = await writer.flush();
            blocked = false;
            if (!open) return;
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
          // The writer waits for 'drain', which comes only once the client reads: production has stopped.
          void waitFor("the writer to wait for the paused client", () => blocked).then(() => {
            try {
              // Socket buffers hold a few MB at most; without backpressure all 64 MB would be queued.
              expect(pushedBytes).toBeLessThan(totalBytes / 2);
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
