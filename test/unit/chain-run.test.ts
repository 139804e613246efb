// A chain run against the fake engine: Packer nodes through the runner and Dockerfile nodes
// through Engine.buildImage, as node events; images built by the chain are never pulled; squash
// refused once then skipped; a failure skips its dependents; output lines carry the node.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { planChain } from "../../src/chain/plan.js";
import { readChain } from "../../src/chain/read-chain.js";
import { runChain } from "../../src/chain/run-chain.js";
import { selectNodes } from "../../src/chain/select.js";
import { defaultRegistry } from "../../src/components/registry.js";
import type { CleanupStack } from "../../src/core/cleanup-stack.js";
import { EventBus, type EventOf, type RunEvent } from "../../src/core/events.js";
import { currentIdentity } from "../../src/core/ownership.js";
import { EngineError } from "../../src/engine/errors.js";
import { loadTemplate } from "../../src/template/load.js";
import { createHumanUi } from "../../src/ui/human-ui.js";
import { createMachineUi } from "../../src/ui/machine-ui.js";
import { renderEvents } from "../../src/ui/render-events.js";
import { FakeEngine } from "../fakes/fake-engine.js";

const BUSYBOX = "local/busybox:1";

function repo(files: Record<string, string | object>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "kiln-chain-run-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), typeof content === "string" ? content : JSON.stringify(content));
  }
  return root;
}

const packer = (image: string, repository: string, pull = false) => ({
  builders: [{ type: "docker", image, commit: true, pull }],
  provisioners: [{ type: "shell", inline: [`echo building ${repository}`] }],
  "post-processors": [{ type: "docker-tag", repository, tags: ["1"] }],
});

async function run(
  root: string,
  engine: FakeEngine,
  opts: { parallel?: number; failFast?: boolean; machine?: boolean; include?: string[] } = {},
) {
  const read = await readChain([path.join(root, "chain.json")], {
    cwd: root,
    env: {},
    builderArgs: "",
    squash: true,
    engines: ["default"],
  });
  const plan = await planChain(read.spec, { loadTemplate, env: {}, startTime: new Date() });
  const selected = selectNodes(read.spec.nodes, plan.edges, { include: opts.include ?? [], skip: [] });
  const out = new PassThrough();
  let output = "";
  out.on("data", (c: Buffer) => (output += c.toString()));
  const ui = opts.machine
    ? createMachineUi({ out })
    : createHumanUi({ out, color: false, timestamps: false, interactive: false });
  const events = new EventBus();
  const seen: RunEvent[] = [];
  events.subscribe((e) => seen.push(e));
  events.subscribe(renderEvents(ui));
  const outcome = await runChain(
    plan,
    selected,
    {
      engines: new Map([["default", engine]]),
      ui,
      events,
      registry: defaultRegistry(),
      identity: currentIdentity("0123456789abcdef0123456789abcdef"),
      signal: new AbortController().signal,
      hostEnv: { PATH: process.env.PATH },
      activeCleanups: new Set<CleanupStack>(),
      loadTemplate,
      startTime: new Date(),
    },
    {
      parallel: opts.parallel ?? 4,
      failFast: opts.failFast ?? false,
      runId: "r",
      kilnVersion: "0",
      command: [],
    },
  );
  await sleep(10); // let the line sink flush
  return { outcome, events: seen, output };
}

const nodeEvents = <K extends "node-started" | "node-finished" | "node-skipped">(
  events: RunEvent[],
  kind: K,
) =>
  new Map(
    events.filter((e): e is EventOf<K> => e.kind === kind).map((e) => [(e as { node: string }).node, e]),
  );

function slowEngine(): FakeEngine {
  const engine = new FakeEngine({ images: [{ ref: BUSYBOX }] });
  engine.execHandler = async () => {
    await sleep(60);
    return { exitCode: 0 };
  };
  engine.buildHandler = async () => {
    await sleep(60);
  };
  return engine;
}

describe("chain run (fake engine)", () => {
  it("a mixed diamond: children overlap, the base is never pulled, lines carry their node", async () => {
    const root = repo({
      "chain.json": {
        nodes: {
          base: { template: "base.json" },
          left: { template: "left.json" },
          right: {
            dockerfile: "Dockerfile.right",
            tags: ["local/right:1"],
            squash: false,
            build_args: { ID: "${node.base.id}" },
          },
          top: { dockerfile: "Dockerfile.top", tags: ["local/top:1"], squash: false, pull: true },
        },
      },
      "base.json": packer(BUSYBOX, "local/base"),
      "left.json": packer("local/base:1", "local/left", true),
      "Dockerfile.right": "FROM local/base:1\nARG ID\n",
      "Dockerfile.top": "FROM local/left:1\nCOPY --from=local/right:1 /x /x\n",
    });
    const engine = slowEngine();
    const { outcome, events, output } = await run(root, engine);
    assert.equal(outcome.failed, 0, output);
    const started = nodeEvents(events, "node-started");
    const finished = nodeEvents(events, "node-finished");
    const left = [started.get("left")!.t, finished.get("left")!.t];
    const right = [started.get("right")!.t, finished.get("right")!.t];
    assert.ok(
      left[0]! < right[1]! && right[0]! < left[1]!,
      `left ${left.join("-")} and right ${right.join("-")} overlap`,
    );
    assert.ok(started.get("left")!.t >= finished.get("base")!.t);
    assert.ok(started.get("top")!.t >= Math.max(left[1]!, right[1]!));
    assert.deepEqual(
      engine.callsOf("pullImage").map((c) => c.args[0]),
      [],
      "nothing is pulled: left's pull: true is skipped for base, top's --pull for left and right",
    );
    assert.match(
      output,
      /\[left\] ==> docker: Skipping the pull of local\/base:1: built by node base of this chain\./,
    );
    assert.match(
      output,
      /\[top\] ==> dockerfile: Not pulling \(--pull is off for this build\): local\/left:1 built by node left/,
    );
    const builds = engine
      .callsOf("buildImage")
      .map((c) => c.args[0] as { tags: string[]; buildArgs: Record<string, string>; pull: boolean });
    assert.deepEqual(
      builds.map((b) => b.tags),
      [["local/right:1"], ["local/top:1"]],
    );
    assert.equal(
      builds[0]!.buildArgs.ID,
      finished.get("base")!.imageId,
      "${node.base.id} is the image base built",
    );
    assert.equal(builds[1]!.pull, false);
    assert.equal(finished.get("top")?.status, "built");
    assert.ok(engine.findImage("local/top:1"));
    assert.match(output, /==> Chain finished after .*: 4 built, 0 cached, 0 failed, 0 skipped/);
    assert.match(output, /--> base: built in .*: local\/base:1/);
  });

  it("one node at a time gives the same images as in parallel, sequentially", async () => {
    const root = repo({
      "chain.json": {
        nodes: {
          base: { template: "base.json" },
          a: { dockerfile: "D", tags: ["local/a:1"], squash: false },
          b: { dockerfile: "D", tags: ["local/b:1"], squash: false },
        },
      },
      "base.json": packer(BUSYBOX, "local/base"),
      D: "FROM local/base:1\n",
    });
    const { events } = await run(root, slowEngine(), { parallel: 1 });
    const order = events
      .filter((e) => e.kind === "node-started" || e.kind === "node-finished")
      .map((e) => `${e.kind === "node-started" ? "+" : "-"}${e.node}`);
    assert.deepEqual(order, ["+base", "-base", "+a", "-a", "+b", "-b"]);
  });

  it("a failed node skips its dependents (naming it); the rest builds; exit status from the count", async () => {
    const root = repo({
      "chain.json": {
        nodes: {
          bad: { dockerfile: "D.bad", tags: ["local/bad:1"], squash: false },
          child: { dockerfile: "D.child", tags: ["local/child:1"], squash: false },
          grandchild: { template: "g.json" },
          other: { dockerfile: "D.other", tags: ["local/other:1"], squash: false },
        },
      },
      "D.bad": `FROM ${BUSYBOX}\nRUN exit 3\n`,
      "D.child": "FROM local/bad:1\n",
      "g.json": packer("local/child:1", "local/g"),
      "D.other": `FROM ${BUSYBOX}\n`,
    });
    const engine = slowEngine();
    engine.buildHandler = (call) => {
      if (call.dockerfile.includes("exit 3")) {
        call.opts.onProgress?.({
          stream:
            "Step 1/2 : FROM local/busybox:1\n ---> abc\nStep 2/2 : RUN exit 3\n ---> Running in 0123456789ab\n",
        });
        throw new EngineError(
          "stream",
          "build D.bad: The command '/bin/sh -c exit 3' returned a non-zero code: 3",
        );
      }
    };
    const { outcome, events, output } = await run(root, engine, { machine: true });
    assert.equal(outcome.failed, 1);
    const skipped = nodeEvents(events, "node-skipped");
    assert.equal(skipped.get("child")?.failed, "bad");
    assert.equal(skipped.get("grandchild")?.failed, "bad");
    assert.match(skipped.get("grandchild")!.message, /needs child, which did not build because bad failed/);
    assert.equal(nodeEvents(events, "node-finished").get("other")?.status, "built");
    const failure = nodeEvents(events, "node-finished").get("bad")?.failure;
    assert.equal(failure?.step, "Step 2/2: RUN exit 3");
    assert.match(failure?.message ?? "", /returned a non-zero code: 3/);
    // The step container the builder reported is removed by kiln too.
    assert.ok(engine.callsOf("removeContainer").some((c) => c.args[0] === "0123456789ab"));
    // Machine-readable records: one per node change, with times.
    assert.match(output, /^\d+,bad,chain-node,failed,\d+,\d+,,,build D\.bad: The command/m);
    assert.match(
      output,
      /^\d+,child,chain-node,skipped,\d+,dependency-failed,bad,skipped: it needs bad%!\(PACKER_COMMA\) which failed$/m,
    );
    assert.match(output, /^\d+,other,chain-node,built,\d+,\d+,local\/other:1,sha256:[0-9a-f]{64},$/m);
    assert.match(output, /^\d+,,ui,say,\[other\] ==> dockerfile: Building D\.other/m);
  });

  it("a Dockerfile build whose every step came from the engine's cache is reported cached", async () => {
    const root = repo({
      "chain.json": { nodes: { a: { dockerfile: "D", tags: ["local/a:1"], squash: false } } },
      D: `FROM ${BUSYBOX}\nRUN true\n`,
    });
    const engine = slowEngine();
    let cached = true;
    engine.buildHandler = (call) => {
      const using = cached ? " ---> Using cache\n" : " ---> Running in 0123456789ab\n";
      call.opts.onProgress?.({
        stream: `Step 1/2 : FROM ${BUSYBOX}\n ---> abc\nStep 2/2 : RUN true\n${using} ---> def\n`,
      });
    };
    const warm = await run(root, engine);
    assert.equal(nodeEvents(warm.events, "node-finished").get("a")?.status, "cached");
    assert.match(warm.output, /\[a\] Up to date \(every step cached\)/);
    const steps = warm.events
      .filter((e) => e.kind === "step-finished")
      .map((e) => e.kind === "step-finished" && `${e.step.name}:${e.status}`);
    assert.deepEqual(steps, [`Step 1/2: FROM ${BUSYBOX}:ok`, "Step 2/2: RUN true:cached"]);
    cached = false;
    const cold = await run(root, engine);
    assert.equal(nodeEvents(cold.events, "node-finished").get("a")?.status, "built");
  });

  it("Podman's builder (buildah) words its steps `STEP i/n:` and `--> Using cache <id>`: the same steps", async () => {
    const root = repo({
      "chain.json": { nodes: { a: { dockerfile: "D", tags: ["local/a:1"], squash: false } } },
      D: `FROM ${BUSYBOX}\nRUN true\nRUN echo hi\n`,
    });
    const engine = slowEngine();
    engine.buildHandler = (call) => {
      call.opts.onProgress?.({
        stream: `STEP 1/3: FROM ${BUSYBOX}\nSTEP 2/3: RUN true\n--> Using cache 0f4429c161c5d1e2\n--> 0f4429c161c\nSTEP 3/3: RUN echo hi\nhi\n--> 1a2b3c4d5e6\nCOMMIT local/a:1\n`,
      });
    };
    const { events } = await run(root, engine);
    const steps = events
      .filter((e) => e.kind === "step-finished")
      .map((e) => e.kind === "step-finished" && `${e.step.name}:${e.status}`);
    assert.deepEqual(steps, [
      `Step 1/3: FROM ${BUSYBOX}:ok`,
      "Step 2/3: RUN true:cached",
      "Step 3/3: RUN echo hi:ok",
    ]);
    assert.equal(nodeEvents(events, "node-finished").get("a")?.status, "built");
  });

  it("an engine that cannot squash is said once; every build then goes unsquashed", async () => {
    const root = repo({
      "chain.json": {
        nodes: {
          a: { dockerfile: "D", tags: ["local/a:1"] },
          b: { dockerfile: "D", tags: ["local/b:1"], depends_on: ["a"] },
        },
      },
      D: `FROM ${BUSYBOX}\n`,
    });
    const engine = slowEngine();
    engine.squashUnsupported = true;
    const { outcome, output } = await run(root, engine);
    assert.equal(outcome.failed, 0, output);
    assert.deepEqual(
      engine.callsOf("buildImage").map((c) => (c.args[0] as { squash: boolean }).squash),
      [true, false, false],
    );
    assert.equal(output.match(/cannot squash/g)?.length, 1, output);
  });

  it("-fail-fast cancels the running nodes and starts nothing more", async () => {
    const root = repo({
      "chain.json": {
        nodes: {
          bad: { dockerfile: "D.bad", tags: ["local/bad:1"], squash: false },
          slow: { template: "slow.json" },
          later: { dockerfile: "D.later", tags: ["local/later:1"], squash: false },
        },
      },
      "D.bad": `FROM ${BUSYBOX}\nRUN exit 1\n`,
      "slow.json": packer(BUSYBOX, "local/slow"),
      "D.later": `FROM ${BUSYBOX}\n`,
    });
    const engine = slowEngine();
    engine.buildHandler = (call) => {
      if (call.dockerfile.includes("exit 1")) throw new EngineError("stream", "RUN exit 1 failed");
    };
    engine.execHandler = async (call) => {
      await sleep(2000);
      return { exitCode: call.cmd.length >= 0 ? 0 : 1 };
    };
    const started = Date.now();
    const { events, output } = await run(root, engine, { parallel: 2, failFast: true });
    assert.ok(Date.now() - started < 1900, "slow was cancelled, not waited for");
    const finished = nodeEvents(events, "node-finished");
    assert.equal(finished.get("bad")?.status, "failed");
    assert.equal(finished.get("slow")?.status, "cancelled", output);
    assert.equal(nodeEvents(events, "node-skipped").get("later")?.reason, "fail-fast");
    assert.equal(engine.containers.size, 0, "the cancelled build's container is removed");
  });
});
