// DOCKER_HOST=tcp://…: kiln uses the archive API (no host bind mounts), so a remote engine builds
// exactly like the local socket. The "remote" engine here is the local one behind a loopback
// TCP → unix-socket proxy, so that nothing can silently fall back to /var/run/docker.sock.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, BUSYBOX, describeRun, inImage, removeProduced } from "./support/build.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

const socketPath = (process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock").replace(/^unix:\/\//, "");
let server: net.Server;
let port = 0;
let connections = 0;

before(async () => {
  server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(socketPath);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await removeProduced();
  await assertNoKilnLeftovers({ context: "after the remote-engine test" });
});

describe("a remote engine (DOCKER_HOST=tcp://)", () => {
  it("builds with uploads and downloads through the archive API only", async (t) => {
    const r = await build(
      t,
      {
        builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
        provisioners: [
          { type: "file", source: "payload", destination: "/tmp/payload" },
          { type: "shell", inline: ["cat /tmp/payload/a.txt", "echo made-remotely > /tmp/made.txt"] },
          { type: "file", direction: "download", source: "/tmp/made.txt", destination: "back.txt" },
        ],
      },
      {
        env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` },
        prepare(dir) {
          mkdirSync(join(dir, "payload"));
          writeFileSync(join(dir, "payload", "a.txt"), "uploaded over tcp\n");
        },
      },
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.ok(connections > 0, "kiln talked to the tcp endpoint");
    assert.match(r.stdout, /docker: uploaded over tcp/);
    assert.equal(readFileSync(join(r.dir, "back.txt"), "utf8"), "made-remotely\n");
    assert.equal((await inImage(r.imageIds[0]!, "cat /tmp/payload/a.txt")).trim(), "uploaded over tcp");
  });
});
