// The engine-wide leak check run after each integration file (its `after` hook): kiln's build
// containers (named `kiln_<run>_<pid>[.<start>]_<host>_…`; kiln sets no labels, because the daemon merges a
// container's labels into the committed image), images a kiln run of this process reported that
// still exist, untagged images that were not there when the harness set up (an image committed or
// imported and lost), and everything the tests create (labelled `kiln.test`). Each kiln run is also
// checked on its own, exactly, right after it ends (run-leaks.ts, called by runKiln).
import assert from "node:assert/strict";
import type { DockerEndpoint } from "./docker-api.js";
import { dockerJson, dockerRequest, endpointFromEnv, familiarTag } from "./docker-api.js";
import { reportedImages } from "./run-leaks.js";
import { parseContainerName } from "../../src/core/ownership.js";
import { ownerLiveness } from "../../src/run/reconcile.js";

/** Label of everything the tests create themselves. */
export const TEST_LABEL = "kiln.test";
/** Tests tag the images they build under this prefix, so `sweep()` can find them. */
export const TEST_REPO_PREFIX = "kiln-it/";
/**
 * Untagged images present when the harness set up (comma-separated ids, set by setup.ts): any
 * other untagged image at the end of a file was left by a run or a test.
 */
export const DANGLING_BASELINE_ENV = "KILN_TEST_DANGLING_BASELINE";

export interface KilnObject {
  kind: "container" | "image";
  id: string;
  /** Names, tags, and why it counts, for the failure message. */
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
  Command?: string;
  Created?: number;
}

interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  Labels: Record<string, string> | null;
}

function containerObject(c: ContainerSummary, why: string): KilnObject {
  return {
    kind: "container",
    id: c.Id,
    // The command and creation time say which helper or run made it, when the name cannot.
    description:
      `container ${(c.Names ?? []).join(",") || c.Id.slice(0, 12)} (${c.State}, image ${c.Image}, ${why}` +
      `${c.Command ? `, command ${JSON.stringify(c.Command)}` : ""}` +
      `${c.Created ? `, created ${new Date(c.Created * 1000).toISOString()}` : ""})`,
  };
}

/** kiln's build containers (any state): found by their name, since kiln labels nothing. */
export async function kilnContainers(endpoint: DockerEndpoint = endpointFromEnv()): Promise<KilnObject[]> {
  // Name filters are regular expressions matched against the name with its leading slash.
  const named = await dockerJson<ContainerSummary[]>("GET", "/containers/json", {
    endpoint,
    query: { all: 1, filters: JSON.stringify({ name: ["^/?kiln_"] }) },
  });
  return named.map((c) => containerObject(c, "kiln build container"));
}

/** Objects labelled `kiln.test`: what the tests created themselves. */
async function testObjects(endpoint: DockerEndpoint): Promise<KilnObject[]> {
  const filters = JSON.stringify({ label: [TEST_LABEL] });
  const containers = await dockerJson<ContainerSummary[]>("GET", "/containers/json", {
    endpoint,
    query: { all: 1, filters },
  });
  const images = await dockerJson<ImageSummary[]>("GET", "/images/json", {
    endpoint,
    query: { all: 1, filters },
  });
  return [
    ...containers.map((c) => containerObject(c, TEST_LABEL)),
    ...images.map((i) => ({
      kind: "image" as const,
      id: i.Id,
      description: `image ${(i.RepoTags ?? []).filter((t) => t !== "<none>:<none>").join(",") || i.Id.slice(7, 19)} (${TEST_LABEL})`,
    })),
  ];
}

export function danglingBaseline(): Set<string> {
  const value = process.env[DANGLING_BASELINE_ENV];
  assert.ok(
    value !== undefined,
    `${DANGLING_BASELINE_ENV} is not set: run integration tests through \`node scripts/test.mjs integration\``,
  );
  return new Set(value.split(",").filter((id) => id !== ""));
}

/** Untagged images (ids), as the engine lists them. */
export async function danglingImages(endpoint: DockerEndpoint = endpointFromEnv()): Promise<string[]> {
  const images = await dockerJson<ImageSummary[]>("GET", "/images/json", {
    endpoint,
    query: { filters: JSON.stringify({ dangling: ["true"] }) },
  });
  return images.map((i) => i.Id);
}

/** Images kiln runs reported, and untagged images the harness did not start with, that still exist. */
async function runImages(endpoint: DockerEndpoint): Promise<KilnObject[]> {
  const found = new Map<string, KilnObject>();
  for (const [id, line] of reportedImages) {
    const res = await dockerRequest("GET", `/images/${id}/json`, { endpoint });
    if (res.status === 404) {
      reportedImages.delete(id);
      continue;
    }
    const tags = (JSON.parse(res.body.toString("utf8")) as { RepoTags?: string[] | null }).RepoTags ?? [];
    found.set(id, {
      kind: "image",
      id,
      description: `image ${tags.join(",") || id.slice(7, 19)} (reported by a kiln run, never removed: "${line}")`,
    });
  }
  const baseline = danglingBaseline();
  for (const id of await danglingImages(endpoint)) {
    if (baseline.has(id) || found.has(id)) continue;
    found.set(id, {
      kind: "image",
      id,
      description: `untagged image ${id.slice(7, 19)} (not there at setup)`,
    });
  }
  return [...found.values()];
}

/** Everything the file-level check counts (see the file comment). */
export async function countKilnObjects(opts: { endpoint?: DockerEndpoint } = {}): Promise<KilnObjects> {
  const endpoint = opts.endpoint ?? endpointFromEnv();
  const byId = new Map<string, KilnObject>();
  for (const o of [
    ...(await kilnContainers(endpoint)),
    ...(await testObjects(endpoint)),
    ...(await runImages(endpoint)),
  ]) {
    if (!byId.has(o.id)) byId.set(o.id, o);
  }
  const objects = [...byId.values()];
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
  /** Also remove images tagged under these repository prefixes; default `kiln-it/`. */
  repoPrefixes?: string[];
}

async function remove(object: KilnObject, endpoint: DockerEndpoint): Promise<boolean> {
  const apiPath = object.kind === "container" ? `/containers/${object.id}` : `/images/${object.id}`;
  const res = await dockerRequest("DELETE", apiPath, { endpoint, query: { force: 1, v: 1 } });
  return res.status < 300 || res.status === 404;
}

/** Containers first: an image still used by a container cannot go. */
function containersFirst(objects: KilnObject[]): KilnObject[] {
  return [...objects.filter((o) => o.kind === "container"), ...objects.filter((o) => o.kind === "image")];
}

/** Force-removes test-created containers and images (label and tag prefix); returns what it removed. */
export async function sweep(opts: SweepOptions = {}): Promise<KilnObject[]> {
  const endpoint = opts.endpoint ?? endpointFromEnv();
  const objects = await testObjects(endpoint);
  const prefixes = opts.repoPrefixes ?? [TEST_REPO_PREFIX];
  if (prefixes.length > 0) {
    const images = await dockerJson<ImageSummary[]>("GET", "/images/json", { endpoint });
    for (const image of images) {
      const tags = (image.RepoTags ?? []).filter((t) => prefixes.some((p) => familiarTag(t).startsWith(p)));
      if (tags.length > 0 && !objects.some((o) => o.id === image.Id)) {
        objects.push({ kind: "image", id: image.Id, description: `image ${tags.join(",")}` });
      }
    }
  }
  const removed: KilnObject[] = [];
  for (const object of containersFirst(objects)) if (await remove(object, endpoint)) removed.push(object);
  return removed;
}

function ownerAlive(o: KilnObject): boolean {
  if (o.kind !== "container") return false;
  const owner = parseContainerName(/container \/?(kiln_\S+)/.exec(o.description)?.[1] ?? "");
  return owner !== undefined && ownerLiveness(owner) === "alive";
}

/**
 * Fails when kiln build containers, images kiln runs reported, new untagged images or
 * test-labelled objects exist (ignoring ids in `baseline`), after removing them so that one leak
 * does not fail every later test. Use it in `after()` hooks. The check is engine-wide, which is
 * why integration files run one at a time.
 */
export async function assertNoKilnLeftovers(
  opts: { endpoint?: DockerEndpoint; baseline?: Set<string>; context?: string } = {},
): Promise<void> {
  const endpoint = opts.endpoint ?? endpointFromEnv();
  const { objects } = await countKilnObjects({ endpoint });
  // A build container whose kiln process is still running belongs to a concurrent run (another
  // test file, a developer's build on a shared engine): kiln's own rule says never touch it.
  const leaked = objects.filter((o) => !(opts.baseline?.has(o.id) ?? false) && !ownerAlive(o));
  if (leaked.length === 0) return;
  for (const object of containersFirst(leaked)) {
    await remove(object, endpoint);
    if (object.kind === "image") reportedImages.delete(object.id);
  }
  assert.fail(
    `${leaked.length} object(s) left behind${opts.context === undefined ? "" : ` ${opts.context}`}:\n` +
      leaked.map((o) => `  ${o.description}`).join("\n"),
  );
}
