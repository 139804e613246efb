// Leak checks: kiln's build containers are named `kiln_<run>_<pid>[.<start>]_<host>_…` (labels would leak
// into committed images), other objects kiln creates carry the `kiln.run` label, and everything the
// tests create carries `kiln.test`. After a test, none may be left in the engine.
import assert from "node:assert/strict";
import type { DockerEndpoint } from "./docker-api.js";
import { dockerJson, dockerRequest, endpointFromEnv } from "./docker-api.js";
import { parseContainerName } from "../../src/run/ownership.js";
import { ownerLiveness } from "../../src/run/reconcile.js";

/** Labels whose objects count as leftovers. */
export const LEAK_LABELS = ["kiln.run", "kiln.test"];
/** Tests tag the images they build under this prefix, so `sweep()` can find them. */
export const TEST_REPO_PREFIX = "kiln-it/";

export interface KilnObject {
  kind: "container" | "image";
  id: string;
  /** Names, tags and the matching labels, for the failure message. */
  description: string;
}

export interface KilnObjects {
  containers: number;
  images: number;
  objects: KilnObject[];
}

interface ContainerSummary {
  Id: string;
  Names: string[] | null;
  Image: string;
  State: string;
  Labels: Record<string, string> | null;
}

interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  Labels: Record<string, string> | null;
}

function describeLabels(labels: Record<string, string> | null, keys: string[]): string {
  return keys
    .filter((k) => labels?.[k] !== undefined)
    .map((k) => `${k}=${labels?.[k]}`)
    .join(",");
}

/** Docker ANDs label filters, so each label is listed separately and the results merged by id. */
async function listByLabels(endpoint: DockerEndpoint, labels: string[]): Promise<KilnObject[]> {
  const found = new Map<string, KilnObject>();
  for (const label of labels) {
    const filters = JSON.stringify({ label: [label] });
    const containers = await dockerJson<ContainerSummary[]>("GET", "/containers/json", {
      endpoint,
      query: { all: 1, filters },
    });
    for (const c of containers) {
      found.set(c.Id, {
        kind: "container",
        id: c.Id,
        description: `container ${(c.Names ?? []).join(",") || c.Id.slice(0, 12)} (${c.State}, image ${c.Image}, ${describeLabels(c.Labels, labels)})`,
      });
    }
    const images = await dockerJson<ImageSummary[]>("GET", "/images/json", {
      endpoint,
      query: { all: 1, filters },
    });
    for (const i of images) {
      const tags = (i.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
      found.set(i.Id, {
        kind: "image",
        id: i.Id,
        description: `image ${tags.join(",") || i.Id.slice(7, 19)} (${describeLabels(i.Labels, labels)})`,
      });
    }
  }
  // Name filters are regular expressions matched against the name with its leading slash.
  if (labels.includes("kiln.run")) {
    const named = await dockerJson<ContainerSummary[]>("GET", "/containers/json", {
      endpoint,
      query: { all: 1, filters: JSON.stringify({ name: ["^/?kiln_"] }) },
    });
    for (const c of named) {
      found.set(c.Id, {
        kind: "container",
        id: c.Id,
        description: `container ${(c.Names ?? []).join(",")} (${c.State}, image ${c.Image}, kiln build container)`,
      });
    }
  }
  return [...found.values()];
}

/** Containers (any state) and images labelled `kiln.run` or `kiln.test`. */
export async function countKilnObjects(
  opts: { endpoint?: DockerEndpoint; labels?: string[] } = {},
): Promise<KilnObjects> {
  const objects = await listByLabels(opts.endpoint ?? endpointFromEnv(), opts.labels ?? LEAK_LABELS);
  return {
    containers: objects.filter((o) => o.kind === "container").length,
    images: objects.filter((o) => o.kind === "image").length,
    objects,
  };
}

/** The ids present now, to pass as `baseline` when objects from before a test file must be ignored. */
export async function snapshotKilnObjects(opts: { endpoint?: DockerEndpoint } = {}): Promise<Set<string>> {
  return new Set((await countKilnObjects(opts)).objects.map((o) => o.id));
}

export interface SweepOptions {
  endpoint?: DockerEndpoint;
  /** Labels whose objects are removed; default `kiln.test` only. */
  labels?: string[];
  /** Also remove images tagged under these repository prefixes; default `kiln-it/`. */
  repoPrefixes?: string[];
}

/** Force-removes test-created containers and images; returns what it removed. */
export async function sweep(opts: SweepOptions = {}): Promise<KilnObject[]> {
  const endpoint = opts.endpoint ?? endpointFromEnv();
  const objects = await listByLabels(endpoint, opts.labels ?? ["kiln.test"]);
  const prefixes = opts.repoPrefixes ?? [TEST_REPO_PREFIX];
  if (prefixes.length > 0) {
    const images = await dockerJson<ImageSummary[]>("GET", "/images/json", { endpoint });
    for (const image of images) {
      const tags = (image.RepoTags ?? []).filter((t) => prefixes.some((p) => t.startsWith(p)));
      if (tags.length > 0 && !objects.some((o) => o.id === image.Id)) {
        objects.push({ kind: "image", id: image.Id, description: `image ${tags.join(",")}` });
      }
    }
  }
  // Containers first: an image still used by a container cannot go.
  const ordered = [
    ...objects.filter((o) => o.kind === "container"),
    ...objects.filter((o) => o.kind === "image"),
  ];
  const removed: KilnObject[] = [];
  for (const object of ordered) {
    const apiPath = object.kind === "container" ? `/containers/${object.id}` : `/images/${object.id}`;
    const res = await dockerRequest("DELETE", apiPath, { endpoint, query: { force: 1, v: 1 } });
    if (res.status < 300 || res.status === 404) removed.push(object);
  }
  return removed;
}

function ownerAlive(o: KilnObject): boolean {
  if (o.kind !== "container") return false;
  const owner = parseContainerName(/container \/?(kiln_\S+)/.exec(o.description)?.[1] ?? "");
  return owner !== undefined && ownerLiveness(owner) === "alive";
}

/**
 * Fails when kiln- or test-labelled containers or images exist (ignoring ids in `baseline`), after
 * sweeping them so that one leak does not fail every later test. Use it in `after()` hooks. The check
 * is engine-wide, which is why integration files run one at a time.
 */
export async function assertNoKilnLeftovers(
  opts: { endpoint?: DockerEndpoint; baseline?: Set<string>; context?: string } = {},
): Promise<void> {
  const { objects } = await countKilnObjects({ endpoint: opts.endpoint });
  // A build container whose kiln process is still running belongs to a concurrent run (another
  // test file, a developer's build on a shared engine): kiln's own rule says never touch it.
  const leaked = objects.filter((o) => !(opts.baseline?.has(o.id) ?? false) && !ownerAlive(o));
  if (leaked.length === 0) return;
  const endpoint = opts.endpoint ?? endpointFromEnv();
  for (const object of [...leaked].sort((a, b) =>
    a.kind === b.kind ? 0 : a.kind === "container" ? -1 : 1,
  )) {
    const apiPath = object.kind === "container" ? `/containers/${object.id}` : `/images/${object.id}`;
    await dockerRequest("DELETE", apiPath, { endpoint, query: { force: 1, v: 1 } });
  }
  assert.fail(
    `${leaked.length} kiln-labelled object(s) left behind${opts.context === undefined ? "" : ` ${opts.context}`}:\n` +
      leaked.map((o) => `  ${o.description}`).join("\n"),
  );
}
