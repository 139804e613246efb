// Ownership of what kiln creates, so that leftovers of a run that died (even by SIGKILL) can be
// recognised and removed by a later run or `kiln prune`, and never those of a run that is still
// alive. A run is identified by its process: pid plus the process's start time, because a pid
// alone may have been reused by an unrelated process since (see reconcile.ts).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

export interface RunIdentity {
  runId: string;
  pid: number;
  host: string;
  /** The process's start time (clock ticks after boot, /proc/<pid>/stat); undefined without /proc. */
  start?: number;
}

export function currentIdentity(runId: string): RunIdentity {
  const start = processStartTime(process.pid);
  return { runId, pid: process.pid, host: hostname(), ...(start !== undefined ? { start } : {}) };
}

/**
 * Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot. Together with
 * the pid it names one process for the life of the machine. Undefined when there is no such
 * process or no /proc (not Linux).
 */
export function processStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Field 2 is the command name in parentheses and may itself contain spaces and parentheses:
  // count from the last ")", after which field 3 starts.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = Number(fields[22 - 3]);
  return Number.isInteger(start) ? start : undefined;
}

const slug = (s: string) =>
  s
    .replace(/[^a-zA-Z0-9.-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40) || "x";

/** Appended to the name of a container kept on purpose (-on-error=abort): later runs leave it alone. */
const KEPT_SUFFIX = "_kept";

/**
 * Build containers are identified by name, not labels: the daemon merges every container label
 * into the committed image (moby's commit `merge`), so labels would leak into users' images.
 * The name says which run, process (pid and start time) and host own the container:
 * kiln_<run>_<pid>[.<start>]_<host>_<build>_<random>.
 */
export function containerName(id: RunIdentity, build: string): string {
  const owner = id.start !== undefined ? `${id.pid}.${id.start}` : `${id.pid}`;
  // The random tail keeps two containers of one build (a retry) apart without shared state.
  return `kiln_${id.runId.slice(0, 8)}_${owner}_${slug(id.host)}_${slug(build)}_${randomBytes(3).toString("hex")}`;
}

export interface ParsedContainerName {
  run: string;
  pid: number;
  /** Absent in names from kiln versions before it was recorded, and without /proc. */
  start?: number;
  host: string;
  /** Kept on purpose (-on-error=abort): only `kiln prune` or the user removes it. */
  kept: boolean;
}

export function parseContainerName(name: string): ParsedContainerName | undefined {
  const m = /^\/?kiln_([0-9a-f]{8})_(\d+)(?:\.(\d+))?_([a-zA-Z0-9.-]+)_/.exec(name);
  if (!m) return undefined;
  return {
    run: m[1]!,
    pid: Number(m[2]),
    ...(m[3] !== undefined ? { start: Number(m[3]) } : {}),
    host: m[4]!,
    kept: name.endsWith(KEPT_SUFFIX),
  };
}

/** The name a kept container is renamed to; undefined for names kiln did not give. */
export function keptContainerName(name: string): string | undefined {
  const bare = name.replace(/^\//, "");
  const parsed = parseContainerName(bare);
  if (!parsed) return undefined;
  return parsed.kept ? bare : `${bare}${KEPT_SUFFIX}`;
}

export function hostSlug(host: string): string {
  return slug(host);
}
