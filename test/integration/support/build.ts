// Helpers for integration tests that run the kiln CLI on a template and inspect the result.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runKiln, tempDir, type KilnRunResult, type RunResult } from "../../harness/kiln.js";
import { danglingBaseline, danglingImages } from "../../harness/leaks.js";
import {
  demuxStream,
  dockerJson,
  dockerRequest,
  familiarTag,
  inspectImage,
  removeContainer,
  runContainer,
} from "../../harness/docker-api.js";

export const BUSYBOX = process.env.KILN_TEST_BUSYBOX ?? "kiln-test/busybox:1";
export const DEBIAN = process.env.KILN_TEST_DEBIAN ?? "kiln-test/debian:bookworm";

export interface Built extends KilnRunResult {
  dir: string;
  imageIds: string[];
}

/** Images a test produced, removed in `after`. */
const produced = new Set<string>();

export function trackImage(ref: string): void {
  produced.add(ref);
}

export async function removeProduced(): Promise<void> {
  // Per-step cache entries made from these images are their children, which keep a forced
  // delete from removing a parent: they go first.
  const images = await dockerJson<{ RepoTags: string[] | null }[]>("GET", "/images/json");
  for (const tag of images
    .flatMap((i) => i.RepoTags ?? [])
    .filter((t) => familiarTag(t).startsWith("kiln-cache:"))) {
    await dockerRequest("DELETE", `/images/${encodeURIComponent(tag)}`, { query: { force: 1 } });
  }
  for (const ref of [...produced].reverse()) {
    await dockerRequest("DELETE", `/images/${encodeURIComponent(ref)}`, { query: { force: 1 } });
    produced.delete(ref);
  }
  // Results whose tag a later build of the same file moved on are left untagged: the file's own.
  // (What a kiln run loses itself is caught by each run's check, run-leaks.ts, when it ends.)
  // Untagged parents are listed once their children are gone (the containerd image store keeps
  // no parent chain to delete with a child, as the classic store does): passes until none is new.
  const baseline = danglingBaseline();
  for (let pass = 0; pass < 10; pass++) {
    const left = (await danglingImages()).filter((id) => !baseline.has(id));
    if (left.length === 0) break;
    for (const id of left) await dockerRequest("DELETE", `/images/${id}`, { query: { force: 1 } });
  }
}

/** Writes `template` (object → JSON) and optional extra files into a temp dir, runs kiln there. */
export async function build(
  t: { after(fn: () => void): void },
  template: object | string,
  opts: {
    args?: string[];
    files?: Record<string, string>;
    prepare?: (dir: string) => void;
    env?: Record<string, string | undefined>;
    command?: string;
    signalAfter?: Parameters<typeof runKiln>[1] extends infer O
      ? O extends { signalAfter?: infer S }
        ? S
        : never
      : never;
    timeoutMs?: number;
    /**
     * Use the per-step cache (kiln's default). Off unless asked: these tests check what steps do,
     * and an entry made by another test with the same steps would serve them without running
     * (test/integration/cache-*.test.ts test the cache itself).
     */
    cache?: boolean;
    /** The run is meant to leave something behind: see `runKiln`. */
    expectLeftovers?: boolean;
    beforeCheck?: (result: RunResult) => Promise<void>;
  } = {},
): Promise<Built> {
  const dir = tempDir(t);
  const file = join(dir, "template.json");
  writeFileSync(file, typeof template === "string" ? template : JSON.stringify(template, null, 2));
  for (const [name, content] of Object.entries(opts.files ?? {}))
    writeFileSync(join(dir, name), content, { mode: 0o755 });
  opts.prepare?.(dir);
  const command = opts.command ?? "build";
  const noCache = command === "build" && !opts.cache ? ["-no-cache"] : [];
  const result = await runKiln([command, "-color=false", ...noCache, ...(opts.args ?? []), file], {
    cwd: dir,
    env: opts.env,
    signalAfter: opts.signalAfter,
    timeoutMs: opts.timeoutMs ?? 180_000,
    expectLeftovers: opts.expectLeftovers,
    beforeCheck: opts.beforeCheck,
  });
  const imageIds = [...result.stdout.matchAll(/(?:Image ID|Imported ID): (sha256:[0-9a-f]{64})/g)].map(
    (m) => m[1]!,
  );
  for (const id of imageIds) trackImage(id);
  return { ...result, dir, imageIds };
}

export function describeRun(r: RunResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

export { inspectImage, runContainer };

/** Runs `sh -c script` in the image (its entrypoint replaced) and returns stdout; throws on failure. */
export async function inImage(image: string, script: string, user?: string): Promise<string> {
  const created = await dockerJson<{ Id: string }>("POST", "/containers/create", {
    body: {
      Image: image,
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: [script],
      User: user,
      Labels: { "kiln.test": "1" },
    },
  });
  try {
    await dockerJson("POST", `/containers/${created.Id}/start`);
    const waited = await dockerJson<{ StatusCode: number }>("POST", `/containers/${created.Id}/wait`, {
      timeoutMs: 60_000,
    });
    const logs = await dockerRequest("GET", `/containers/${created.Id}/logs`, {
      query: { stdout: 1, stderr: 1 },
    });
    const { stdout, stderr } = demuxStream(logs.body);
    if (waited.StatusCode !== 0)
      throw new Error(`in-image check failed (${waited.StatusCode}): ${stdout}${stderr}`);
    return stdout;
  } finally {
    await removeContainer(created.Id);
  }
}
