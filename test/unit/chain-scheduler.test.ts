// kiln's graph runner with scripted nodes: dependencies first, parallel up to each engine's limit,
// list order for ties, dependents of a failure skipped (naming it), -fail-fast, cancellation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { schedule, type FinalState, type RunStatus, type ScheduledNode } from "../../src/chain/scheduler.js";

interface Script {
  /** Node → status it ends with (default built) */
  status?: Record<string, RunStatus>;
  /** Node → ms it takes */
  ms?: Record<string, number>;
}

async function runScripted(
  nodes: ScheduledNode[],
  limit: number | Record<string, number>,
  script: Script = {},
  /** abortWhenStarted: abort (as SIGINT would) once all these nodes run; not on a timer, which a loaded machine could fire before the first node ends. */
  opts: { failFast?: boolean; abortWhenStarted?: string[] } = {},
) {
  const log: string[] = [];
  const skips: string[] = [];
  let running = 0;
  let peak = 0;
  const controller = new AbortController();
  const final = await schedule(nodes, {
    limit: (engine) => (typeof limit === "number" ? limit : (limit[engine] ?? 1)),
    failFast: opts.failFast ?? false,
    signal: controller.signal,
    skipped: (name, s) => skips.push(`${name}:${s.reason}${s.failed ? `:${s.failed}` : ""}`),
    run: async (name, signal) => {
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${name}`);
      if (opts.abortWhenStarted?.every((n) => log.includes(`start ${n}`)))
        setImmediate(() => controller.abort(new Error("SIGINT")));
      try {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, script.ms?.[name] ?? 20);
          signal.addEventListener("abort", () => {
            clearTimeout(t);
            reject(new Error("aborted"));
          });
        });
      } catch {
        log.push(`cancel ${name}`);
        return "cancelled";
      } finally {
        running--;
      }
      const status = script.status?.[name] ?? "built";
      log.push(`${status} ${name}`);
      return status;
    },
  });
  return { final, log, skips, peak };
}

const node = (name: string, needs: string[] = [], engine = "default"): ScheduledNode => ({
  name,
  engine,
  needs,
});
const diamond = [
  node("base"),
  node("left", ["base"]),
  node("right", ["base"]),
  node("top", ["left", "right"]),
];
const statuses = (final: Map<string, FinalState>) =>
  Object.fromEntries([...final].map(([k, v]) => [k, v.status]));

describe("chain scheduler", () => {
  it("runs a diamond: base, then both children at once, then the node needing both", async () => {
    const { log, peak, final } = await runScripted(diamond, 4);
    assert.deepEqual(log, [
      "start base",
      "built base",
      "start left",
      "start right",
      "built left",
      "built right",
      "start top",
      "built top",
    ]);
    assert.equal(peak, 2);
    assert.deepEqual(statuses(final), { base: "built", left: "built", right: "built", top: "built" });
  });

  it("one at a time follows list order among ready nodes", async () => {
    const { log, peak } = await runScripted([node("c"), node("a"), node("b", ["c"])], 1);
    assert.equal(peak, 1);
    assert.deepEqual(
      log.filter((l) => l.startsWith("start")),
      ["start c", "start a", "start b"],
    );
  });

  it("has one limit per engine: nodes on different engines do not wait for each other", async () => {
    const nodes = [
      node("a1", [], "one"),
      node("a2", [], "one"),
      node("b1", [], "two"),
      node("b2", [], "two"),
    ];
    const { log, peak } = await runScripted(nodes, { one: 1, two: 1 });
    assert.equal(peak, 2);
    assert.deepEqual(log.slice(0, 2), ["start a1", "start b1"]);
  });

  it("skips the dependents of a failed node, naming it; independent nodes go on", async () => {
    const nodes = [...diamond, node("after-top", ["top"]), node("alone")];
    const { final, skips } = await runScripted(nodes, 4, { status: { left: "failed" } });
    assert.deepEqual(statuses(final), {
      base: "built",
      left: "failed",
      right: "built",
      top: "skipped",
      "after-top": "skipped",
      alone: "built",
    });
    assert.deepEqual(skips, ["top:dependency-failed:left", "after-top:dependency-failed:left"]);
    const topState = final.get("after-top");
    assert.ok(topState?.status === "skipped");
    assert.match(topState.message, /needs top, which did not build because left failed/);
  });

  it("-fail-fast: the first failure cancels running nodes and starts nothing more", async () => {
    const nodes = [node("quick"), node("slow"), node("later", ["quick"]), node("other")];
    const { final, log, skips } = await runScripted(
      nodes,
      2,
      { status: { quick: "failed" }, ms: { quick: 10, slow: 5000 } },
      { failFast: true },
    );
    assert.deepEqual(statuses(final), {
      quick: "failed",
      slow: "cancelled",
      later: "skipped",
      other: "skipped",
    });
    assert.ok(log.includes("cancel slow"));
    assert.deepEqual(skips.sort(), ["later:fail-fast:quick", "other:fail-fast:quick"]);
  });

  it("cancellation cancels every running node and starts no other", async () => {
    const { final, log } = await runScripted(
      diamond,
      4,
      { ms: { left: 5000, right: 5000 } },
      { abortWhenStarted: ["left", "right"] },
    );
    assert.deepEqual(statuses(final), {
      base: "built",
      left: "cancelled",
      right: "cancelled",
      top: "skipped",
    });
    assert.ok(!log.includes("start top"));
    const top = final.get("top");
    assert.equal(top?.status === "skipped" ? top.reason : top?.status, "cancelled");
  });
});
