// Runs a planned chain: the selected nodes through the scheduler, each on its engine, as run
// events (chain-started, node-started/finished/skipped, chain-finished; every event of a node's
// builds carries the node's name). Never throws for a node's failure; the outcome says what ran.
// With several engines, a node's inputs built on another engine are moved to its engine first
// (transfer.ts); an engine that stops answering is lost: its running nodes fail saying so, and
// nodes that had not started on it go to the first engine still answering.
import { InvalidInputError } from "../template/diagnostic.js";
import type { Engine } from "../engine/types.js";
import type { ChainNodeInfo } from "../core/events.js";
import type { ChainEnv, ChainRunOptions } from "./chain-env.js";
import { imageKey } from "./image-key.js";
import { formatOrigin } from "./model.js";
import type { NodeContext } from "./node-context.js";
import type { NodeOutcome } from "./node-outcome.js";
import { runDockerfileNode } from "./node-dockerfile.js";
import { runPackerNode } from "./node-packer.js";
import type { ChainPlan, PlannedNode } from "./plan.js";
import { pushTargets } from "./push.js";
import { schedule, type FinalState, type RunStatus } from "./scheduler.js";
import { transferImage } from "./transfer.js";
import { errorMessage } from "../core/errors.js";
import { eventBuildUi } from "../ui/event-ui.js";

export interface ChainOutcome {
  /** Final state per node, selected or not (not selected: skipped, not-selected). */
  nodes: Map<string, FinalState & { outcome?: NodeOutcome }>;
  failed: number;
  cancelled: boolean;
}

/** The chain as run events describe it. */
export function nodeInfos(plan: ChainPlan): ChainNodeInfo[] {
  return plan.nodes.map((n) => ({
    name: n.spec.name,
    kind: n.spec.source.kind,
    file: n.spec.file,
    tags: n.produces,
    needs: plan.edges
      .filter((e) => e.from === n.spec.name)
      .map((e) => ({ node: e.to, origin: formatOrigin(e.pos) })),
    engine: n.spec.engine,
  }));
}

export async function runChain(
  plan: ChainPlan,
  selected: ReadonlySet<string>,
  env: ChainEnv,
  opts: ChainRunOptions,
): Promise<ChainOutcome> {
  const { events } = env;
  const limitOf = (engine: string): number => opts.engineParallel?.get(engine) ?? opts.parallel;
  const started = events.elapsed();
  const engineNamed = (name: string): Engine => {
    const engine = env.engines.get(name);
    // The readers check engine names against the same list.
    if (!engine) throw new InvalidInputError([{ severity: "error", summary: `no engine named ${name}` }]);
    return engine;
  };
  for (const n of plan.nodes) if (selected.has(n.spec.name)) engineNamed(n.spec.engine);
  const run = plan.nodes.filter((n) => selected.has(n.spec.name));
  events.emit({
    kind: "chain-started",
    runId: opts.runId,
    startedAt: new Date(Date.now() - started).toISOString(),
    kilnVersion: opts.kilnVersion,
    command: opts.command,
    nodes: nodeInfos(plan),
    selected: run.map((n) => n.spec.name),
    parallel: Object.fromEntries([...env.engines.keys()].map((k) => [k, limitOf(k)])),
  });
  const states: ChainOutcome["nodes"] = new Map();
  for (const n of plan.nodes) {
    if (selected.has(n.spec.name)) continue;
    const message = "not selected: not built (a node that needs it uses the image already in the engine)";
    states.set(n.spec.name, { status: "skipped", reason: "not-selected", message });
    events.emit({ kind: "node-skipped", node: n.spec.name, reason: "not-selected", message });
  }

  // Images this run builds: never pulled by the nodes that use them.
  const producers = new Map<string, string>();
  const placed = new Map<string, string>();
  for (const n of plan.nodes) {
    const how = env.placedNodes?.get(n.spec.name);
    if (how === undefined || selected.has(n.spec.name)) continue;
    for (const t of n.produces) {
      const key = imageKey(t);
      if (key !== undefined) placed.set(key, `node ${n.spec.name}'s image, ${how}`);
    }
  }
  for (const n of run)
    for (const t of n.produces) {
      const key = imageKey(t);
      if (key !== undefined) producers.set(key, n.spec.name);
    }
  const outcomes = new Map<string, NodeOutcome>();
  const squashRefused = new Set<Engine>();
  /** The engine each node ran on (its own, or another when its own was lost). */
  const ranOn = new Map<string, string>();
  /** Engines that stopped answering, with why. */
  const lost = new Map<string, string>();
  /** Moves in flight or done, by image ID and target engine: each happens once. */
  const moves = new Map<string, Promise<void>>();
  const endpointOf = (engine: string): string => {
    const where = env.engineEndpoints?.get(engine);
    return where === undefined ? `engine ${engine}` : `engine ${engine} (${where})`;
  };
  const place = (name: string, engine: string): string => {
    if (!lost.has(engine)) return engine;
    const other = [...env.engines.keys()].find((k) => !lost.has(k));
    if (other === undefined) return engine;
    eventBuildUi(events.forNode(name), env.ui, "engine").error(
      `runs on engine ${other}: its engine ${engine} was lost (${lost.get(engine)})`,
    );
    return other;
  };
  /** After a failure: whether the engine still answers; when not, it is lost for the rest of the run. */
  const checkEngine = async (engine: string): Promise<string | undefined> => {
    if (lost.has(engine)) return lost.get(engine);
    try {
      await engineNamed(engine).ping(AbortSignal.timeout(5_000));
      return undefined;
    } catch (e) {
      const why = errorMessage(e);
      lost.set(engine, why);
      return why;
    }
  };
  /** Brings the images `n` needs from the engines they were built on to `engine`. */
  const bringInputs = async (n: PlannedNode, engine: string, signal: AbortSignal): Promise<void> => {
    const needs = new Set(
      plan.edges.filter((e) => e.from === n.spec.name && selected.has(e.to)).map((e) => e.to),
    );
    const ui = eventBuildUi(events.forNode(n.spec.name), env.ui, "transfer");
    for (const need of needs) {
      const source = ranOn.get(need);
      const built = outcomes.get(need);
      if (source === undefined || source === engine || built?.imageId === undefined) continue;
      const key = `${built.imageId} ${engine}`;
      let move = moves.get(key);
      if (move === undefined) {
        move = transferImage(
          { from: engineNamed(source), to: engineNamed(engine), fromName: source, toName: engine },
          { imageId: built.imageId, tags: built.tags },
          {
            ...(env.transferRegistry !== undefined ? { registry: env.transferRegistry } : {}),
            ...(env.registryAuth ? { auth: (r: string) => env.registryAuth!(r, ui) } : {}),
            signal,
            say: (m) => ui.say(m),
          },
        ).then(() => undefined);
        moves.set(key, move);
        // A failed move is tried again by the next node that needs it.
        move.catch(() => moves.delete(key));
      }
      await move;
    }
  };
  const contextOf = (n: PlannedNode, engine: string, signal: AbortSignal): NodeContext => ({
    name: n.spec.name,
    engine: engineNamed(engine),
    bus: events.forNode(n.spec.name),
    env,
    signal,
    localImage: (image) => {
      const key = imageKey(image);
      const producer = key === undefined ? undefined : producers.get(key);
      if (producer === undefined && key !== undefined) return placed.get(key);
      return producer === undefined || producer === n.spec.name
        ? undefined
        : `built by node ${producer} of this chain`;
    },
    reference: (node, field) => {
      const target = plan.byName.get(node);
      if (field === "id") return outcomes.get(node)?.imageId ?? target?.produces[0] ?? "";
      return target?.produces[0] ?? "";
    },
    squashRefused,
  });

  const runNode = async (name: string, signal: AbortSignal, engine: string): Promise<RunStatus> => {
    const n = plan.byName.get(name)!;
    const nodeStarted = events.elapsed();
    ranOn.set(name, engine);
    events.emit({ kind: "node-started", node: name, engine });
    const ctx = contextOf(n, engine, signal);
    let outcome: NodeOutcome;
    try {
      await bringInputs(n, engine, signal);
      outcome =
        n.spec.source.kind === "packer" ? await runPackerNode(n, ctx, opts) : await runDockerfileNode(n, ctx);
      if (
        (outcome.status === "built" || outcome.status === "cached") &&
        n.spec.push.length > 0 &&
        outcome.imageId
      ) {
        const pushed = await pushTargets(ctx, outcome.imageId, n.spec.push);
        if (pushed.error !== undefined) {
          const cancelled = signal.aborted;
          outcome = {
            status: cancelled ? "cancelled" : "failed",
            tags: outcome.tags,
            imageId: outcome.imageId,
            failure: { phase: "post-process", message: pushed.error, causes: [], cancelled },
          };
        }
      }
    } catch (e) {
      // A bug below must not take the chain down silently: the node fails with the message.
      const message = e instanceof Error ? e.message : String(e);
      outcome = {
        status: signal.aborted ? "cancelled" : "failed",
        tags: [],
        failure: { phase: "prepare", message, causes: [], cancelled: signal.aborted },
      };
    }
    if (outcome.status === "failed" && signal.aborted) outcome = { ...outcome, status: "cancelled" };
    if (outcome.status === "failed" && env.engines.size > 1) {
      const why = await checkEngine(engine);
      if (why !== undefined && outcome.failure) {
        outcome = {
          ...outcome,
          failure: {
            ...outcome.failure,
            message: `${endpointOf(engine)} was lost while ${name} ran (${why}); nodes not started there go on elsewhere. ${outcome.failure.message}`,
          },
        };
      }
    }
    outcomes.set(name, outcome);
    events.emit({
      kind: "node-finished",
      node: name,
      status: outcome.status,
      durationMs: events.elapsed() - nodeStarted,
      tags: outcome.tags,
      ...(outcome.imageId ? { imageId: outcome.imageId } : {}),
      ...(outcome.failure ? { failure: outcome.failure } : {}),
    });
    return outcome.status;
  };

  const final = await schedule(
    run.map((n) => ({
      name: n.spec.name,
      engine: n.spec.engine,
      needs: [
        ...new Set(plan.edges.filter((e) => e.from === n.spec.name && selected.has(e.to)).map((e) => e.to)),
      ],
    })),
    {
      limit: limitOf,
      place,
      failFast: opts.failFast,
      signal: env.signal,
      run: runNode,
      skipped: (node, state) =>
        events.emit({
          kind: "node-skipped",
          node,
          reason: state.reason,
          message: state.message,
          ...(state.failed ? { failed: state.failed } : {}),
        }),
    },
  );
  for (const [name, state] of final) {
    const outcome = outcomes.get(name);
    states.set(name, { ...state, ...(outcome ? { outcome } : {}) });
  }
  const count = (s: string) => [...final.values()].filter((v) => v.status === s).length;
  const failed = count("failed");
  events.emit({
    kind: "chain-finished",
    durationMs: events.elapsed() - started,
    cancelled: env.signal.aborted,
    built: count("built"),
    cached: count("cached"),
    failed,
    skipped: count("skipped") + count("cancelled") + (plan.nodes.length - run.length),
  });
  return { nodes: states, failed, cancelled: env.signal.aborted };
}
