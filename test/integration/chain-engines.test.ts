// kiln chain over two engines: the test's dockerd and a second dockerd in a network namespace of
// its own (test/harness/netns-engine.ts). A 6-node chain (Dockerfile and Packer nodes) whose images
// cross from one engine to the other three times, once streamed engine to engine and once through
// a registry both daemons reach (pushed and pulled by digest); then the second engine killed while
// a node runs on it: that node fails saying so, the node queued for that engine runs on the other,
// the rest of the chain goes on.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { runKiln, tempDir } from "../harness/kiln.js";
import { dockerJson, dockerRequest, endpointFromEnv, runContainer } from "../harness/docker-api.js";
import { assertNoKilnLeftovers, sweep } from "../harness/leaks.js";
import { startNetnsEngine, type NetnsEngine } from "../harness/netns-engine.js";
import { startRegistry, type Registry } from "../harness/registry.js";
import { BUSYBOX, describeRun } from "./support/build.js";
import { nodeRecords, writeTree } from "./support/chain.js";

const packer = (image: string, repository: string, script: string[]) => ({
  builders: [{ type: "docker", image, commit: true }],
  provisioners: [{ type: "shell", inline: script }],
  "post-processors": [{ type: "docker-tag", repository, tags: ["1"] }],
});

/**
 * The 6-node chain: base, right and join on default; left, mid and top (Packer, from an image
 * that crossed) on engine two. (A Packer node on default would leave step-cache images there.)
 */
function sixNodes(prefix: string, token: string, engines?: object): Record<string, string | object> {
  const df = (lines: string[]) => lines.join("\n") + "\n";
  return {
    "chain.json": {
      ...(engines ? { engines } : {}),
      nodes: {
        base: { dockerfile: "Dockerfile.base", tags: [`${prefix}-base:1`], squash: false },
        left: { dockerfile: "Dockerfile.left", tags: [`${prefix}-left:1`], squash: false, engine: "two" },
        right: { dockerfile: "Dockerfile.right", tags: [`${prefix}-right:1`], squash: false },
        mid: { dockerfile: "Dockerfile.mid", tags: [`${prefix}-mid:1`], squash: false, engine: "two" },
        join: { dockerfile: "Dockerfile.join", tags: [`${prefix}-join:1`], squash: false },
        top: { template: "top.json", engine: "two" },
      },
    },
    // The prefix in the content: each test's images are new to both engines.
    "Dockerfile.base": df([`FROM ${BUSYBOX}`, `RUN echo base-${token} > /base && echo ${prefix} > /prefix`]),
    "Dockerfile.left": df([`FROM ${prefix}-base:1`, "RUN echo left > /left"]),
    "Dockerfile.right": df([`FROM ${prefix}-base:1`, "RUN echo right > /right"]),
    "Dockerfile.mid": df([`FROM ${prefix}-left:1`, "RUN echo mid > /mid"]),
    // COPY last: an untagged COPY layer below the result would look like an import to the leak check.
    "Dockerfile.join": df([
      `FROM ${prefix}-mid:1`,
      "RUN echo join > /join",
      `COPY --from=${prefix}-right:1 /right /right`,
    ]),
    "top.json": packer(`${prefix}-join:1`, `${prefix}-top`, ["cat /base /left /right /mid /join > /all"]),
  };
}

const EXPECTED_ENGINES = {
  base: "default",
  left: "two",
  right: "default",
  mid: "two",
  join: "default",
  top: "two",
};

function enginesUsed(stdout: string): Record<string, string> {
  return Object.fromEntries(
    nodeRecords(stdout)
      .filter((r) => r.status === "started")
      .map((r) => [r.node, r.fields[0] ?? ""]),
  );
}

async function idOn(ref: string, endpoint = endpointFromEnv()): Promise<string> {
  return (await dockerJson<{ Id: string }>("GET", `/images/${encodeURIComponent(ref)}/json`, { endpoint }))
    .Id;
}

async function tagsWith(text: string, endpoint = endpointFromEnv()): Promise<string[]> {
  const images = await dockerJson<{ RepoTags: string[] | null }[]>("GET", "/images/json", { endpoint });
  return images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.includes(text));
}

describe("kiln chain over two engines", () => {
  let two: NetnsEngine;
  let registry: Registry;
  const token = randomBytes(4).toString("hex");

  before(async () => {
    two = await startNetnsEngine();
    registry = await startRegistry({ tls: true, address: two.hostAddress });
    // The second engine starts empty: it gets the test base image the way a user would load one.
    const saved = await dockerRequest("GET", `/images/${encodeURIComponent(BUSYBOX)}/get`, {
      timeoutMs: 60_000,
    });
    assert.equal(saved.status, 200);
    const loaded = await dockerRequest("POST", "/images/load", {
      endpoint: two.endpoint,
      body: saved.body,
      headers: { "Content-Type": "application/x-tar" },
      timeoutMs: 60_000,
    });
    assert.equal(loaded.status, 200, loaded.body.toString());
  });
  after(async () => {
    await registry?.close();
    await two?.close();
    await sweep();
    await assertNoKilnLeftovers({ context: "after the two-engine chain tests" });
  });

  it("streamed: images cross engine to engine with GET /images/get → POST /images/load", async () => {
    const prefix = `kiln-it/multi-stream-${token}`;
    const dir = tempDir();
    writeTree(dir, sixNodes(prefix, token));
    const r = await runKiln(
      ["chain", "-machine-readable", "-parallel-builds=2", `-engine=two=${two.dockerHost}`, "chain.json"],
      { cwd: dir, timeoutMs: 300_000 },
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(enginesUsed(r.stdout), EXPECTED_ENGINES);
    // base → two (left), mid → default (join), join → two (top): three streamed moves, no registry.
    const streamed = [...r.stdout.matchAll(/Streaming (\S+) from engine (\S+) to engine (\S+)/g)].map(
      (m) => `${m[1]} ${m[2]}>${m[3]}`,
    );
    assert.deepEqual(streamed.sort(), [
      `${prefix}-base:1 default>two`,
      `${prefix}-join:1 default>two`,
      `${prefix}-mid:1 two>default`,
    ]);
    const all = await runContainer(`${prefix}-top:1`, ["cat", "/all"], { endpoint: two.endpoint });
    assert.equal(all.stdout, `base-${token}\nleft\nright\nmid\njoin\n`);
    // What crossed is the same image on both sides (same ID), and top exists only where it was built.
    assert.equal(await idOn(`${prefix}-mid:1`), await idOn(`${prefix}-mid:1`, two.endpoint));
    assert.deepEqual(await tagsWith(`${prefix}-top`), []);

    // Again: every image is already where it is needed, as the same image ID; nothing is streamed
    // a second time.
    const again = await runKiln(
      ["chain", "-machine-readable", "-parallel-builds=2", `-engine=two=${two.dockerHost}`, "chain.json"],
      { cwd: dir, timeoutMs: 300_000 },
    );
    assert.equal(again.code, 0, describeRun(again));
    assert.doesNotMatch(again.stdout, /Streaming /);
    assert.equal([...again.stdout.matchAll(/is already on engine (two|default): tagged/g)].length, 3);
  });

  it("through a registry: pushed on one engine, pulled by digest on the other, no transfer tag left", async () => {
    const prefix = `kiln-it/multi-reg-${token}`;
    const dir = tempDir();
    // This time the second engine is declared in the chain file, with its own limit.
    writeTree(dir, sixNodes(prefix, token, { two: { host: two.dockerHost, parallel: 1 } }));
    const r = await runKiln(
      ["chain", "-machine-readable", `-transfer-registry=${registry.host}/kiln-transfer`, "chain.json"],
      { cwd: dir, timeoutMs: 300_000 },
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(enginesUsed(r.stdout), EXPECTED_ENGINES);
    assert.doesNotMatch(r.stdout, /Streaming /);
    const pulled = [...r.stdout.matchAll(/Pulled (\S+)@(sha256:[0-9a-f]{64}) on engine (\S+)/g)];
    assert.equal(pulled.length, 3, describeRun(r));
    for (const m of pulled) assert.equal(m[1], `${registry.host}/kiln-transfer`);
    // What crossed is the same image on both engines, and the registry serves it under the digest
    // that was pulled (kiln's transfer tag names the image ID).
    const digests = pulled.map((m) => m[2]);
    for (const node of ["base", "mid", "join"]) {
      const ref = `${prefix}-${node}:1`;
      const id = await idOn(ref);
      assert.equal(await idOn(ref, two.endpoint), id, ref);
      const served = await registry.manifestDigest("kiln-transfer", `kiln-transfer-${id.slice(7, 39)}`);
      assert.ok(
        served !== undefined && digests.includes(served),
        `${ref}: ${served} in ${digests.join(" ")}`,
      );
    }
    const all = await runContainer(`${prefix}-top:1`, ["cat", "/all"], { endpoint: two.endpoint });
    assert.equal(all.stdout, `base-${token}\nleft\nright\nmid\njoin\n`);
    assert.deepEqual(await tagsWith("kiln-transfer-"), [], "the temporary push tag is removed");
    assert.deepEqual(await tagsWith("kiln-transfer-", two.endpoint), []);
  });

  it("an engine killed mid-chain: its node fails saying so, its queued node runs on the other engine", async () => {
    const prefix = `kiln-it/multi-kill-${token}`;
    const dir = tempDir();
    writeTree(dir, {
      "chain.json": {
        engines: { two: { host: two.dockerHost, parallel: 1 } },
        nodes: {
          slow: { dockerfile: "Dockerfile.slow", tags: [`${prefix}-slow:1`], squash: false, engine: "two" },
          queued: {
            dockerfile: "Dockerfile.queued",
            tags: [`${prefix}-queued:1`],
            squash: false,
            engine: "two",
          },
          child: { dockerfile: "Dockerfile.child", tags: [`${prefix}-child:1`], squash: false },
          solo: { dockerfile: "Dockerfile.solo", tags: [`${prefix}-solo:1`], squash: false },
        },
      },
      "Dockerfile.slow": `FROM ${BUSYBOX}\nRUN echo slow-is-running-${token} && sleep 120\n`,
      "Dockerfile.queued": `FROM ${BUSYBOX}\nRUN echo queued-${token} > /queued\n`,
      "Dockerfile.child": `FROM ${prefix}-slow:1\nRUN true\n`,
      "Dockerfile.solo": `FROM ${BUSYBOX}\nRUN echo solo-${token} > /solo\n`,
    });
    let killed = false;
    const r = await runKiln(["chain", "-machine-readable", "chain.json"], {
      cwd: dir,
      timeoutMs: 240_000,
      onOutput: (output) => {
        if (!killed && output.includes(`slow-is-running-${token}`)) {
          killed = true;
          two.kill();
        }
      },
    });
    assert.ok(killed, describeRun(r));
    assert.equal(r.code, 1, describeRun(r));
    const finals = Object.fromEntries(
      nodeRecords(r.stdout)
        .filter((n) => n.status !== "started")
        .map((n) => [n.node, n.status]),
    );
    assert.deepEqual(
      finals,
      { slow: "failed", queued: "built", child: "skipped", solo: "built" },
      describeRun(r),
    );
    assert.match(
      r.output,
      new RegExp(`engine two \\(${two.dockerHost.replace(/[/.]/g, "\\$&")}\\) was lost while slow ran`),
    );
    assert.equal(
      enginesUsed(r.stdout).queued,
      "default",
      "the queued node moved to the engine still answering",
    );
    assert.match(r.output, /runs on engine default: its engine two was lost/);
    const queued = await runContainer(`${prefix}-queued:1`, ["cat", "/queued"]);
    assert.equal(queued.stdout, `queued-${token}\n`);
  });
});
