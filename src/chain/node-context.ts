// What the chain hands each node's runner.
import type { EventBus } from "../core/events.js";
import type { Engine } from "../engine/types.js";
import type { ChainEnv } from "./chain-env.js";

export interface NodeContext {
  name: string;
  engine: Engine;
  /** The chain's bus scoped to this node: every event carries `node`. */
  bus: EventBus;
  env: ChainEnv;
  /** The node's cancellation: the run's, or -fail-fast's. */
  signal: AbortSignal;
  /** For an image a node of this chain builds (and this run runs): where it comes from. */
  localImage(image: string): string | undefined;
  /** `${node.X.image}` / `${node.X.id}` at run time (X has been built). */
  reference(node: string, field: "image" | "id"): string;
  /** Engines that refused to squash in this run: said once, then builds go unsquashed at once. */
  squashRefused: Set<Engine>;
}
