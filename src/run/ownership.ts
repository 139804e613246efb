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

const slug = (s: string) =>
  s
    .replace(/[^a-zA-Z0-9.-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40) || "x";

/**
 * Build containers are identified by name, not labels: the daemon merges every container label
 * into the committed image (moby's commit `merge`), so labels would leak into users' images.
 * The name says which run, process and host own the container: kiln_<run>_<pid>_<host>_<build>_<n>.
 */
export function containerName(id: RunIdentity, build: string, n: number): string {
  return `kiln_${id.runId.slice(0, 8)}_${id.pid}_${slug(id.host)}_${slug(build)}_${n}`;
}

export interface ParsedContainerName {
  run: string;
  pid: number;
  host: string;
}

export function parseContainerName(name: string): ParsedContainerName | undefined {
  const m = /^\/?kiln_([0-9a-f]{8})_(\d+)_([a-zA-Z0-9.-]+)_/.exec(name);
  return m ? { run: m[1]!, pid: Number(m[2]), host: m[3]! } : undefined;
}

export function hostSlug(host: string): string {
  return slug(host);
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
