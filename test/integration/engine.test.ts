// The engine client against the real dockerd named by the environment (DOCKER_HOST, or the default
// socket). It builds its own base image from the host's static busybox (no registry needed) and
// removes everything it created, found by a label unique to this run.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import { extract, pack as tarPack } from "tar-stream";
import type { Header } from "tar-stream";
import { createEngine, EngineError, isDirectoryMode, toUnixMode } from "../../src/engine/index.js";
import { localProcessCount } from "../../src/engine/local-processes.js";
import { ON_PODMAN } from "./support/engine.js";
import type { ContainerSpec, Engine, EngineErrorKind } from "../../src/engine/index.js";

const RUN = randomUUID().slice(0, 8);
const REPO = `kiln-test-engine-${RUN}`;
const LABELS = { "kiln.test": "1", "kiln.test.run": RUN };
const LABEL_CHANGES = Object.entries(LABELS).map(([key, value]) => `LABEL ${key}=${value}`);
const APPLETS = ["sh", "cat", "wc", "id", "pwd", "sleep", "ls", "echo"];

const engine: Engine = createEngine(process.env);
const createdContainers: string[] = [];
const createdImages: string[] = [];
let baseImage = "";
let containerId = "";

interface TarEntry {
  header: Header;
  data: Buffer;
}

/** tar-stream packs are streamx streams; the Engine takes node:stream Readables. */
function pack(): { entry: ReturnType<typeof tarPack>["entry"]; finalize: () => void; stream: Readable } {
  const packer = tarPack();
  return {
    entry: packer.entry.bind(packer),
    finalize: () => packer.finalize(),
    stream: Readable.from(packer as AsyncIterable<Buffer>, { objectMode: false }),
  };
}

function baseImageTar(): Readable {
  const tar = pack();
  const busybox = readFileSync("/bin/busybox");
  tar.entry({ name: "bin", type: "directory", mode: 0o755 });
  tar.entry({ name: "bin/busybox", mode: 0o755 }, busybox);
  for (const applet of APPLETS) tar.entry({ name: `bin/${applet}`, type: "symlink", linkname: "busybox" });
  tar.entry({ name: "tmp", type: "directory", mode: 0o1777 });
  tar.entry({ name: "root", type: "directory", mode: 0o700 });
  tar.entry({ name: "etc", type: "directory", mode: 0o755 });
  tar.entry(
    { name: "etc/passwd", mode: 0o644 },
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
  );
  tar.entry({ name: "etc/group", mode: 0o644 }, "root:x:0:\nnogroup:x:65534:\n");
  tar.finalize();
  return tar.stream;
}

/** Reads a tar stream, keeping the content of small entries only (saves hold whole layers). */
async function readTar(stream: Readable): Promise<Map<string, TarEntry>> {
  const extractor = extract();
  const piping = pipeline(stream, extractor);
  const entries = new Map<string, TarEntry>();
  for await (const entry of extractor) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= 64 * 1024) chunks.push(chunk);
    }
    entries.set(entry.header.name.replace(/\/$/, ""), { header: entry.header, data: Buffer.concat(chunks) });
  }
  await piping;
  return entries;
}

function spec(image: string, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    Image: image,
    Cmd: ["/bin/sleep", "3600"],
    Labels: { ...LABELS },
    HostConfig: { NetworkMode: "none" },
    ...extra,
  };
}

async function startContainer(image: string, extra: Partial<ContainerSpec> = {}): Promise<string> {
  const id = await engine.createContainer(spec(image, extra));
  createdContainers.push(id);
  await engine.startContainer(id);
  return id;
}

async function run(
  id: string,
  cmd: string[],
  opts: Partial<Parameters<Engine["exec"]>[1]> = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const { exitCode } = await engine.exec(id, {
    cmd,
    onStdout: (chunk) => (stdout += chunk.toString()),
    onStderr: (chunk) => (stderr += chunk.toString()),
    ...opts,
  });
  return { exitCode, stdout, stderr };
}

const isEngineError = (kinds: EngineErrorKind[]) => (e: unknown) =>
  e instanceof EngineError && kinds.includes(e.kind);

describe("DockerEngine against the real engine", { timeout: 120_000 }, () => {
  before(async () => {
    await engine.ping(AbortSignal.timeout(10_000));
  });

  after(async () => {
    const failures: unknown[] = [];
    const attempt = async (work: () => Promise<unknown>): Promise<void> => {
      try {
        await work();
      } catch (err) {
        if (!(err instanceof EngineError && err.kind === "not-found")) failures.push(err);
      }
    };
    // Containers first (they hold their images), then images newest first (children before parents).
    const strayContainers = await engine.listContainers({ all: true, label: [`kiln.test.run=${RUN}`] });
    for (const id of new Set([...createdContainers, ...strayContainers.map((c) => c.Id)])) {
      await attempt(() => engine.removeContainer(id));
    }
    for (const id of [...createdImages].reverse())
      await attempt(() => engine.removeImage(id, { force: true }));
    const strayImages = await engine.listImages({ label: [`kiln.test.run=${RUN}`] });
    for (const image of strayImages.sort((a, b) => b.Created - a.Created)) {
      await attempt(() => engine.removeImage(image.Id, { force: true }));
    }
    const left = [
      ...(await engine.listContainers({ all: true, label: [`kiln.test.run=${RUN}`] })).map((c) => c.Id),
      ...(await engine.listImages({ label: [`kiln.test.run=${RUN}`] })).map((i) => i.Id),
    ];
    if (left.length > 0) failures.push(new Error(`left behind in the engine: ${left.join(", ")}`));
    if (failures.length > 0) throw new AggregateError(failures, "engine test cleanup failed");
  });

  it("reports its version and endpoint", async () => {
    const version = await engine.version();
    assert.match(version.ApiVersion, /^\d+\.\d+$/);
    assert.ok(engine.endpoint.length > 0);
  });

  it("imports a base image from a tar stream, tagged explicitly", async () => {
    const events: string[] = [];
    baseImage = await engine.importImage(baseImageTar(), {
      repo: REPO,
      tag: "base",
      changes: [...LABEL_CHANGES, 'CMD ["/bin/sh"]'],
      message: "kiln engine test base",
      onProgress: (e) => events.push(e.status ?? ""),
    });
    createdImages.push(baseImage);
    assert.match(baseImage, /^sha256:[a-f0-9]{64}$/);
    assert.ok(events.includes(baseImage));
    const inspected = await engine.inspectImage(`${REPO}:base`);
    assert.equal(inspected?.Id, baseImage);
    assert.deepEqual(inspected?.RepoTags, [`${REPO}:base`]);
    assert.equal(inspected?.Config?.Labels?.["kiln.test.run"], RUN);
    assert.deepEqual(inspected?.Config?.Cmd, ["/bin/sh"]);
  });

  it("creates, starts and inspects a container", async () => {
    containerId = await startContainer(baseImage, { name: `${REPO}-main` });
    const inspected = await engine.inspectContainer(containerId);
    assert.equal(inspected?.State.Running, true);
    assert.equal(inspected?.Name, `/${REPO}-main`);
    assert.equal(inspected?.Config.Labels?.["kiln.test"], "1");
    await assert.rejects(
      engine.createContainer(spec(baseImage, { name: `${REPO}-main` })),
      isEngineError(["conflict"]),
    );
  });

  it("execs with stdout, stderr, env from the request body and the exit code", async () => {
    const result = await run(
      containerId,
      ["/bin/sh", "-c", 'echo out; echo err >&2; echo "$KILN_SECRET"; exit 3'],
      {
        env: ["KILN_SECRET=from the body"],
      },
    );
    assert.deepEqual(result, { exitCode: 3, stdout: "out\nfrom the body\n", stderr: "err\n" });
  });

  it("execs as another user in another directory", async () => {
    const result = await run(containerId, ["/bin/sh", "-c", "id -u; pwd"], {
      user: "65534",
      workingDir: "/tmp",
    });
    assert.deepEqual(result, { exitCode: 0, stdout: "65534\n/tmp\n", stderr: "" });
  });

  it("pipes stdin through the upgraded connection and half-closes it", async () => {
    const stdin = new PassThrough();
    stdin.end(Buffer.alloc(100 * 1024, "x"));
    const result = await run(containerId, ["/bin/wc", "-c"], { stdin });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout.trim(), String(100 * 1024));
    const script = new PassThrough();
    script.end("echo from-stdin; echo to-err >&2; exit 5\n");
    assert.deepEqual(await run(containerId, ["/bin/sh"], { stdin: script }), {
      exitCode: 5,
      stdout: "from-stdin\n",
      stderr: "to-err\n",
    });
  });

  it("does not fail when the process exits without reading its stdin", async () => {
    const stdin = Readable.from(
      (function* () {
        for (let i = 0; i < 160; i++) yield Buffer.alloc(64 * 1024, "y");
      })(),
    );
    const result = await run(containerId, ["/bin/sh", "-c", "echo early; exit 4"], { stdin });
    assert.deepEqual(
      { exitCode: result.exitCode, stdout: result.stdout },
      { exitCode: 4, stdout: "early\n" },
    );
    // Podman's conmon reports the input it could not deliver on the exec's stderr (docs/engines.md).
    if (ON_PODMAN)
      assert.match(result.stderr, /^(|Error: (read|write) .*: (connection reset by peer|broken pipe)\n)$/);
    else assert.equal(result.stderr, "");
  });

  it("execs with a TTY (one raw stream)", async () => {
    const result = await run(containerId, ["/bin/sh", "-c", "echo tty; exit 1"], { tty: true });
    assert.equal(result.exitCode, 1);
    assert.equal(result.stdout.replace(/\r/g, ""), "tty\n");
  });

  it("aborts an exec promptly", async () => {
    const started = Date.now();
    await assert.rejects(
      run(containerId, ["/bin/sleep", "30"], { signal: AbortSignal.timeout(300) }),
      isEngineError(["aborted"]),
    );
    assert.ok(Date.now() - started < 5000);
  });

  it("fails an exec in a missing container with not-found", async () => {
    await assert.rejects(run(`${REPO}-missing`, ["/bin/true"]), isEngineError(["not-found"]));
  });

  it("round-trips files through putArchive and getArchive, keeping modes and owners", async () => {
    const tar = pack();
    tar.entry({ name: "kiln", type: "directory", mode: 0o750, uid: 1000, gid: 1000 });
    tar.entry({ name: "kiln/script.sh", mode: 0o755, uid: 1000, gid: 1000 }, "#!/bin/sh\necho script ran\n");
    tar.entry({ name: "kiln/secret.txt", mode: 0o600 }, "s3cr3t\n");
    tar.finalize();
    await engine.putArchive(containerId, "/tmp", tar.stream);

    assert.deepEqual(await run(containerId, ["/tmp/kiln/script.sh"]), {
      exitCode: 0,
      stdout: "script ran\n",
      stderr: "",
    });
    const stat = await engine.statPath(containerId, "/tmp/kiln/script.sh");
    assert.equal(stat?.name, "script.sh");
    assert.equal(stat && toUnixMode(stat.mode) & 0o7777, 0o755);
    assert.equal(await engine.statPath(containerId, "/tmp/nothing-here"), undefined);
    await assert.rejects(engine.statPath(`${REPO}-missing`, "/tmp"), isEngineError(["not-found"]));

    const { stat: dirStat, tar: download } = await engine.getArchive(containerId, "/tmp/kiln");
    assert.equal(dirStat.name, "kiln");
    assert.ok(isDirectoryMode(dirStat.mode));
    const entries = await readTar(download);
    assert.deepEqual([...entries.keys()].sort(), ["kiln", "kiln/script.sh", "kiln/secret.txt"]);
    const perm = (name: string): number | undefined => {
      const mode = entries.get(name)?.header.mode;
      return mode === undefined ? undefined : mode & 0o7777;
    };
    assert.equal(perm("kiln"), 0o750);
    // Podman's archive download writes every owner as 0:0 (docs/engines.md); Docker keeps them.
    assert.equal(entries.get("kiln")?.header.uid, ON_PODMAN ? 0 : 1000);
    assert.equal(perm("kiln/script.sh"), 0o755);
    assert.equal(perm("kiln/secret.txt"), 0o600);
    assert.equal(entries.get("kiln/secret.txt")?.data.toString(), "s3cr3t\n");
  });

  it("fails an upload into a missing directory with not-found", async () => {
    const tar = pack();
    tar.entry({ name: "f" }, "x");
    tar.finalize();
    await assert.rejects(
      engine.putArchive(containerId, "/no/such/dir", tar.stream),
      isEngineError(["not-found"]),
    );
    await assert.rejects(engine.getArchive(containerId, "/no/such/file"), isEngineError(["not-found"]));
  });

  it("commits with changes", async () => {
    const committed = await engine.commitContainer(containerId, {
      changes: [
        ...LABEL_CHANGES,
        "ENV KILN_A=1 KILN_B=two",
        "WORKDIR /tmp/kiln",
        'CMD ["/tmp/kiln/script.sh"]',
        "USER nobody",
      ],
      author: "kiln tests",
      comment: "engine test commit",
    });
    createdImages.push(committed);
    const inspected = await engine.inspectImage(committed);
    assert.ok(inspected?.Config?.Env?.includes("KILN_A=1"));
    assert.ok(inspected?.Config?.Env?.includes("KILN_B=two"));
    assert.equal(inspected?.Config?.WorkingDir, "/tmp/kiln");
    assert.deepEqual(inspected?.Config?.Cmd, ["/tmp/kiln/script.sh"]);
    assert.equal(inspected?.Config?.User, "nobody");
    assert.equal(inspected?.Config?.Labels?.["kiln.test.run"], RUN);

    const child = await startContainer(committed);
    assert.deepEqual(await run(child, ["/bin/sh", "-c", "pwd; cat secret.txt 2>/dev/null || echo denied"]), {
      exitCode: 0,
      stdout: "/tmp/kiln\ndenied\n",
      stderr: "",
    });
  });

  it("exports a container and imports the stream as a new image", async () => {
    const exported = await engine.exportContainer(containerId);
    const reimported = await engine.importImage(exported, {
      repo: REPO,
      tag: "reimported",
      changes: LABEL_CHANGES,
    });
    createdImages.push(reimported);
    assert.notEqual(reimported, baseImage);
    const copy = await startContainer(`${REPO}:reimported`);
    assert.deepEqual(await run(copy, ["/bin/cat", "/tmp/kiln/secret.txt"]), {
      exitCode: 0,
      stdout: "s3cr3t\n",
      stderr: "",
    });
  });

  it("tags, lists by label, saves and removes images", async () => {
    await engine.tagImage(baseImage, `${REPO}/tagged`, "v1");
    assert.ok((await engine.inspectImage(`${REPO}/tagged:v1`))?.RepoTags?.includes(`${REPO}/tagged:v1`));

    const images = await engine.listImages({ label: [`kiln.test.run=${RUN}`] });
    assert.ok(images.some((i) => i.Id === baseImage));
    const containers = await engine.listContainers({ label: [`kiln.test.run=${RUN}`] });
    assert.ok(containers.some((c) => c.Id === containerId));
    assert.ok((await engine.listContainers({ label: [`kiln.test.run=${RUN}-none`] })).length === 0);

    const saved = await readTar(await engine.saveImages([`${REPO}/tagged:v1`, `${REPO}:reimported`]));
    const manifest = JSON.parse(saved.get("manifest.json")?.data.toString() ?? "[]") as {
      RepoTags: string[];
    }[];
    // Podman's save names images in full (docs/engines.md); `docker load` reads both the same.
    const full = (name: string): string =>
      ON_PODMAN ? `docker.io/${name.includes("/") ? "" : "library/"}${name}` : name;
    assert.deepEqual(
      manifest.flatMap((m) => m.RepoTags).sort(),
      [full(`${REPO}/tagged:v1`), full(`${REPO}:reimported`)].sort(),
    );

    await engine.removeImage(`${REPO}/tagged:v1`);
    assert.equal(await engine.inspectImage(`${REPO}/tagged:v1`), undefined);
    assert.equal((await engine.inspectImage(baseImage))?.Id, baseImage);
    await assert.rejects(engine.removeImage(`${REPO}/tagged:v1`), isEngineError(["not-found"]));
  });

  it("counts a container's processes from its cgroup, as the container sees them", async () => {
    // The engine runs on this machine here (every engine of the matrix), so the cgroup is read.
    const id = await startContainer(baseImage);
    const local = async (): Promise<number | undefined> => {
      const inspected = await engine.inspectContainer(id);
      return localProcessCount(inspected!.Id, inspected!.State.Pid);
    };
    // What the container's own /proc lists, less the shell that counts.
    const seen = async (): Promise<number> => {
      const r = await run(id, ["/bin/sh", "-c", "n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $n"]);
      return Number(r.stdout.trim()) - 1;
    };
    assert.equal(await local(), 1);
    assert.equal(await seen(), 1);
    assert.equal(await engine.containerProcesses(id), 1);
    // Two sleepers left behind by an exec, as a step that starts a daemon leaves them.
    await run(id, [
      "/bin/sh",
      "-c",
      "sleep 300 </dev/null >/dev/null 2>&1 & sleep 300 </dev/null >/dev/null 2>&1 &",
    ]);
    assert.equal(await local(), 3);
    assert.equal(await seen(), 3);
    assert.equal(await engine.containerProcesses(id), 3);
    await engine.removeContainer(id);
  });

  it("kills and removes containers, quietly when already stopped or gone", async () => {
    const id = await startContainer(baseImage);
    await engine.killContainer(id);
    await engine.killContainer(id);
    await engine.removeContainer(id);
    await engine.removeContainer(id);
    assert.equal(await engine.inspectContainer(id), undefined);
  });

  it("fails a pull of an image that cannot be fetched, cleanly and fast", async () => {
    const started = Date.now();
    await assert.rejects(
      engine.pullImage(`kiln-test/does-not-exist-${RUN}:0`, { signal: AbortSignal.timeout(20_000) }),
      (e: unknown) => {
        assert.ok(e instanceof EngineError, String(e));
        assert.notEqual(e.kind, "aborted", "the pull hung until the test's timeout");
        assert.match(e.message, new RegExp(`pull kiln-test/does-not-exist-${RUN}:0: .+`));
        return true;
      },
    );
    assert.ok(Date.now() - started < 20_000);
  });

  it("fails a push to an unreachable registry with the in-band error", async () => {
    const name = `127.0.0.1:1/${REPO}`;
    await engine.tagImage(baseImage, name, "push");
    try {
      await assert.rejects(
        engine.pushImage(name, "push", { signal: AbortSignal.timeout(20_000) }),
        (e: unknown) => e instanceof EngineError && e.kind === "stream" && /127\.0\.0\.1:1/.test(e.message),
      );
    } finally {
      await engine.removeImage(`${name}:push`);
    }
  });
});
