// Runs one build of a parity template with Packer 1.6.6 or kiln, in a given work directory, with a
// private HOME and TMPDIR; then records everything the comparison needs (exit code, artifacts, the
// images behind them, files left in the work directory) and removes the images it made.
import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beginRun, KILN_BIN, runCommand, type RunResult } from "../../harness/kiln.js";
import { dockerRequest } from "../../harness/docker-api.js";
import { buildOutcomes, parseMachine, type BuildOutcome, type MachineLine } from "./machine.js";
import { removeImages, resolveImage, snapshotImage, tagsWithPrefix, type ImageSnapshot } from "./images.js";
import { snapshotTarFile, type TarFileSnapshot } from "./tar-walk.js";
import { findRunLeftovers, takeRunBaseline, type Leftover } from "../../harness/run-leaks.js";

export const PACKER_BIN = process.env.KILN_TEST_PACKER ?? "/usr/bin/packer";

export type Tool = "packer" | "kiln";

export interface RunSpec {
  tool: Tool;
  /** Absolute path of the template file. */
  template: string;
  /** Arguments between `build` and the template (always with `-machine-readable`). */
  args: string[];
  env: Record<string, string>;
  workDir: string;
  /** Every image the template names starts with this; all are removed after the run. */
  repoPrefix: string;
  /** A registry whose repositories' tags are recorded (then deleted) after the run. */
  registry?: { host: string; repos: string[] };
  timeoutMs?: number;
}

export type OutputSnapshot =
  | { kind: "dir"; mode: string }
  | { kind: "file"; mode: string; size: number; sha256: string; text?: string }
  | { kind: "symlink"; link: string }
  | { kind: "json"; mode: string; value: unknown }
  | { kind: "tar"; mode: string; tar: TarFileSnapshot };

export interface ArtifactSnapshot {
  builderId?: string;
  id?: string;
  string?: string;
  files: string[];
  /** Id of the image the artifact's id resolves to in the engine, if any. */
  imageId?: string;
  /** Each tag named in the artifact, and the image id it resolves to (undefined: absent). */
  tags: { tag: string; imageId?: string }[];
}

export interface BuildSnapshot {
  error?: string;
  artifactCount?: number;
  artifacts: ArtifactSnapshot[];
}

export interface RunSnapshot {
  tool: Tool;
  exitCode: number | null;
  result: RunResult;
  machine: MachineLine[];
  builds: Map<string, BuildSnapshot>;
  images: Map<string, ImageSnapshot>;
  outputs: Map<string, OutputSnapshot>;
  /** Registry repository → its tags after the run. */
  registryTags: Map<string, string[]>;
  /** Absolute directories to replace by placeholders when normalizing text. */
  paths: { home: string; tmp: string; work: string };
  /**
   * What a kiln run left behind (must be nothing): build containers, images it committed and did
   * not report, files in its private TMPDIR, entries in its private state dir (run-leaks.ts).
   */
  leftovers: Leftover[];
  /** Build containers the run named in its output that still exist (must be none). */
  containerLeftovers: string[];
}

const IMAGE_ID_LINE = /(?:Image ID|Imported ID): (sha256:[0-9a-f]{64})/g;
const REPOSITORY_LINE = /Repository: (\S+)/g;

/**
 * The build containers a run named in its output (`Container ID: …`, `Killing the container: …`)
 * that still exist. Checking these, rather than every container in the engine, keeps the check
 * exact while other tests share the engine.
 */
export async function containersLeftBy(output: string): Promise<string[]> {
  const ids = new Set(
    [...output.matchAll(/(?:Container ID|Killing the container): ([0-9a-f]{64})/g)].map((m) => m[1]!),
  );
  const left: string[] = [];
  for (const id of ids) {
    const res = await dockerRequest("GET", `/containers/${id}/json`);
    if (res.status !== 404) left.push(id);
  }
  return left;
}

/** Tags listed in an artifact string (`… with tags a b c`). */
export function tagsInArtifactString(s: string | undefined): string[] {
  const m = /with tags (.*)$/.exec(s ?? "");
  return m === null ? [] : m[1]!.split(" ").filter((t) => t !== "");
}

/**
 * Runs `packer …` or `kiln …` (any command) with a private HOME and TMPDIR, removed afterwards,
 * so that Packer's ~/.packer.d and both tools' temp files never touch the user's.
 */
export async function runRaw(
  tool: Tool,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<RunResult> {
  const home = mkdtempSync(path.join(os.tmpdir(), `kiln-parity-${tool}-home-`));
  const tmp = mkdtempSync(path.join(os.tmpdir(), `kiln-parity-${tool}-tmp-`));
  try {
    return await runCommand(
      tool === "packer" ? PACKER_BIN : process.execPath,
      tool === "packer" ? args : [KILN_BIN, ...args],
      {
        cwd: opts.cwd,
        env: { ...toolEnv(home, tmp), ...opts.env },
        timeoutMs: opts.timeoutMs ?? 240_000,
      },
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}

function toolEnv(home: string, tmp: string): Record<string, string | undefined> {
  return {
    HOME: home,
    TMPDIR: tmp,
    CHECKPOINT_DISABLE: "1",
    PACKER_CONFIG_DIR: home,
    PACKER_LOG: undefined,
    NO_COLOR: undefined,
  };
}

export async function runTool(spec: RunSpec): Promise<RunSnapshot> {
  const home = mkdtempSync(path.join(os.tmpdir(), `kiln-parity-${spec.tool}-home-`));
  const tmp = mkdtempSync(path.join(os.tmpdir(), `kiln-parity-${spec.tool}-tmp-`));
  const state = mkdtempSync(path.join(os.tmpdir(), `kiln-parity-${spec.tool}-state-`));
  try {
    const env: Record<string, string | undefined> = {
      ...toolEnv(home, tmp),
      KILN_STATE_DIR: state,
      ...spec.env,
    };
    const baseline = await takeRunBaseline({ tmpDir: tmp, stateDir: state });
    const command = spec.tool === "packer" ? PACKER_BIN : process.execPath;
    const args = [
      ...(spec.tool === "packer" ? [] : [KILN_BIN]),
      "build",
      "-machine-readable",
      // Packer has no step cache: kiln runs every step, as Packer does (the cache's own
      // differences are in docs/compat.md and test/integration/cache-*).
      ...(spec.tool === "packer" ? [] : ["-no-cache"]),
      ...spec.args,
      spec.template,
    ];
    const end = beginRun();
    const result = await runCommand(command, args, {
      cwd: spec.workDir,
      env,
      timeoutMs: spec.timeoutMs ?? 240_000,
    }).finally(end);
    const { lines } = parseMachine(result.stdout);
    const outcomes = buildOutcomes(lines);
    const snapshot: RunSnapshot = {
      tool: spec.tool,
      exitCode: result.code,
      result,
      machine: lines,
      builds: new Map(),
      images: new Map(),
      outputs: new Map(),
      registryTags: new Map(),
      paths: { home, tmp, work: spec.workDir },
      // Other templates build at the same time: only exact evidence (pid, container) counts.
      leftovers:
        spec.tool === "kiln"
          ? await findRunLeftovers({
              pid: result.pid,
              output: result.output,
              tmpDir: tmp,
              tmpPrivate: true,
              stateDir: state,
              baseline,
              exclusive: false,
            })
          : [],
      containerLeftovers: await containersLeftBy(result.stdout),
    };
    const toRemove = new Set<string>();
    try {
      for (const [target, outcome] of outcomes) {
        snapshot.builds.set(target, await snapshotBuild(outcome, snapshot.images, toRemove));
      }
      snapshot.outputs = await snapshotOutputs(spec.workDir);
    } finally {
      if (spec.registry !== undefined) {
        for (const repo of spec.registry.repos) {
          snapshot.registryTags.set(repo, await takeRegistryTags(spec.registry.host, repo));
        }
      }
      for (const m of result.stdout.matchAll(IMAGE_ID_LINE)) toRemove.add(m[1]!);
      for (const m of result.stdout.matchAll(REPOSITORY_LINE)) {
        const ref = m[1]!.replaceAll("%!(PACKER_COMMA)", "");
        if (ownedBy(ref, spec.repoPrefix)) toRemove.add(ref);
      }
      for (const tag of await tagsWithPrefix("")) if (ownedBy(tag, spec.repoPrefix)) toRemove.add(tag);
      await removeImages(toRemove);
      clearDir(spec.workDir);
    }
    return snapshot;
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
}

/** A reference under the template's repository prefix, on any registry host. */
function ownedBy(ref: string, prefix: string): boolean {
  return ref.startsWith(prefix) || ref.includes(`/${prefix}`);
}

const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");

/** The repository's tags in the registry; then its manifests are deleted, for the next run. */
async function takeRegistryTags(host: string, repo: string): Promise<string[]> {
  const res = await fetch(`http://${host}/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  const body = (await res.json()) as { tags?: string[] | null };
  const tags = [...(body.tags ?? [])].sort();
  for (const tag of tags) {
    const head = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
      method: "HEAD",
      headers: { Accept: MANIFEST_TYPES },
    });
    const digest = head.headers.get("docker-content-digest");
    if (digest !== null) await fetch(`http://${host}/v2/${repo}/manifests/${digest}`, { method: "DELETE" });
  }
  return tags;
}

async function snapshotBuild(
  outcome: BuildOutcome,
  images: Map<string, ImageSnapshot>,
  toRemove: Set<string>,
): Promise<BuildSnapshot> {
  const artifacts: ArtifactSnapshot[] = [];
  for (const a of outcome.artifacts) {
    const snap: ArtifactSnapshot = {
      builderId: a.builderId,
      id: a.id,
      string: a.string,
      files: a.files,
      tags: [],
    };
    if (a.id !== undefined && a.id !== "" && a.id !== "Container") {
      const imageId = await resolveImage(a.id);
      if (imageId !== undefined) {
        snap.imageId = imageId;
        toRemove.add(a.id);
        toRemove.add(imageId);
        if (!images.has(imageId)) {
          const image = await snapshotImage(imageId);
          if (image !== undefined) images.set(imageId, image);
        }
      }
    }
    for (const tag of tagsInArtifactString(a.string)) {
      snap.tags.push({ tag, imageId: await resolveImage(tag) });
      toRemove.add(tag);
    }
    artifacts.push(snap);
  }
  return { error: outcome.error, artifactCount: outcome.artifactCount, artifacts };
}

/** Every file the build left in the work directory. */
async function snapshotOutputs(workDir: string): Promise<Map<string, OutputSnapshot>> {
  const outputs = new Map<string, OutputSnapshot>();
  for (const rel of listTree(workDir)) {
    const abs = path.join(workDir, rel);
    const st = lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
    if (st.isSymbolicLink()) outputs.set(rel, { kind: "symlink", link: readlinkSync(abs) });
    else if (st.isDirectory()) outputs.set(rel, { kind: "dir", mode });
    else if (rel.endsWith(".tar")) outputs.set(rel, { kind: "tar", mode, tar: await snapshotTarFile(abs) });
    else if (rel.endsWith(".json")) {
      const text = readFileSync(abs, "utf8");
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
      outputs.set(rel, { kind: "json", mode, value });
    } else {
      const content = readFileSync(abs);
      const text = content.toString("utf8");
      outputs.set(rel, {
        kind: "file",
        mode,
        size: content.length,
        sha256: createHash("sha256").update(content).digest("hex"),
        // Short text is shown too, so that a difference (and a sidecar's expectation) is readable.
        text: content.length <= 256 && !text.includes("\uFFFD") ? text : undefined,
      });
    }
  }
  return outputs;
}

/** Paths below `dir`, relative, sorted; directories included. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const child = rel === "" ? name : `${rel}/${name}`;
      out.push(child);
      const st = lstatSync(path.join(dir, child));
      if (st.isDirectory()) walk(child);
    }
  };
  walk("");
  return out;
}

export function clearDir(dir: string): void {
  for (const name of readdirSync(dir)) rmSync(path.join(dir, name), { recursive: true, force: true });
}
