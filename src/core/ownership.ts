// Ownership labels put on every engine object kiln creates, so that leftovers of a run that died
// (even by SIGKILL) can be recognised and removed by a later run or `kiln prune`, and never those
// of a run that is still alive.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

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
 * The name says which run, process and host own the container: kiln_<run>_<pid>_<host>_<build>_<random>.
 */
export function containerName(id: RunIdentity, build: string): string {
  // The random tail keeps two containers of one build (a retry) apart without shared state.
  return `kiln_${id.runId.slice(0, 8)}_${id.pid}_${slug(id.host)}_${slug(build)}_${randomBytes(3).toString("hex")}`;
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
