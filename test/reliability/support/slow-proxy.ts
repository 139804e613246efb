// A Docker socket proxy that holds back chosen requests (e.g. `DELETE /containers/…`) for a while,
// to make kiln's cleanup slow enough to signal it while it runs. A held request whose client goes
// away is dropped, never delivered late: what kiln did not finish stays undone.
import net from "node:net";
import path from "node:path";

export interface SlowProxy {
  /** DOCKER_HOST value for kiln. */
  readonly dockerHost: string;
  /** Request lines that were held. */
  readonly held: string[];
  close(): Promise<void>;
}

export async function startSlowProxy(opts: {
  upstreamSocket: string;
  dir: string;
  /** Matched against each request line (`DELETE /v1.41/containers/… HTTP/1.1`). */
  slow: RegExp;
  delayMs: number;
}): Promise<SlowProxy> {
  const socketPath = path.join(opts.dir, "slow-docker.sock");
  const held: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(opts.upstreamSocket);
    sockets.add(client);
    sockets.add(upstream);
    let releaseAt = 0;
    let queue: Promise<void> = Promise.resolve();
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      const requestLine = /^[A-Z]+ \S+ HTTP\/1\.[01]/.exec(chunk.subarray(0, 512).toString("latin1"))?.[0];
      if (requestLine !== undefined && opts.slow.test(requestLine)) {
        held.push(requestLine);
        releaseAt = Date.now() + opts.delayMs;
      }
      // Everything after a held request waits behind it, in order.
      queue = queue.then(async () => {
        const wait = releaseAt - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (!client.destroyed && !upstream.destroyed) upstream.write(chunk);
      });
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk);
    });
    client.on("end", () => void queue.then(() => upstream.end()));
    upstream.on("end", () => client.end());
    client.on("close", closeBoth);
    upstream.on("close", () => client.destroy());
    client.on("error", closeBoth);
    upstream.on("error", closeBoth);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, resolve);
  });
  return {
    dockerHost: `unix://${socketPath}`,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
