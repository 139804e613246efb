// kiln chain as a graph on the real engine: a diamond of Packer and Dockerfile nodes whose children
// overlap in time (the machine-readable node records are the timeline) and give the same image as
// one node at a time, the base never pulled (the engine's own event log); invalid chains stopped
// before any engine contact; failures with and without -fail-fast; SIGINT in the middle.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { runKiln, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers, sweep, TEST_REPO_PREFIX } from "../harness/leaks.js";
import { BUSYBOX, describeRun, inImage, removeProduced } from "./support/build.js";
import { allContainerIds, imageId, nodeRecords, pullsSince, spans, writeTree } from "./support/chain.js";
import { ON_PODMAN } from "./support/engine.js";

const packer = (image: string, repository: string, script: string[], pull = false) => ({
  builders: [{ type: "docker", image, commit: true, pull }],
  provisioners: [{ type: "shell", inline: script }],
  "post-processors": [{ type: "docker-tag", repository, tags: ["1"] }],
});

/** A TCP "engine" that only counts connections: proof that invalid input never reaches one. */
async function countingEngine(): Promise<{ host: string; connections: () => number; close: () => void }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { host: `tcp://127.0.0.1:${port}`, connections: () => count, close: () => server.close() };
}

describe("kiln chain: the graph on the real engine", () => {
  let containersBefore: Set<string>;
  before(async () => {
    containersBefore = await allContainerIds();
  });
  after(async () => {
    const left = [...(await allContainerIds())].filter((id) => !containersBefore.has(id));
    await sweep({ repoPrefixes: ["kiln-cache:", TEST_REPO_PREFIX] });
    await removeProduced();
    assert.deepEqual(left, [], "no container of any kind is left");
    await assertNoKilnLeftovers({ context: "after the chain graph tests" });
  });

  it("a mixed diamond: children in parallel, the same image as one at a time, the base never pulled", async () => {
    const dir = tempDir();
    writeTree(dir, {
      "chain.json": {
        nodes: {
          base: { template: "base.json" },
          left: { template: "left.json" },
          right: {
            dockerfile: "Dockerfile.right",
            tags: ["kiln-it/diamond-right:1"],
            pull: true,
            squash: false,
          },
          top: { dockerfile: "Dockerfile.top", tags: ["kiln-it/diamond-top:1"], squash: false },
        },
      },
      "base.json": packer(BUSYBOX, "kiln-it/diamond-base", ["mkdir -p /layers", "echo base > /layers/base"]),
      // pull: true, as a template written for a registry would say: skipped for the chain's image.
      "left.json": packer(
        "kiln-it/diamond-base:1",
        "kiln-it/diamond-left",
        ["sleep 3", "echo left > /layers/left"],
        true,
      ),
      "Dockerfile.right": "FROM kiln-it/diamond-base:1\nRUN sleep 3 && echo right > /layers/right\n",
      "Dockerfile.top": [
        "FROM kiln-it/diamond-left:1",
        "COPY --from=kiln-it/diamond-right:1 /layers/right /layers/right",
        "RUN ls /layers > /layers.txt",
        "",
      ].join("\n"),
    });
    const since = Math.floor(Date.now() / 1000) - 1;
    const parallel = await runKiln(["chain", "-machine-readable", "-parallel-builds=4", "chain.json"], {
      cwd: dir,
      timeoutMs: 300_000,
    });
    assert.equal(parallel.code, 0, describeRun(parallel));
    const t = spans(parallel.stdout);
    const [l0, l1] = t.get("left")!;
    const [r0, r1] = t.get("right")!;
    assert.ok(l0 < r1 && r0 < l1, `left [${l0}, ${l1}] and right [${r0}, ${r1}] overlap`);
    assert.ok(Math.min(l1, r1) - Math.max(l0, r0) > 2000, "they overlap for most of their 3 s of work");
    assert.ok(l0 >= t.get("base")![1] && r0 >= t.get("base")![1], "both start after base");
    assert.ok(t.get("top")![0] >= Math.max(l1, r1), "top starts after both");
    assert.match(
      parallel.stdout,
      /\[left\] ==> docker: Skipping the pull of kiln-it\/diamond-base:1: built by node base of this chain\./,
    );
    assert.match(
      parallel.stdout,
      /\[right\] ==> dockerfile: Not pulling .*kiln-it\/diamond-base:1 built by node base/,
    );
    const parallelTop = await inImage("kiln-it/diamond-top:1", "cat /layers.txt; cat /layers/*");
    assert.equal(parallelTop, "base\nleft\nright\nbase\nleft\nright\n");

    const sequential = await runKiln(["chain", "-machine-readable", "-parallel-builds=1", "chain.json"], {
      cwd: dir,
      timeoutMs: 300_000,
    });
    assert.equal(sequential.code, 0, describeRun(sequential));
    const s = spans(sequential.stdout);
    const ordered = [...s.entries()].sort((a, b) => a[1][0] - b[1][0]);
    for (let i = 1; i < ordered.length; i++) {
      assert.ok(
        ordered[i]![1][0] >= ordered[i - 1]![1][1],
        `${ordered[i]![0]} starts after ${ordered[i - 1]![0]} ends`,
      );
    }
    assert.deepEqual(
      ordered.map(([n]) => n),
      ["base", "left", "right", "top"],
      "list order breaks the tie",
    );
    assert.equal(await inImage("kiln-it/diamond-top:1", "cat /layers.txt; cat /layers/*"), parallelTop);

    const pulls = await pullsSince(since);
    assert.deepEqual(
      pulls.filter((p) => p.includes("diamond")),
      [],
      `pulls: ${pulls.join(", ")}`,
    );
  });

  it("a cycle, a missing file, an unknown builder flag: exit 2, positioned, no engine contact", async () => {
    const engine = await countingEngine();
    try {
      const dir = tempDir();
      writeTree(dir, {
        "cycle.json": {
          nodes: {
            a: { template: "a.json" },
            b: { dockerfile: "Dockerfile.b", tags: ["kiln-it/cycle-b:1"] },
          },
        },
        "a.json": packer("kiln-it/cycle-b:1", "kiln-it/cycle-a", ["true"]),
        "Dockerfile.b": "FROM kiln-it/cycle-a:1\n",
        "missing.json": { nodes: { m: { template: "nowhere.json" } } },
        "docker/IMAGES.json": {
          images: [{ tag: "kiln-it/flag:1", builder_type: "docker", extra_args: "--biuld-arg A=1" }],
        },
        Dockerfile: "FROM scratch\n",
      });
      const env = { DOCKER_HOST: engine.host };
      const cycle = await runKiln(["chain", "cycle.json"], { cwd: dir, env });
      assert.equal(cycle.code, 2, describeRun(cycle));
      assert.match(cycle.stderr, /a\.json:\d+:\d+: error: the chain has a cycle: a -> b -> a/);
      assert.match(cycle.stderr, /a needs b: base image kiln-it\/cycle-b:1 at .*a\.json:5/);
      assert.match(cycle.stderr, /b needs a: FROM kiln-it\/cycle-a:1 at .*Dockerfile\.b:1/);
      const missing = await runKiln(["chain", "missing.json"], { cwd: dir, env });
      assert.equal(missing.code, 2, describeRun(missing));
      assert.match(missing.stderr, /missing\.json:4:19: error: m: template .*nowhere\.json does not exist/);
      const flag = await runKiln(["chain"], { cwd: dir, env });
      assert.equal(flag.code, 2, describeRun(flag));
      assert.match(
        flag.stderr,
        /docker\/IMAGES\.json:\d+:\d+: error: images\[0\]: extra_args: unknown docker build flag --biuld-arg; did you mean "--build-arg"\?/,
      );
      for (const r of [cycle, missing, flag])
        assert.doesNotMatch(r.stderr, /at .*\n\s+at /, "no stack trace");
      assert.equal(engine.connections(), 0, "the engine was never contacted");
    } finally {
      engine.close();
    }
  });

  const failing = (dir: string) =>
    writeTree(dir, {
      "chain.json": {
        nodes: {
          bad: { dockerfile: "Dockerfile.bad", tags: ["kiln-it/fail-bad:1"], squash: false },
          child: { template: "child.json" },
          slow: { template: "slow.json" },
        },
      },
      "Dockerfile.bad": `FROM ${BUSYBOX}\nRUN sleep 1 && echo failing-now && exit 3\n`,
      "child.json": packer("kiln-it/fail-bad:1", "kiln-it/fail-child", ["true"]),
      "slow.json": packer(BUSYBOX, "kiln-it/fail-slow", ["echo slow-started", "sleep 6", "echo slow-done"]),
    });

  it("a failing node: its dependent is skipped naming it, the independent node builds, exit 1", async () => {
    const dir = tempDir();
    failing(dir);
    const r = await runKiln(["chain", "-color=false", "-no-cache", "-parallel-builds=2", "chain.json"], {
      cwd: dir,
      timeoutMs: 300_000,
    });
    assert.equal(r.code, 1, describeRun(r));
    // The engine's own words for a failing RUN (Podman's build is buildah's).
    assert.match(
      r.stdout,
      ON_PODMAN
        ? /\[bad\] Failed after .*RUN sleep 1 && echo failing-now && exit 3": while running runtime: exit status 3/
        : /\[bad\] Failed after .*returned a non-zero code: 3/,
    );
    assert.match(r.stdout, /--> child: skipped: it needs bad, which failed/);
    assert.match(r.stdout, /--> slow: built in .*: kiln-it\/fail-slow:1/);
    assert.match(r.stdout, /: 1 built, 0 cached, 1 failed, 1 skipped/);
    assert.ok(await imageId("kiln-it/fail-slow:1"));
    assert.equal(await imageId("kiln-it/fail-child:1"), undefined);
  });

  it("-fail-fast: the running node is cancelled and cleaned up, nothing more starts, exit 1", async () => {
    const dir = tempDir();
    failing(dir);
    await sweep();
    const r = await runKiln(
      ["chain", "-color=false", "-no-cache", "-parallel-builds=2", "-fail-fast", "chain.json"],
      {
        cwd: dir,
        timeoutMs: 300_000,
      },
    );
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /slow-started/);
    assert.doesNotMatch(r.stdout, /slow-done/);
    assert.match(r.stdout, /--> slow: cancelled after/);
    assert.match(r.stdout, /--> child: not started: bad failed and -fail-fast stops the chain/);
    assert.equal(await imageId("kiln-it/fail-slow:1"), undefined);
  });

  it("SIGINT in the middle: every running node cancelled and cleaned, nothing started after, exit 130", async () => {
    const dir = tempDir();
    writeTree(dir, {
      "chain.json": {
        nodes: {
          p: { template: "p.json" },
          d: { dockerfile: "Dockerfile.d", tags: ["kiln-it/sig-d:1"], squash: false, no_cache: true },
          after: { dockerfile: "Dockerfile.after", tags: ["kiln-it/sig-after:1"], squash: false },
        },
      },
      "p.json": packer(BUSYBOX, "kiln-it/sig-p", ["echo p-sleeping", "sleep 60"]),
      "Dockerfile.d": `FROM ${BUSYBOX}\nRUN echo d-sleeping && sleep 60\n`,
      "Dockerfile.after": "FROM kiln-it/sig-p:1\nCOPY --from=kiln-it/sig-d:1 /bin/sh /x\n",
    });
    const r = await runKiln(["chain", "-machine-readable", "-no-cache", "-parallel-builds=2", "chain.json"], {
      cwd: dir,
      timeoutMs: 120_000,
      signalAfter: {
        signal: "SIGINT",
        whenOutputMatches: /p-sleeping[\s\S]*d-sleeping|d-sleeping[\s\S]*p-sleeping/,
      },
    });
    assert.equal(r.code, 130, describeRun(r));
    assert.ok(r.durationMs < 60_000, `took ${r.durationMs} ms`);
    const records = nodeRecords(r.stdout);
    assert.deepEqual(
      records
        .filter((x) => x.status === "cancelled")
        .map((x) => x.node)
        .sort(),
      ["d", "p"],
    );
    assert.ok(
      records.some((x) => x.node === "after" && x.status === "skipped" && x.fields[0] === "cancelled"),
    );
    assert.ok(!records.some((x) => x.node === "after" && x.status === "started"));
    const left = [...(await allContainerIds())].filter((id) => !containersBefore.has(id));
    assert.deepEqual(left, [], "the Packer container and the builder's step container are gone");
    // The earlier tests' images go first: the check is engine-wide.
    await sweep({ repoPrefixes: ["kiln-cache:", TEST_REPO_PREFIX] });
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after SIGINT" });
  });
});
