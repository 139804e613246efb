// Engine.buildImage on the wire, against a scripted Engine API on a unix socket: the query and
// headers POST /build gets, the context streamed as sent, in-band errors, and squash refused by a
// Docker without experimental mode as its own error kind.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/engine/docker-engine.js";
import { EngineError } from "../../src/engine/errors.js";
import { resolveEngineHost } from "../../src/engine/endpoint.js";

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;
let handler: Handler = (_req, _body, res) => res.end();
let engine: DockerEngine;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => handler(req, Buffer.concat(chunks), res));
});
const ID = `sha256:${"c".repeat(64)}`;

before(async () => {
  const socket = join(mkdtempSync(join(tmpdir(), "kiln-build-")), "engine.sock");
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  engine = new DockerEngine(resolveEngineHost({ DOCKER_HOST: `unix://${socket}` }));
});
after(() => {
  engine.close();
  server.close();
});

const lines = (res: ServerResponse, events: object[]) => {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(events.map((e) => JSON.stringify(e) + "\r\n").join(""));
};

describe("Engine.buildImage", () => {
  it("sends the options as POST /build's query, credentials in X-Registry-Config, the context as the body", async () => {
    let seen: { url: URL; headers: IncomingMessage["headers"]; body: string } | undefined;
    handler = (req, body, res) => {
      seen = { url: new URL(req.url ?? "/", "http://e"), headers: req.headers, body: body.toString() };
      lines(res, [
        { stream: "Step 1/1 : FROM x\n" },
        { aux: { ID } },
        { stream: "Successfully built cccccccccccc\n" },
      ]);
    };
    const streamed: string[] = [];
    const result = await engine.buildImage(Readable.from([Buffer.from("tar-"), Buffer.from("bytes")]), {
      dockerfile: "sub/Dockerfile",
      tags: ["a/b:1", "a/b:latest"],
      buildArgs: { V: "1" },
      labels: { k: "v" },
      target: "final",
      network: "host",
      noCache: true,
      squash: true,
      registryConfig: { "127.0.0.1:5000": { username: "u", password: "p" } },
      onProgress: (e) => e.stream && streamed.push(e.stream),
    });
    assert.equal(result.imageId, ID);
    const q = seen!.url.searchParams;
    assert.equal(seen!.url.pathname, "/v1.41/build");
    assert.deepEqual(q.getAll("t"), ["a/b:1", "a/b:latest"]);
    assert.equal(q.get("dockerfile"), "sub/Dockerfile");
    assert.deepEqual(JSON.parse(q.get("buildargs")!), { V: "1" });
    assert.deepEqual(JSON.parse(q.get("labels")!), { k: "v" });
    assert.equal(q.get("target"), "final");
    assert.equal(q.get("networkmode"), "host");
    assert.equal(q.get("nocache"), "1");
    assert.equal(q.get("squash"), "1");
    assert.equal(q.get("pull"), null);
    assert.equal(q.get("rm"), "1");
    assert.equal(q.get("forcerm"), "1");
    assert.equal(q.get("version"), "1");
    assert.equal(seen!.headers["content-type"], "application/x-tar");
    const config = Buffer.from(
      String(seen!.headers["x-registry-config"]).replace(/-/g, "+").replace(/_/g, "/"),
      "base64",
    ).toString();
    assert.deepEqual(JSON.parse(config), { "127.0.0.1:5000": { username: "u", password: "p" } });
    assert.equal(seen!.body, "tar-bytes");
    assert.deepEqual(streamed, ["Step 1/1 : FROM x\n", "Successfully built cccccccccccc\n"]);
  });

  it("fails on an in-band error even though the status was 200", async () => {
    handler = (_req, _body, res) =>
      lines(res, [
        { stream: "Step 2/2 : RUN exit 3\n" },
        {
          errorDetail: { code: 3, message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3" },
          error: "x",
        },
      ]);
    await assert.rejects(
      engine.buildImage(Readable.from([Buffer.from("t")]), { tags: ["a:1"] }),
      (e: unknown) =>
        e instanceof EngineError && e.kind === "stream" && /returned a non-zero code: 3/.test(e.message),
    );
  });

  it("turns Docker's refusal to squash into kind unsupported", async () => {
    handler = (_req, _body, res) => {
      res.writeHead(400, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: "squash is only supported with experimental mode" }));
    };
    await assert.rejects(
      engine.buildImage(Readable.from([Buffer.from("t")]), { squash: true }),
      (e: unknown) => e instanceof EngineError && e.kind === "unsupported",
    );
    await assert.rejects(
      engine.buildImage(Readable.from([Buffer.from("t")]), {}),
      (e: unknown) => e instanceof EngineError && e.kind === "bad-request",
    );
  });

  it("without an aux ID, takes the ID from the first tag", async () => {
    handler = (req, _body, res) => {
      if (req.url?.includes("/build")) lines(res, [{ stream: "Successfully tagged a:1\n" }]);
      else {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ Id: ID, RepoTags: ["a:1"], RepoDigests: [], Config: {} }));
      }
    };
    assert.equal((await engine.buildImage(Readable.from([Buffer.from("t")]), { tags: ["a:1"] })).imageId, ID);
  });
});
