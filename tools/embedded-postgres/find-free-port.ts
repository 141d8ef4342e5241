import { createServer } from "node:net";

/**
 * A TCP port that was free on `host` a moment ago: the kernel picks it for a listener on port 0, which is
 * closed again before returning. Another process may take it in between, so callers that bind it should be
 * ready to ask again.
 */
export async function findFreePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
  if (address === null || typeof address === "string") {
    throw new Error(`findFreePort: the listener on ${host} reported no TCP port (${String(address)}).`);
  }
  return address.port;
}
