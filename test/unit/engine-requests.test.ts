// The DockerEngine against a scripted fake Engine API on a unix socket: what goes on the wire
// (paths, query, headers, bodies) and how answers map to results and EngineErrors.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, beforeEach, describe, it } from "node:test";
import { DockerEngine } from "../../src/engine/docker-engine.js";
import { EngineError } from "../../src/engine/errors.js";
import type { EngineErrorKind } from "../../src/engine/errors.js";
import { resolveEngineHost } from "../../src/engine/endpoint.js";

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: string;
}

type Handler = (req: Recorded, res: ServerResponse) => void;

const ID = "a".repeat(64);
const DIGEST = `sha256:${"b".repeat(64)}`;

let dir: string;
let server: Server;
let engine: DockerEngine;
let requests: Recorded[];
let routes: Map<string, Handler>;

function route(method: string, path: string, handler: Handler): void {
  routes.set(`${method} ${path}`, handler);
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "Content-Type": "application/json", "Api-Version": "1.41", ...headers });
  res.end(JSON.stringify(body));
}

function lines(res: ServerResponse, events: unknown[]): void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(events.map((e) => `${JSON.stringify(e)}\r\n`).join(""));
}

const isEngineError = (kind: EngineErrorKind, pattern?: RegExp) => (e: unknown) =>
  e instanceof EngineError && e.kind === kind && (pattern === undefined || pattern.test(e.message));

let flavor: "docker" | "podman" = "docker";
const versions = {
  docker: {
    Version: "20.10.24",
    ApiVersion: "1.41",
    Os: "linux",
    Arch: "amd64",
    Components: [{ Name: "Engine", Version: "20.10.24" }],
  },
  podman: {
    Version: "4.3.1",
    ApiVersion: "1.41",
    Os: "linux",
    Arch: "amd64",
    Components: [{ Name: "Podman Engine", Version: "4.3.1" }],
  },
};
let socketPath: string;

/** An engine that has identified the fake as Podman (the identity is read once per engine). */
async function podmanEngine(): Promise<DockerEngine> {
  flavor = "podman";
  try {
    const podman = new DockerEngine(resolveEngineHost({ DOCKER_HOST: `unix://${socketPath}` }));
    assert.equal((await podman.identity()).product, "Podman");
    return podman;
  } finally {
    flavor = "docker";
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kiln-engine-"));
  socketPath = join(dir, "engine.sock");
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://engine");
    const chunks: Buffer[] = [];
    let handled = false;
    const handle = (): void => {
      if (handled) return;
      handled = true;
      const recorded: Recorded = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      // The engine reads /version once (Docker or Podman?); not one of the requests under test.
      if (recorded.path === "/version") {
        json(res, 200, versions[flavor]);
        return;
      }
      requests.push(recorded);
      const handler = routes.get(`${recorded.method} ${recorded.path}`);
      if (handler) handler(recorded, res);
      else json(res, 404, { message: `no route for ${recorded.method} ${recorded.path}` });
    };
    // An upload to path=/early is answered before it is read, as the engine refuses a bad path.
    if (url.searchParams.get("path") === "/early") handle();
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", handle);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  engine = new DockerEngine(resolveEngineHost({ DOCKER_HOST: `unix://${socketPath}` }));
});

after(async () => {
  engine.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  requests = [];
  routes = new Map();
});

describe("DockerEngine requests", () => {
  it("pushes name plus ?tag=, always with a padded X-Registry-Auth, and returns the digest", async () => {
    route("POST", "/v1.41/images/localhost:5000/app/push", (_req, res) =>
      lines(res, [{ status: "Preparing", id: "x" }, { status: `1: digest: ${DIGEST} size: 528` }]),
    );
    const events: string[] = [];
    const result = await engine.pushImage("localhost:5000/app", "1", {
      onProgress: (e) => events.push(e.status ?? ""),
    });
    assert.deepEqual(result, { digest: DIGEST, size: 528 });
    assert.deepEqual(events, ["Preparing", `1: digest: ${DIGEST} size: 528`]);
    const [push] = requests;
    assert.equal(push?.query.get("tag"), "1");
    assert.equal(push?.headers["x-registry-auth"], "e30=");
  });

  it("refuses to push name:tag (Podman would push name:tag:tag)", async () => {
    await assert.rejects(engine.pushImage("app:1", "1"), isEngineError("bad-request"));
    assert.equal(requests.length, 0);
  });

  it("fails a push whose stream has an error line, or no digest", async () => {
    route("POST", "/v1.41/images/app/push", (_req, res) =>
      lines(res, [{ status: "Preparing" }, { errorDetail: { message: "denied" }, error: "denied" }]),
    );
    await assert.rejects(engine.pushImage("app", "1"), isEngineError("stream", /^push app:1: denied$/));
    route("POST", "/v1.41/images/app/push", (_req, res) => lines(res, [{ status: "Preparing" }]));
    await assert.rejects(engine.pushImage("app", "1"), isEngineError("stream", /digest/));
  });

  it("pulls with an explicit tag (an empty one would pull every tag) and the auth header", async () => {
    route("POST", "/v1.41/images/create", (_req, res) =>
      lines(res, [{ status: "Pulling" }, { status: "Done" }]),
    );
    await engine.pullImage("ubuntu", { auth: { username: "u", password: "p" }, platform: "linux/arm64" });
    await engine.pullImage(`r.io/app:1@${DIGEST}`);
    const [first, second] = requests;
    assert.equal(first?.query.get("fromImage"), "docker.io/library/ubuntu");
    assert.equal(first?.query.get("tag"), "latest");
    assert.equal(first?.query.get("platform"), "linux/arm64");
    assert.deepEqual(
      JSON.parse(Buffer.from(String(first?.headers["x-registry-auth"]), "base64").toString()),
      { username: "u", password: "p" },
    );
    assert.equal(second?.query.get("fromImage"), "r.io/app");
    assert.equal(second?.query.get("tag"), DIGEST);
  });

  it("throws a stream error from a pull that fails in-band", async () => {
    route("POST", "/v1.41/images/create", (_req, res) => lines(res, [{ error: "manifest unknown" }]));
    await assert.rejects(engine.pullImage("app:1"), isEngineError("stream", /pull app:1: manifest unknown/));
  });

  it("commits with a {} JSON body and one changes parameter per line", async () => {
    route("POST", "/v1.41/commit", (_req, res) => json(res, 201, { Id: `sha256:${ID}` }));
    const id = await engine.commitContainer("c1", {
      changes: ['CMD ["/bin/sh"]', "ENV A=b c"],
      author: "me",
      comment: "why",
      pause: false,
    });
    assert.equal(id, `sha256:${ID}`);
    const [commit] = requests;
    assert.equal(commit?.body, "{}");
    assert.equal(commit?.headers["content-type"], "application/json");
    assert.deepEqual(commit?.query.getAll("changes"), ['CMD ["/bin/sh"]', "ENV A=b c"]);
    assert.equal(commit?.query.get("container"), "c1");
    assert.equal(commit?.query.get("author"), "me");
    assert.equal(commit?.query.get("pause"), "0");
  });

  it("Podman: commit config travels as leading changes (Podman ignores the body), bare IDs get sha256:", async () => {
    const podman = await podmanEngine();
    route("POST", "/v1.41/commit", (_req, res) => json(res, 201, { Id: ID }));
    const id = await podman.commitContainer("c1", {
      config: { Cmd: ["/bin/app", "a b"], Entrypoint: [] },
      changes: ["ENV A=b", 'CMD ["/bin/other"]'],
    });
    podman.close();
    assert.equal(id, `sha256:${ID}`);
    const [commit] = requests;
    assert.equal(commit?.body, "{}");
    assert.deepEqual(commit?.query.getAll("changes"), [
      "ENTRYPOINT []",
      'CMD ["/bin/app","a b"]',
      "ENV A=b",
      'CMD ["/bin/other"]',
    ]);
  });

  it("Podman: an upload into a missing directory is not-found (Podman itself answers 200)", async () => {
    const podman = await podmanEngine();
    route("HEAD", "/v1.41/containers/c1/archive", (_req, res) => {
      res.writeHead(404);
      res.end();
    });
    route("GET", "/v1.41/containers/c1/json", (_req, res) => json(res, 200, { Id: "c1" }));
    route("PUT", "/v1.41/containers/c1/archive", (_req, res) => json(res, 200, {}));
    await assert.rejects(
      podman.putArchive("c1", "/missing", Readable.from([Buffer.alloc(512)])),
      isEngineError("not-found", /upload to \/missing in container c1: no such directory/),
    );
    podman.close();
    assert.ok(!requests.some((r) => r.method === "PUT"), "nothing was uploaded");
  });

  it("imports without repo/tag (with platform), takes the ID from the stream, then tags explicitly", async () => {
    route("POST", "/v1.41/images/create", (_req, res) => lines(res, [{ status: `sha256:${ID}` }]));
    route("POST", `/v1.41/images/sha256:${ID}/tag`, (_req, res) => {
      res.writeHead(201);
      res.end();
    });
    const id = await engine.importImage(Readable.from([Buffer.from("tar bytes")]), {
      repo: "kiln/app",
      tag: "2",
      changes: ["LABEL a=b"],
      message: "m",
      platform: "linux/arm64",
    });
    assert.equal(id, `sha256:${ID}`);
    const [create, tag] = requests;
    assert.equal(create?.query.get("fromSrc"), "-");
    assert.equal(create?.query.has("repo"), false);
    assert.equal(create?.query.has("tag"), false);
    assert.deepEqual(create?.query.getAll("changes"), ["LABEL a=b"]);
    assert.equal(create?.query.get("platform"), "linux/arm64");
    assert.equal(create?.body, "tar bytes");
    assert.equal(create?.headers["content-type"], "application/x-tar");
    assert.equal(tag?.query.get("repo"), "kiln/app");
    assert.equal(tag?.query.get("tag"), "2");
  });

  it("fails an import whose stream names no image", async () => {
    route("POST", "/v1.41/images/create", (_req, res) => lines(res, [{ status: "Importing" }]));
    await assert.rejects(
      engine.importImage(Readable.from([Buffer.from("x")])),
      isEngineError("stream", /ID/),
    );
  });

  it("passes name and platform of a container as query parameters, the rest as the body", async () => {
    route("POST", "/v1.41/containers/create", (_req, res) => json(res, 201, { Id: ID, Warnings: [] }));
    const id = await engine.createContainer({
      name: "kiln-x",
      platform: "linux/amd64",
      Image: "busybox",
      Labels: { kiln: "1" },
      HostConfig: {},
    });
    assert.equal(id, ID);
    const [create] = requests;
    assert.equal(create?.query.get("name"), "kiln-x");
    assert.equal(create?.query.get("platform"), "linux/amd64");
    assert.deepEqual(JSON.parse(create?.body ?? ""), {
      Image: "busybox",
      Labels: { kiln: "1" },
      HostConfig: {},
    });
  });

  it("lists with label filters", async () => {
    route("GET", "/v1.41/containers/json", (_req, res) => json(res, 200, []));
    route("GET", "/v1.41/images/json", (_req, res) => json(res, 200, []));
    await engine.listContainers({ label: ["kiln.test=1"], all: true });
    await engine.listImages({ label: ["a", "b=c"] });
    assert.equal(requests[0]?.query.get("all"), "1");
    assert.deepEqual(JSON.parse(requests[0]?.query.get("filters") ?? ""), { label: ["kiln.test=1"] });
    assert.deepEqual(JSON.parse(requests[1]?.query.get("filters") ?? ""), { label: ["a", "b=c"] });
  });

  it("sends exec env in the body, never in the command", async () => {
    route("POST", "/v1.41/containers/c1/exec", (_req, res) => json(res, 201, { Id: "e1" }));
    route("POST", "/v1.41/exec/e1/start", (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/vnd.docker.raw-stream" });
      const header = Buffer.from([1, 0, 0, 0, 0, 0, 0, 2]);
      res.end(Buffer.concat([header, Buffer.from("hi")]));
    });
    route("GET", "/v1.41/exec/e1/json", (_req, res) => json(res, 200, { Running: false, ExitCode: 7 }));
    let out = "";
    const result = await engine.exec("c1", {
      cmd: ["/bin/sh", "-c", "echo $SECRET"],
      env: ["SECRET=s3cr3t"],
      user: "1000",
      workingDir: "/w",
      onStdout: (c) => (out += c.toString()),
    });
    assert.deepEqual(result, { exitCode: 7 });
    assert.equal(out, "hi");
    const create = JSON.parse(requests[0]?.body ?? "") as Record<string, unknown>;
    assert.deepEqual(create, {
      Cmd: ["/bin/sh", "-c", "echo $SECRET"],
      Env: ["SECRET=s3cr3t"],
      User: "1000",
      WorkingDir: "/w",
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    assert.deepEqual(JSON.parse(requests[1]?.body ?? ""), { Detach: false, Tty: false });
    for (const r of requests) assert.ok(!`${r.path}?${r.query.toString()}`.includes("s3cr3t"));
  });

  it("maps statuses to error kinds, carrying the daemon's message and the status", async () => {
    const cases: [number, EngineErrorKind][] = [
      [400, "bad-request"],
      [401, "bad-request"],
      [404, "not-found"],
      [409, "conflict"],
      [500, "server"],
      [503, "server"],
    ];
    for (const [status, kind] of cases) {
      route("POST", "/v1.41/containers/c1/start", (_req, res) =>
        json(res, status, { message: `daemon says ${status}` }),
      );
      await assert.rejects(engine.startContainer("c1"), (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.equal(e.kind, kind);
        assert.equal(e.status, status);
        assert.equal(e.message, `start container c1: daemon says ${status}`);
        return true;
      });
    }
    route("POST", "/v1.41/containers/c1/start", (_req, res) => {
      res.writeHead(502);
      res.end("bad gateway from a proxy");
    });
    await assert.rejects(engine.startContainer("c1"), isEngineError("server", /bad gateway from a proxy/));
  });

  it("Podman: an image another process is still committing (500, no manifest yet) is waited for", async () => {
    const podman = await podmanEngine();
    try {
      let asked = 0;
      route("GET", "/v1.41/images/kiln-cache:k/json", (_req, res) =>
        ++asked < 3
          ? json(res, 500, {
              message: `failed to convert ImageData to ImageInspect 'kiln-cache:k': locating item named "manifest" for image with ID "${ID}": file does not exist`,
            })
          : json(res, 200, { Id: ID, RepoTags: ["localhost/kiln-cache:k"] }),
      );
      const image = await podman.inspectImage("kiln-cache:k");
      assert.equal(asked, 3);
      assert.equal(image?.Id, `sha256:${ID}`);
      // Any other server error still fails at once.
      route("GET", "/v1.41/images/broken/json", (_req, res) =>
        json(res, 500, { message: "database is locked" }),
      );
      await assert.rejects(podman.inspectImage("broken"), isEngineError("server", /database is locked/));
    } finally {
      podman.close();
    }
  });

  it("is quiet where the interface says so: inspect 404, kill 409, remove 404", async () => {
    route("GET", "/v1.41/containers/gone/json", (_req, res) =>
      json(res, 404, { message: "No such container: gone" }),
    );
    route("GET", "/v1.41/images/gone/json", (_req, res) =>
      json(res, 404, { message: "No such image: gone" }),
    );
    route("POST", "/v1.41/containers/idle/kill", (_req, res) =>
      json(res, 409, { message: "is not running" }),
    );
    route("DELETE", "/v1.41/containers/gone", (_req, res) =>
      json(res, 404, { message: "No such container" }),
    );
    assert.equal(await engine.inspectContainer("gone"), undefined);
    assert.equal(await engine.inspectImage("gone"), undefined);
    await engine.killContainer("idle");
    await engine.removeContainer("gone");
    assert.equal(requests[3]?.query.get("force"), "1");
    assert.equal(requests[3]?.query.get("v"), "1");
    route("POST", "/v1.41/containers/gone/kill", (_req, res) =>
      json(res, 404, { message: "No such container" }),
    );
    await assert.rejects(engine.killContainer("gone"), isEngineError("not-found"));
  });

  it("statPath tells a missing path (undefined) from a missing container (not-found)", async () => {
    const stat = { name: "f", size: 3, mode: 0o644, mtime: "2024-01-01T00:00:00Z", linkTarget: "" };
    route("HEAD", "/v1.41/containers/c1/archive", (req, res) => {
      if (req.query.get("path") === "/missing") {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, {
        "X-Docker-Container-Path-Stat": Buffer.from(JSON.stringify(stat)).toString("base64"),
      });
      res.end();
    });
    route("GET", "/v1.41/containers/c1/json", (_req, res) => json(res, 200, { Id: "c1" }));
    assert.deepEqual(await engine.statPath("c1", "/f"), stat);
    assert.equal(await engine.statPath("c1", "/missing"), undefined);
    await assert.rejects(engine.statPath("nope", "/f"), isEngineError("not-found", /no such container/));
  });

  it("aborts a request that hangs, with kind aborted, promptly", async () => {
    route("GET", "/v1.41/containers/slow/export", () => undefined);
    const started = Date.now();
    await assert.rejects(
      engine.exportContainer("slow", AbortSignal.timeout(100)),
      isEngineError("aborted", /timed out/),
    );
    assert.ok(Date.now() - started < 2000);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(engine.ping(controller.signal), isEngineError("aborted", /cancelled/));
  });

  it("aborts a response stream that is already flowing", async () => {
    route("GET", "/v1.41/containers/c1/export", (_req, res) => {
      res.writeHead(200);
      res.write("partial");
    });
    const controller = new AbortController();
    const stream = await engine.exportContainer("c1", controller.signal);
    const chunks: Buffer[] = [];
    const reading = (async () => {
      for await (const chunk of stream) {
        chunks.push(chunk as Buffer);
        controller.abort();
      }
    })();
    await assert.rejects(reading, isEngineError("aborted"));
    assert.equal(Buffer.concat(chunks).toString(), "partial");
  });

  it("stops uploading when the engine refuses early, and rejects with its error", async () => {
    route("PUT", "/v1.41/containers/c1/archive", (_req, res) =>
      json(res, 404, { message: "Could not find the file /early" }),
    );
    let produced = 0;
    const big = Readable.from(
      (function* () {
        for (; produced < 4096; produced++) yield Buffer.alloc(64 * 1024);
      })(),
    );
    await assert.rejects(
      engine.putArchive("c1", "/early", big),
      isEngineError("not-found", /Could not find the file/),
    );
    assert.ok(big.destroyed);
    assert.ok(produced < 4096, `the whole 256 MiB source was read (${produced} chunks)`);
  });

  it("passes on the error of an upload source that fails", async () => {
    route("PUT", "/v1.41/containers/c1/archive", (_req, res) => {
      res.writeHead(200);
      res.end();
    });
    const failing = new Readable({
      read() {
        this.destroy(new Error("disk on fire"));
      },
    });
    await assert.rejects(engine.putArchive("c1", "/tmp", failing), /disk on fire/);
  });

  it("negotiates down when the engine only speaks an older API version", async () => {
    route("GET", "/v1.41/images/old/json", (_req, res) =>
      json(
        res,
        400,
        { message: "client version 1.41 is too new. Maximum supported API version is 1.40" },
        { "Api-Version": "1.40" },
      ),
    );
    route("GET", "/v1.40/images/old/json", (_req, res) =>
      json(res, 200, { Id: "old" }, { "Api-Version": "1.40" }),
    );
    route("GET", "/v1.40/images/next/json", (_req, res) =>
      json(res, 200, { Id: "next" }, { "Api-Version": "1.40" }),
    );
    assert.equal((await engine.inspectImage("old"))?.Id, "old");
    assert.equal((await engine.inspectImage("next"))?.Id, "next");
    assert.deepEqual(
      requests.map((r) => r.path),
      ["/v1.41/images/old/json", "/v1.40/images/old/json", "/v1.40/images/next/json"],
    );
  });
});

describe("DockerEngine unreachable", () => {
  it("names the socket and says what to do", async () => {
    const missing = new DockerEngine(
      resolveEngineHost({ DOCKER_HOST: `unix://${join(tmpdir(), "kiln-no-such.sock")}` }),
    );
    await assert.rejects(missing.ping(), (e: unknown) => {
      assert.ok(e instanceof EngineError);
      assert.equal(e.kind, "unreachable");
      assert.match(e.message, /kiln-no-such\.sock/);
      assert.match(e.message, /DOCKER_HOST/);
      assert.match(e.message, /Is dockerd running\?/);
      return true;
    });
  });

  it("names the missing TLS file when DOCKER_TLS_VERIFY is set", async () => {
    const tls = new DockerEngine(
      resolveEngineHost({
        DOCKER_HOST: "tcp://127.0.0.1:1",
        DOCKER_TLS_VERIFY: "1",
        DOCKER_CERT_PATH: "/nonexistent",
      }),
    );
    await assert.rejects(
      tls.ping(),
      isEngineError("unreachable", /\/nonexistent\/ca\.pem.*DOCKER_CERT_PATH/),
    );
  });

  it("reports a refused TCP port", async () => {
    const refused = new DockerEngine(resolveEngineHost({ DOCKER_HOST: "tcp://127.0.0.1:1" }));
    await assert.rejects(
      refused.version(),
      isEngineError("unreachable", /tcp:\/\/127\.0\.0\.1:1.*connection refused/),
    );
  });
});
