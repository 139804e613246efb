// Synthetic run events for report tests and the docs screenshot: a 40-step build and a 20-node
// chain, with cache hits, a failure and its skipped dependents, a push with a retry. Times are
// explicit so the pictures are the same on every run.
import type { RunEvent, StepRef, UntimedEvent } from "../../../src/core/events.js";
import { ReportCollector } from "../../../src/report/collect.js";
import type { Report } from "../../../src/report/model.js";

const KEY = (n: number) => n.toString(16).padStart(64, "0");
const IMAGE = (n: number) => `sha256:${n.toString(16).padStart(64, "a")}`;
const DIGEST = `sha256:${"d".repeat(64)}`;
const STARTED = "2026-01-02T03:04:05.000Z";

/** The steps of one build: pull, create, `provisioners` provisioners (the first `cached` hits), commit. */
function buildEvents(
  build: string,
  from: number,
  o: { provisioners: number; cached: number; failAt?: number; node?: string; push?: string },
): { events: RunEvent[]; end: number; failed: boolean } {
  const events: RunEvent[] = [];
  const node = o.node !== undefined ? { node: o.node } : {};
  let t = from;
  const at = (e: UntimedEvent): void => void events.push({ ...e, ...node, t });
  at({ kind: "build-started", build, steps: o.provisioners });
  const run = (step: StepRef, ms: number, status: "ok" | "cached" | "failed", extra?: () => void) => {
    at({ kind: "step-started", build, step });
    extra?.();
    at({ kind: "output", build, target: build, level: "say", text: `${step.name}: working` });
    t += ms;
    if (status === "failed") {
      const failure = {
        phase: step.phase,
        step: step.name,
        message: `Script exited with non-zero exit status: 3`,
        causes: ["apt-get: unable to locate package nope"],
        cancelled: false,
      };
      at({ kind: "output", build, target: build, level: "error", text: "E: Unable to locate package nope" });
      at({ kind: "step-finished", build, step, status, durationMs: ms, failure });
    } else at({ kind: "step-finished", build, step, status, durationMs: ms });
  };
  run({ phase: "builder", index: 0, name: "pull" }, 800, "ok");
  at({ kind: "image", build, role: "base", imageId: IMAGE(1) });
  run({ phase: "builder", index: 1, name: "create" }, 300, "ok");
  let failed = false;
  for (let i = 0; i < o.provisioners && !failed; i++) {
    const step: StepRef = {
      phase: "provision",
      index: i,
      name: `provisioner ${i + 1} (shell)`,
      type: "shell",
    };
    const hit = i < o.cached;
    failed = o.failAt === i;
    run(step, hit ? 40 : 900 + ((i * 37) % 1500), failed ? "failed" : hit ? "cached" : "ok", () =>
      at({
        kind: "cache",
        build,
        step,
        cache: hit
          ? {
              decision: "hit",
              key: KEY(i + 1),
              ageMs: 3_600_000,
              imageId: IMAGE(100 + i),
              savedMs: 2000 + i * 10,
            }
          : {
              decision: "miss",
              key: KEY(i + 1),
              reason: `no cache entry for key ${KEY(i + 1).slice(0, 12)}`,
            },
      }),
    );
  }
  if (!failed) {
    run({ phase: "builder", index: 2, name: "commit" }, 500, "ok");
    if (o.push) {
      const step: StepRef = {
        phase: "post-process",
        index: 0,
        sequence: 0,
        name: "docker-push",
        type: "docker-push",
      };
      run(step, 1200, "ok", () =>
        at({
          kind: "retry",
          build,
          step,
          what: `push ${o.push}`,
          attempt: 1,
          of: 3,
          cause: "registry 503",
          delayMs: 1000,
        }),
      );
    }
    at({
      kind: "artifact",
      build,
      artifact: {
        kind: "image",
        builderId: "packer.post-processor.docker-import",
        imageId: IMAGE(999),
        id: o.push ?? IMAGE(999),
        tags: o.push ? [o.push] : [],
        ...(o.push ? { pushed: [{ ref: o.push, digest: DIGEST, bytes: 12_345_678 }] } : {}),
      },
    });
  }
  const failure = failed
    ? {
        phase: "provision" as const,
        step: "provisioner",
        message: "Script exited with non-zero exit status: 3",
        causes: [],
        cancelled: false,
      }
    : undefined;
  at({
    kind: "build-finished",
    build,
    status: failed ? "failed" : "ok",
    durationMs: t - from,
    artifacts: [],
    ...(failure ? { failure } : {}),
  });
  return { events, end: t, failed };
}

/** A build of 40 provisioners, the first 12 cached, one pushed reference. */
export function fortyStepBuildEvents(): RunEvent[] {
  const b = buildEvents("docker.app", 50, { provisioners: 40, cached: 12, push: "127.0.0.1:5000/app:1" });
  return [
    {
      kind: "run-started",
      t: 0,
      runId: "run-40",
      startedAt: STARTED,
      kilnVersion: "0.1.0",
      command: ["build", "-report=r.json", "app.pkr.hcl"],
      builds: ["docker.app"],
    },
    {
      kind: "engine",
      t: 1,
      name: "default",
      endpoint: "unix:///var/run/docker.sock",
      version: "Docker 20.10.24",
      api: "1.41",
    },
    ...b.events,
    {
      kind: "run-finished",
      t: b.end + 10,
      durationMs: b.end + 10,
      cancelled: false,
      failed: 0,
      succeeded: 1,
    },
  ];
}

/** 20 nodes in 5 layers of 4, each needing the nodes of the layer before; node 9 fails, its dependents are skipped. */
export function twentyNodeChainEvents(): RunEvent[] {
  const names = Array.from({ length: 20 }, (_, i) => `layer${Math.floor(i / 4)}-image${i % 4}`);
  const needsOf = (i: number) => (i < 4 ? [] : [names[i - 4]!, ...(i % 4 === 0 ? [names[i - 3]!] : [])]);
  const nodes = names.map((name, i) => ({
    name,
    kind: i % 3 === 0 ? ("dockerfile" as const) : ("packer" as const),
    file: i % 3 === 0 ? `docker/${name}/Dockerfile` : `docker/${name}/image.json`,
    tags: [`corp/${name}:latest`],
    needs: needsOf(i).map((n) => ({ node: n, origin: `IMAGES.json:${i + 2}` })),
    engine: "default",
  }));
  const events: RunEvent[] = [
    {
      kind: "chain-started",
      t: 0,
      runId: "run-chain",
      startedAt: STARTED,
      kilnVersion: "0.1.0",
      command: ["chain", "-report-html=r.html"],
      nodes,
      selected: names,
      parallel: { default: 4 },
    },
    {
      kind: "engine",
      t: 1,
      name: "default",
      endpoint: "unix:///var/run/docker.sock",
      version: "Docker 20.10.24",
      api: "1.41",
    },
  ];
  const end = new Map<string, number>();
  const failedNodes = new Set<string>();
  let skipped = 0;
  for (const [i, name] of names.entries()) {
    const needs = needsOf(i);
    const bad = needs.find((n) => failedNodes.has(n));
    const start = Math.max(10, ...needs.map((n) => end.get(n) ?? 0)) + 5;
    if (bad) {
      failedNodes.add(name);
      skipped++;
      events.push({
        kind: "node-skipped",
        t: start,
        node: name,
        reason: "dependency-failed",
        failed: bad,
        message: `not built: ${bad} failed`,
      });
      continue;
    }
    events.push({ kind: "node-started", t: start, node: name, engine: "default" });
    const b = buildEvents(`docker.${name}`, start, {
      provisioners: 2 + (i % 4),
      cached: i < 8 ? 2 : 0,
      node: name,
      ...(i === 9 ? { failAt: 1 } : {}),
      ...(i === 19 ? { push: `127.0.0.1:5000/corp/${name}:latest` } : {}),
    });
    events.push(...b.events);
    if (b.failed) failedNodes.add(name);
    end.set(name, b.end);
    events.push({
      kind: "node-finished",
      t: b.end,
      node: name,
      status: b.failed ? "failed" : i < 8 ? "cached" : "built",
      durationMs: b.end - start,
      tags: b.failed ? [] : [`corp/${name}:latest`],
      ...(b.failed
        ? {
            failure: {
              phase: "provision",
              message: "Script exited with non-zero exit status: 3",
              causes: [],
              cancelled: false,
            },
          }
        : { imageId: IMAGE(999) }),
    });
  }
  const last = Math.max(...end.values()) + 10;
  events.sort((a, b) => a.t - b.t);
  events.push({
    kind: "chain-finished",
    t: last,
    durationMs: last,
    cancelled: false,
    built: 20 - skipped - 1,
    cached: 8,
    failed: 1,
    skipped,
  });
  return events;
}

export function reportOf(events: readonly RunEvent[]): Report {
  const collector = new ReportCollector();
  for (const e of events) collector.add(e);
  return collector.report();
}
