// What one kiln run left behind, judged from that run alone so that other work on the engine never
// counts: its build containers (named kiln_<run>_<pid>_<host>_…, so found by the run's pid, plus
// any container its output names), the images it committed (an image's `Container` is the build
// container it came from) or imported and did not report, files in its temp dir and journal
// entries in its state dir. The harness helpers that run kiln call it after every run; images a
// run reported are recorded so that the file-level check (leaks.ts) can see them outlive a test.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { DockerEndpoint } from "./docker-api.js";
import { dockerJson, dockerRequest, endpointFromEnv, familiarTag } from "./docker-api.js";

export type LeftoverKind = "container" | "image" | "temp" | "journal";

export interface Leftover {
  kind: LeftoverKind;
  /** Container or image id, or the absolute path. */
  id: string;
  description: string;
}

interface ContainerSummary {
  Id: string;
  Names: string[] | null;
  State: string;
  Image: string;
}

interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
}

interface ImageDetail {
  Id: string;
  Container?: string;
  RepoTags?: string[] | null;
  Comment?: string;
}

/**
 * Every image id a kiln run of this process reported (artifacts), with the line that reported it;
 * leaks.ts checks they are gone by the end of the file.
 */
export const reportedImages = new Map<string, string>();

/** `Image ID: …`, `Imported ID: …`, `Squashed image: …`, artifact lines and machine-readable artifact ids. */
export function imagesReportedIn(output: string): string[] {
  const ids = new Set<string>();
  for (const m of output.matchAll(
    /(?:Image ID|Imported ID|Squashed image|Imported Docker image): (sha256:[0-9a-f]{64})/g,
  ))
    ids.add(m[1]!);
  for (const m of output.matchAll(/,artifact,\d+,id,(sha256:[0-9a-f]{64})/g)) ids.add(m[1]!);
  return [...ids];
}

/** Container ids the output names: `Container ID: …`, `Killing the container: …`, `docker rm -f <id>`. */
export function containersNamedIn(output: string): string[] {
  const ids = new Set<string>();
  for (const m of output.matchAll(/(?:Container ID|Killing the container): ([0-9a-f]{64})/g)) ids.add(m[1]!);
  for (const m of output.matchAll(/docker rm -f ([0-9a-f]{12,64})\b/g)) ids.add(m[1]!);
  return [...ids];
}

/** The engine's images, all of them (id → tags). */
export async function listImages(
  endpoint: DockerEndpoint = endpointFromEnv(),
): Promise<Map<string, string[]>> {
  const images = await dockerJson<ImageSummary[]>("GET", "/images/json", { endpoint, query: { all: 1 } });
  return new Map(images.map((i) => [i.Id, (i.RepoTags ?? []).filter((t) => t !== "<none>:<none>")] as const));
}

/** Image ids that are another image's parent: the classic builder's intermediate images. */
async function parentImages(endpoint: DockerEndpoint): Promise<Set<string>> {
  const images = await dockerJson<(ImageSummary & { ParentId?: string })[]>("GET", "/images/json", {
    endpoint,
    query: { all: 1 },
  });
  return new Set(images.map((i) => i.ParentId ?? "").filter((p) => p !== ""));
}

/** What a run's leak check compares against, taken just before kiln starts. */
export interface RunBaseline {
  images: Set<string>;
  /** Entries of the run's TMPDIR before the run (empty for a private one). */
  tmpEntries: Set<string>;
  /** Journal files in the run's state dir before the run. */
  journals: Set<string>;
}

export interface RunScope {
  /** The kiln process: its build containers carry its pid in their name. */
  pid: number | undefined;
  /** Everything it printed (stdout and stderr). */
  output: string;
  /** The TMPDIR it ran with. */
  tmpDir: string;
  /** The harness made that TMPDIR for this run alone: anything in it is the run's. */
  tmpPrivate: boolean;
  /** The KILN_STATE_DIR it ran with. */
  stateDir: string;
  baseline: RunBaseline;
  /**
   * No other kiln run of this process overlapped it: new untagged images that no container
   * explains (docker-import) can then only be its own. Otherwise only exact evidence counts.
   */
  exclusive: boolean;
  endpoint?: DockerEndpoint;
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export async function takeRunBaseline(opts: {
  tmpDir: string;
  stateDir: string;
  endpoint?: DockerEndpoint;
}): Promise<RunBaseline> {
  return {
    images: new Set((await listImages(opts.endpoint)).keys()),
    tmpEntries: new Set(entries(opts.tmpDir)),
    journals: new Set(entries(opts.stateDir).filter((n) => n.endsWith(".json"))),
  };
}

const sameId = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);

/** Leftovers of one finished kiln run (see the file comment). */
export async function findRunLeftovers(scope: RunScope): Promise<Leftover[]> {
  const endpoint = scope.endpoint ?? endpointFromEnv();
  const found: Leftover[] = [];

  // Build containers: named after the run's pid, or named in its output.
  const containerIds = new Set(containersNamedIn(scope.output));
  const all = await dockerJson<ContainerSummary[]>("GET", "/containers/json", {
    endpoint,
    query: { all: 1 },
  });
  for (const c of all) {
    const names = (c.Names ?? []).map((n) => n.replace(/^\//, ""));
    const byPid =
      scope.pid !== undefined &&
      names.some((n) => new RegExp(`^kiln_[0-9a-f]{8}_${scope.pid}(?:\\.\\d+)?_`).test(n));
    const named = [...containerIds].some((id) => sameId(c.Id, id));
    if (!byPid && !named) continue;
    containerIds.add(c.Id);
    found.push({
      kind: "container",
      id: c.Id,
      description: `container ${names.join(",") || c.Id.slice(0, 12)} (${c.State}, image ${c.Image})`,
    });
  }

  // Images: committed from one of the run's containers, or (exclusive runs) imported untagged,
  // and not reported by the run.
  const reported = imagesReportedIn(scope.output);
  for (const id of reported) {
    const line = scope.output.split("\n").find((l) => l.includes(id)) ?? "";
    reportedImages.set(id, line.trim());
  }
  const parents = await parentImages(endpoint);
  const stepImages = new Set(
    [...scope.output.matchAll(/(?:^|\s)-{2,3}> ([0-9a-f]{11,64})\b/gm)].map((m) => m[1]!.slice(0, 11)),
  );
  for (const [id, tags] of await listImages(endpoint)) {
    if (scope.baseline.images.has(id) || reported.includes(id)) continue;
    // Per-step cache entries are kept on purpose (kiln cache ls / prune; the teardown sweeps them).
    if (tags.length > 0 && tags.every((t) => familiarTag(t).startsWith("kiln-cache:"))) continue;
    // A Dockerfile build's intermediate images (the engine's build cache, parents of its result)
    // belong to the engine, as with `docker build`. Podman lists no parents: there they are the
    // images its build output names as a step's result (`--> 0f4429c161c`).
    if (tags.length === 0 && (parents.has(id) || stepImages.has(id.replace(/^sha256:/, "").slice(0, 11))))
      continue;
    const res = await dockerRequest("GET", `/images/${id}/json`, { endpoint });
    if (res.status !== 200) continue; // removed meanwhile
    const detail = JSON.parse(res.body.toString("utf8")) as ImageDetail;
    const from = detail.Container ?? "";
    const committed = from !== "" && [...containerIds].some((c) => sameId(from, c));
    const imported = scope.exclusive && from === "" && tags.length === 0;
    if (!committed && !imported) continue;
    found.push({
      kind: "image",
      id,
      description: `image ${tags.join(",") || id.slice(7, 19)} (${committed ? `committed from ${from.slice(0, 12)}` : "untagged, no container"}, not reported by the run)`,
    });
  }

  // Host paths: whatever the run added to its temp dir, and journal entries it did not close.
  for (const name of entries(scope.tmpDir)) {
    if (scope.baseline.tmpEntries.has(name)) continue;
    // In a shared temp dir only kiln's own names count (others may write there meanwhile).
    if (!scope.tmpPrivate && !/^kiln-([0-9a-f]{8}|shell-local)-/.test(name)) continue;
    const p = path.join(scope.tmpDir, name);
    found.push({ kind: "temp", id: p, description: `temp path ${p}` });
  }
  for (const name of entries(scope.stateDir)) {
    if (!name.endsWith(".json")) continue;
    const p = path.join(scope.stateDir, name);
    let pid: number | undefined;
    let paths: unknown;
    try {
      const record = JSON.parse(readFileSync(p, "utf8")) as { pid?: number; paths?: unknown };
      pid = record.pid;
      paths = record.paths;
    } catch {
      // torn: judged by whether it is new
    }
    const ours = scope.pid !== undefined && pid === scope.pid;
    if (!ours && scope.baseline.journals.has(name)) continue;
    if (!ours && pid !== undefined && scope.pid !== undefined) continue; // another process's run
    found.push({
      kind: "journal",
      id: p,
      description: `journal entry ${p} (paths: ${JSON.stringify(paths ?? [])})`,
    });
  }
  return found;
}

/** Removes what a check found (containers first: an image used by a container cannot go). */
export async function removeLeftovers(leftovers: Leftover[], endpoint = endpointFromEnv()): Promise<void> {
  for (const l of leftovers.filter((x) => x.kind === "container"))
    await dockerRequest("DELETE", `/containers/${l.id}`, { endpoint, query: { force: 1, v: 1 } });
  for (const l of leftovers.filter((x) => x.kind === "image"))
    await dockerRequest("DELETE", `/images/${l.id}`, { endpoint, query: { force: 1 } });
  for (const l of leftovers.filter((x) => x.kind === "temp" || x.kind === "journal"))
    if (existsSync(l.id)) rmSync(l.id, { recursive: true, force: true });
}

export function formatLeftovers(leftovers: Leftover[]): string {
  return leftovers.map((l) => `  ${l.kind}: ${l.description}`).join("\n");
}
