// Ownership labels put on every engine object kiln creates, so that leftovers of a run that died
// (even by SIGKILL) can be recognised and removed by a later run or `kiln prune`, and never those
// of a run that is still alive.
import { hostname } from "node:os";

export const LABEL_RUN = "kiln.run";
export const LABEL_PID = "kiln.pid";
export const LABEL_HOST = "kiln.host";
export const LABEL_BUILD = "kiln.build";
export const LABEL_KIND = "kiln.kind";

export interface RunIdentity {
  runId: string;
  pid: number;
  host: string;
}

export function currentIdentity(runId: string): RunIdentity {
  return { runId, pid: process.pid, host: hostname() };
}

export function ownershipLabels(id: RunIdentity, build: string, kind: string): Record<string, string> {
  return {
    [LABEL_RUN]: id.runId,
    [LABEL_PID]: String(id.pid),
    [LABEL_HOST]: id.host,
    [LABEL_BUILD]: build,
    [LABEL_KIND]: kind,
  };
}
