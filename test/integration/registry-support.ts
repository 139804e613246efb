// Shared pieces of the registry integration tests: the real engine, a test image tagged into a
// registry, a post-processor context whose output goes through kiln's real human and
// machine-readable Uis (and is also captured raw, before masking, to prove nothing secret was
// printed in the first place), a watcher that samples every process's command line and environment
// for secrets while kiln runs, and a guard on ~/.docker/config.json. The CLI end-to-end tests can
// reuse all of it.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { createEngine } from "../../src/engine/index.js";
import type { Engine, ProgressEvent } from "../../src/engine/index.js";
import { initialBuildData } from "../../src/core/build-data.js";
import type { PostProcessorContext } from "../../src/core/component.js";
import { createHumanUi } from "../../src/ui/human-ui.js";
import { createMachineUi } from "../../src/ui/machine-ui.js";
import { SecretMasker } from "../../src/ui/mask.js";
import type { BuildUi, Ui } from "../../src/ui/ui.js";
import { BUSYBOX_IMAGE, ensureBusyboxImage } from "../harness/base-images.js";
import { endpointFromEnv } from "../harness/docker-api.js";

export const RUN = randomUUID().slice(0, 8);

export function testEngine(): Engine {
  return createEngine(process.env);
}

/** The busybox base image from the harness (KILN_TEST_BUSYBOX), built here when run alone. */
export async function baseImage(): Promise<string> {
  const fromHarness = process.env.KILN_TEST_BUSYBOX;
  if (fromHarness) return fromHarness;
  await ensureBusyboxImage(endpointFromEnv());
  return BUSYBOX_IMAGE;
}

/** Tags created by a test, removed (untag only) by cleanup(). */
export class Tags {
  private readonly refs: string[] = [];
  constructor(private readonly engine: Engine) {}

  /** Tags `source` as `<registry>/kiln-it/<name>:<tag>` for each tag; returns the references. */
  async tag(source: string, registry: string, name: string, tags: string[]): Promise<string[]> {
    const repo = `${registry}/kiln-it/${name}-${RUN}`;
    const out: string[] = [];
    for (const t of tags) {
      await this.engine.tagImage(source, repo, t);
      this.refs.push(`${repo}:${t}`);
      out.push(`${repo}:${t}`);
    }
    return out;
  }

  /** A reference created some other way (a pull by digest, a docker-tag post-processor). */
  track(ref: string): void {
    this.refs.push(ref);
  }

  async cleanup(): Promise<void> {
    for (const ref of this.refs.splice(0).reverse()) {
      await this.engine.removeImage(ref, { noprune: true }).catch(() => undefined);
    }
  }
}

export interface CapturedOutput {
  /** Human output (as on stdout/stderr). */
  human: string;
  /** -machine-readable output. */
  machine: string;
  /** What kiln handed the Ui, before any masking. */
  raw: string[];
}

export interface TestContext {
  ctx: PostProcessorContext;
  output(): CapturedOutput;
  masker: SecretMasker;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString("utf8");
}

/** A BuildUi that records raw lines and forwards them to both real Uis. */
function fanOut(raw: string[], uis: BuildUi[]): BuildUi {
  const each =
    (kind: "say" | "message" | "error") =>
    (msg: string): void => {
      raw.push(msg);
      for (const ui of uis) ui[kind](msg);
    };
  return {
    say: each("say"),
    message: each("message"),
    error: each("error"),
    child: (suffix) =>
      fanOut(
        raw,
        uis.map((u) => u.child(suffix)),
      ),
  };
}

/** `child`: the post-processor's Ui suffix; null for the build's own Ui (as the runner gets it). */
export function testContext(
  engine: Engine,
  hostEnv: NodeJS.ProcessEnv,
  child: string | null = "docker-push",
): TestContext {
  const masker = new SecretMasker();
  const humanOut = new PassThrough();
  const machineOut = new PassThrough();
  const human = collect(humanOut);
  const machine = collect(machineOut);
  const humanUi: Ui = createHumanUi({
    out: humanOut,
    color: false,
    timestamps: false,
    interactive: false,
    masker,
  });
  const machineUi: Ui = createMachineUi({ out: machineOut, masker });
  const raw: string[] = [];
  const buildUi = fanOut(raw, [humanUi.forBuild("docker"), machineUi.forBuild("docker")]);
  const ui = child === null ? buildUi : buildUi.child(child);
  const ctx: PostProcessorContext = {
    ui,
    buildName: "docker",
    sourceName: "docker",
    builderType: "docker",
    buildData: initialBuildData(),
    cwd: process.cwd(),
    force: false,
    templateDir: process.cwd(),
    render: (s) => s,
    signal: new AbortController().signal,
    tempDir: os.tmpdir(),
    addSecret: (v) => {
      masker.add(v);
    },
    hostEnv,
    engine,
  };
  return { ctx, masker, output: () => ({ human: human(), machine: machine(), raw }) };
}

export function assertNoSecrets(where: string, text: string, secrets: string[]): void {
  for (const s of secrets) {
    assert.ok(!text.includes(s), `${where} contains a secret (${s.length} chars)`);
    const b64 = Buffer.from(s).toString("base64");
    assert.ok(!text.includes(b64), `${where} contains a secret in base64`);
  }
}

/**
 * Samples /proc/<pid>/cmdline and /proc/<pid>/environ of every process, every few milliseconds,
 * until stopped; returns what matched (pid and which file), never the secret.
 */
export function watchProcesses(secrets: string[]): { stop(): Promise<string[]> } {
  const hits: string[] = [];
  let running = true;
  let samples = 0;
  const needles = secrets.flatMap((s) => [s, Buffer.from(s).toString("base64")]);
  const loop = (async () => {
    while (running) {
      samples++;
      let pids: string[] = [];
      try {
        pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
      } catch {
        /* not Linux */
      }
      for (const pid of pids) {
        if (pid === String(process.pid)) continue; // our own environ is the test's, read at exec
        for (const file of ["cmdline", "environ"]) {
          let text: string;
          try {
            text = await readFile(`/proc/${pid}/${file}`, "latin1");
          } catch {
            continue; // gone, or not ours to read
          }
          if (needles.some((n) => text.includes(n))) hits.push(`${pid}/${file}: ${commandOf(pid)}`);
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      assert.ok(samples > 0, "the process watcher sampled at least once");
      return hits;
    },
  };
}

function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

/** The user's real Docker config: its bytes (or absence) must not change while kiln runs. */
export function snapshotUserDockerConfig(): { file: string; bytes: Buffer | undefined } {
  const file = path.join(os.homedir(), ".docker", "config.json");
  try {
    return { file, bytes: readFileSync(file) };
  } catch {
    return { file, bytes: undefined };
  }
}

export function assertUserDockerConfigUnchanged(before: { file: string; bytes: Buffer | undefined }): void {
  const after = snapshotUserDockerConfig();
  if (before.bytes === undefined) {
    assert.equal(after.bytes, undefined, `${before.file} was created`);
  } else {
    assert.ok(after.bytes?.equals(before.bytes), `${before.file} changed`);
  }
}

/** Wraps an engine so a test can act between (or during) pushes; everything else passes through. */
export function interceptPushes(
  engine: Engine,
  hooks: {
    before?: (call: number, name: string, tag: string) => Promise<void>;
    onProgress?: (call: number, event: ProgressEvent) => void;
  },
): Engine & { pushCalls: string[] } {
  const pushCalls: string[] = [];
  const wrapped = Object.create(engine) as Engine & { pushCalls: string[] };
  wrapped.pushCalls = pushCalls;
  wrapped.pushImage = async (name, tag, opts = {}) => {
    pushCalls.push(`${name}:${tag}`);
    const call = pushCalls.length;
    await hooks.before?.(call, name, tag);
    return engine.pushImage(name, tag, {
      ...opts,
      onProgress: (e) => {
        hooks.onProgress?.(call, e);
        opts.onProgress?.(e);
      },
    });
  };
  return wrapped;
}
