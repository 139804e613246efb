// kiln's graph runner: starts a node once every node it needs has succeeded, as many at once as
// each engine's limit allows (one limit per engine: nodes on different engines do not compete),
// list order breaking ties. A failed node's dependents are skipped, naming it; independent nodes
// go on. With fail-fast, the first failure stops new starts and cancels the running nodes (their
// cleanup runs). Cancellation of the whole run cancels every running node. `place` may move a node
// that has not started to another engine (when its own engine was lost).
import type { NodeSkipReason } from "../core/events.js";

export interface ScheduledNode {
  name: string;
  engine: string;
  /** Selected nodes this one needs. */
  needs: string[];
}

export type RunStatus = "built" | "cached" | "failed" | "cancelled";

export type FinalState =
  { status: RunStatus } | { status: "skipped"; reason: NodeSkipReason; failed?: string; message: string };

export interface SchedulerOptions {
  /** How many nodes may run at once on an engine (≥ 1). */
  limit(engine: string): number;
  failFast: boolean;
  /** The run's cancellation (SIGINT / SIGTERM). */
  signal: AbortSignal;
  /** The engine a node starts on, asked when it could start; default: the node's own. */
  place?(name: string, engine: string): string;
  /** Runs one node on an engine; resolves with its status (never rejects for a build failure). */
  run(name: string, signal: AbortSignal, engine: string): Promise<RunStatus>;
  /** Called when a node will not run, the moment that is known. */
  skipped(name: string, state: Extract<FinalState, { status: "skipped" }>): void;
}

export async function schedule(
  nodes: readonly ScheduledNode[],
  opts: SchedulerOptions,
): Promise<Map<string, FinalState>> {
  const final = new Map<string, FinalState>();
  const running = new Map<string, AbortController>();
  const busy = new Map<string, number>();
  /** For each node that did not succeed: the failed node at the root of it. */
  const rootFailure = new Map<string, string>();
  let stoppedBy: string | undefined;

  return new Promise((resolve, reject) => {
    const skip = (name: string, state: Extract<FinalState, { status: "skipped" }>): void => {
      final.set(name, state);
      opts.skipped(name, state);
    };
    const onAbort = (): void => {
      for (const c of running.values()) c.abort(opts.signal.reason);
      pump();
    };
    opts.signal.addEventListener("abort", onAbort, { once: true });

    const pump = (): void => {
      try {
        let changed = true;
        while (changed) {
          changed = false;
          for (const n of nodes) {
            if (final.has(n.name) || running.has(n.name)) continue;
            if (opts.signal.aborted) {
              skip(n.name, {
                status: "skipped",
                reason: "cancelled",
                message: "not started: the run was cancelled",
              });
              changed = true;
              continue;
            }
            if (stoppedBy !== undefined) {
              skip(n.name, {
                status: "skipped",
                reason: "fail-fast",
                failed: stoppedBy,
                message: `not started: ${stoppedBy} failed and -fail-fast stops the chain`,
              });
              changed = true;
              continue;
            }
            const blocked = n.needs.find((d) => {
              const s = final.get(d)?.status;
              return s !== undefined && s !== "built" && s !== "cached";
            });
            if (blocked !== undefined) {
              const root = rootFailure.get(blocked) ?? blocked;
              rootFailure.set(n.name, root);
              skip(n.name, {
                status: "skipped",
                reason: "dependency-failed",
                failed: root,
                message:
                  root === blocked
                    ? `skipped: it needs ${blocked}, which failed`
                    : `skipped: it needs ${blocked}, which did not build because ${root} failed`,
              });
              changed = true;
              continue;
            }
            const ready = n.needs.every((d) => {
              const s = final.get(d)?.status;
              return s === "built" || s === "cached";
            });
            if (!ready) continue;
            const engine = opts.place?.(n.name, n.engine) ?? n.engine;
            if ((busy.get(engine) ?? 0) >= Math.max(1, opts.limit(engine))) continue;
            start(n, engine);
            changed = true;
          }
        }
        if (running.size === 0 && nodes.every((n) => final.has(n.name))) {
          opts.signal.removeEventListener("abort", onAbort);
          resolve(final);
        }
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    };

    const start = (n: ScheduledNode, engine: string): void => {
      const controller = new AbortController();
      running.set(n.name, controller);
      busy.set(engine, (busy.get(engine) ?? 0) + 1);
      const signal = AbortSignal.any([opts.signal, controller.signal]);
      const settle = (status: RunStatus): void => {
        running.delete(n.name);
        busy.set(engine, (busy.get(engine) ?? 1) - 1);
        final.set(n.name, { status });
        if (status === "failed" || status === "cancelled") rootFailure.set(n.name, n.name);
        if (status === "failed" && opts.failFast && stoppedBy === undefined) {
          stoppedBy = n.name;
          for (const c of running.values()) c.abort(new Error(`-fail-fast: ${n.name} failed`));
        }
        pump();
      };
      // A microtask later, so a node's synchronous start never re-enters this loop.
      queueMicrotask(() => {
        opts.run(n.name, signal, engine).then(settle, (e: unknown) => {
          running.delete(n.name);
          reject(e instanceof Error ? e : new Error(String(e)));
        });
      });
    };

    pump();
  });
}
