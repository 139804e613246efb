// What running one node gives the chain: its status, the images it produced, its failure.
import type { BuildFailure } from "../core/errors.js";
import type { RunStatus } from "./scheduler.js";

export interface NodeOutcome {
  status: RunStatus;
  /** `repo:tag` references now pointing at the node's image. */
  tags: string[];
  imageId?: string;
  failure?: BuildFailure;
}
