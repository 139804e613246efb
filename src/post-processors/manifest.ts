// manifest: records each build's artifact in Packer's `packer-manifest.json` format, appending to
// an existing file as Packer does, and passes its input through untouched. The file is replaced
// atomically (temp file in the same directory, then rename), so a reader or a crash never sees half
// a manifest; writes from parallel builds in this process are serialised.
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { artifactFiles, artifactId, type Artifact } from "../core/artifact.js";
import type { PostProcessor, PostProcessorContext, PostProcessorResult } from "../core/component.js";
import { BuildError } from "../core/errors.js";
import type { ManifestConfig } from "./schemas.js";

/** One build, with Packer's field names and order. */
export interface ManifestBuild {
  name: string;
  builder_type: string;
  /** Unix seconds; absent when strip_time is set (Go's omitempty on 0). */
  build_time?: number;
  files: { name: string; size: number }[] | null;
  artifact_id: string;
  packer_run_uuid: string;
  custom_data: Record<string, string> | null;
}

export interface ManifestFile {
  builds: ManifestBuild[];
  last_run_uuid: string;
}

export interface ManifestOptions {
  now?: () => Date;
}

export class Manifest implements PostProcessor {
  constructor(
    private readonly c: ManifestConfig,
    private readonly o: ManifestOptions = {},
  ) {}

  async process(ctx: PostProcessorContext, input: Artifact): Promise<PostProcessorResult> {
    // A relative `output` is resolved from the working directory, as Packer does (ctx.cwd).
    const output = path.resolve(ctx.cwd, this.c.output || "packer-manifest.json");
    const runUuid = ctx.buildData.PackerRunUUID;
    const files: { name: string; size: number }[] = [];
    for (const name of artifactFiles(input)) {
      // Packer records size 0 for a file it cannot stat.
      const size = await stat(path.resolve(ctx.cwd, name)).then(
        (s) => s.size,
        () => 0,
      );
      files.push({ name: this.c.strip_path ? path.basename(name) : name, size });
    }
    const customData = Object.entries(this.c.custom_data ?? {});
    const build: ManifestBuild = {
      name: ctx.sourceName,
      builder_type: ctx.builderType,
      ...(this.c.strip_time
        ? {}
        : { build_time: Math.floor((this.o.now?.() ?? new Date()).getTime() / 1000) }),
      files: files.length > 0 ? files : null,
      artifact_id: artifactId(input),
      packer_run_uuid: runUuid,
      custom_data:
        customData.length > 0 ? Object.fromEntries(customData.map(([k, v]) => [k, String(v)])) : null,
    };
    await serialised(output, async () => {
      let manifest = await readManifest(output);
      if (ctx.force && manifest.last_run_uuid !== runUuid) manifest = { builds: [], last_run_uuid: "" };
      manifest.builds.push(build);
      manifest.last_run_uuid = runUuid;
      await writeAtomically(output, formatManifest(manifest));
    });
    // The manifest never deletes what it records: keep, and force it.
    return { artifact: input, keep: true, forceKeep: true };
  }
}

export async function readManifest(file: string): Promise<ManifestFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { builds: [], last_run_uuid: "" };
    throw new BuildError(`Unable to open ${file} for reading: ${(error as Error).message}`, { cause: error });
  }
  if (text.trim() === "") return { builds: [], last_run_uuid: "" };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new BuildError(
      `Unable to parse content from ${file}: ${(error as Error).message}; move it away or fix it`,
      { cause: error },
    );
  }
  const obj = (raw ?? {}) as { builds?: unknown; last_run_uuid?: unknown };
  const builds = Array.isArray(obj.builds) ? obj.builds.map(normaliseBuild) : [];
  return { builds, last_run_uuid: typeof obj.last_run_uuid === "string" ? obj.last_run_uuid : "" };
}

/** Existing entries are re-read into Packer's struct: unknown fields drop, missing ones get zero values. */
function normaliseBuild(v: unknown): ManifestBuild {
  const b = (v ?? {}) as Record<string, unknown>;
  const str = (x: unknown): string => (typeof x === "string" ? x : "");
  const files = Array.isArray(b.files)
    ? b.files.map((f) => {
        const o = (f ?? {}) as Record<string, unknown>;
        return { name: str(o.name), size: typeof o.size === "number" ? Math.trunc(o.size) : 0 };
      })
    : null;
  const custom =
    b.custom_data && typeof b.custom_data === "object" && !Array.isArray(b.custom_data)
      ? Object.fromEntries(
          Object.entries(b.custom_data as Record<string, unknown>).map(([k, x]) => [k, str(x)]),
        )
      : null;
  const time = typeof b.build_time === "number" ? Math.trunc(b.build_time) : 0;
  return {
    name: str(b.name),
    builder_type: str(b.builder_type),
    ...(time !== 0 ? { build_time: time } : {}),
    files,
    artifact_id: str(b.artifact_id),
    packer_run_uuid: str(b.packer_run_uuid),
    custom_data: custom,
  };
}

/**
 * Byte-compatible with Go's json.MarshalIndent(v, "", "  "): two-space indent, map keys sorted,
 * `<`, `>`, `&`, U+2028 and U+2029 escaped, no trailing newline.
 */
export function formatManifest(m: ManifestFile): string {
  const sorted: ManifestFile = {
    builds: m.builds.map((b) => ({
      ...b,
      custom_data: b.custom_data
        ? Object.fromEntries(
            Object.entries(b.custom_data).sort(([a], [b2]) => (a < b2 ? -1 : a > b2 ? 1 : 0)),
          )
        : null,
    })),
    last_run_uuid: m.last_run_uuid,
  };
  return JSON.stringify(sorted, null, 2).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  try {
    await writeFile(tmp, content, { mode: 0o664 });
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new BuildError(`Unable to write ${file}: ${(error as Error).message}`, { cause: error });
  }
}

// Parallel builds append to one manifest; a read-modify-write per file at a time keeps every entry.
const queues = new Map<string, Promise<void>>();

async function serialised(file: string, fn: () => Promise<void>): Promise<void> {
  const before = queues.get(file) ?? Promise.resolve();
  const mine = before.then(fn, fn);
  const settled = mine.catch(() => undefined);
  queues.set(file, settled);
  try {
    await mine;
  } finally {
    if (queues.get(file) === settled) queues.delete(file);
  }
}

export function createManifest(config: Record<string, unknown>, options?: ManifestOptions): PostProcessor {
  return new Manifest(config as unknown as ManifestConfig, options);
}
