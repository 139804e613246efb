// A Dockerfile node: the context streamed to the engine's builder (POST /build), its output lines
// as the node's events (each `Step i/n` a step, `Using cache` marking it cached), squash where the
// engine can, pulls never for images this chain builds, and credentials for the registries the
// FROM images come from.
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import type { Artifact } from "../core/artifact.js";
import { causeMessages, errorMessage, type BuildFailure } from "../core/errors.js";
import type { StepRef, StepStatus } from "../core/events.js";
import { LineSplitter } from "../core/line-splitter.js";
import { EngineError } from "../engine/errors.js";
import { ImageReference } from "../engine/reference.js";
import type { ProgressEvent, RegistryAuth } from "../engine/types.js";
import { eventBuildUi } from "../ui/event-ui.js";
import { buildContext } from "./build-context.js";
import { dockerfileImages } from "./dockerfile-from.js";
import type { DockerfileSource } from "./model.js";
import type { PlannedNode } from "./plan.js";
import type { NodeContext } from "./node-context.js";
import type { NodeOutcome } from "./node-outcome.js";
import { substituteReferences } from "./native-file.js";

/** The build name a Dockerfile node's lines carry: `[node] ==> dockerfile: Step 1/3 : FROM …`. */
export const DOCKERFILE_BUILD = "dockerfile";

export async function runDockerfileNode(node: PlannedNode, ctx: NodeContext): Promise<NodeOutcome> {
  const source = node.spec.source as DockerfileSource;
  const { bus, engine, signal } = ctx;
  const build = DOCKERFILE_BUILD;
  const ui = eventBuildUi(bus, ctx.env.ui, build);
  const started = bus.elapsed();
  bus.emit({ kind: "build-started", build, steps: 0 });
  const finish = (outcome: NodeOutcome, artifacts: Artifact[] = []): NodeOutcome => {
    for (const artifact of artifacts) bus.emit({ kind: "artifact", build, artifact });
    bus.emit({
      kind: "build-finished",
      build,
      status: outcome.status === "failed" ? "failed" : outcome.status === "cancelled" ? "cancelled" : "ok",
      durationMs: bus.elapsed() - started,
      artifacts,
      ...(outcome.failure ? { failure: outcome.failure } : {}),
    });
    return outcome;
  };
  const fail = (e: unknown, step?: string): NodeOutcome => {
    const cancelled = signal.aborted;
    const failure: BuildFailure = {
      phase: "builder",
      ...(step ? { step } : {}),
      message: cancelled ? "Build was cancelled" : errorMessage(e),
      causes: causeMessages(e),
      cancelled,
    };
    if (!cancelled) ui.error(`Build failed: ${failure.message}`);
    return finish({ status: cancelled ? "cancelled" : "failed", tags: [], failure });
  };

  const buildArgs = Object.fromEntries(
    source.buildArgs.map((a) => [a.name, substituteReferences(a.value, (n, f) => ctx.reference(n, f))]),
  );
  let text: string;
  try {
    text = await readFile(source.dockerfile, "utf8");
  } catch (e) {
    return fail(e);
  }
  const froms = dockerfileImages(text, buildArgs, source.target);
  const local = froms.flatMap((f) => {
    const why = ctx.localImage(f.image);
    return why === undefined ? [] : [{ image: f.image, why }];
  });
  let pull = source.pull;
  if (pull && local.length > 0) {
    pull = false;
    for (const l of local) ui.say(`Not pulling (--pull is off for this build): ${l.image} ${l.why}.`);
  }
  let registryConfig: Record<string, RegistryAuth> | undefined;
  if (ctx.env.registryAuth) {
    registryConfig = {};
    const seen = new Set<string>();
    for (const f of froms) {
      const ref = ImageReference.tryParse(f.image);
      if (!ref || ctx.localImage(f.image) !== undefined || seen.has(ref.registry)) continue;
      seen.add(ref.registry);
      const auth = await ctx.env.registryAuth(ref.registry, ui);
      if (auth) registryConfig[ref.authKey] = auth;
    }
  }

  const tags = node.produces;
  let squash = source.squash && !ctx.squashRefused.has(engine);
  const where = relative(source.context, source.dockerfile) || source.dockerfile;
  const steps = new StepTracker(ctx, build);
  const attempt = async (): Promise<string> => {
    let sent: { files: number; bytes: number } | undefined;
    const context = await buildContext(source.context, source.dockerfile, (s) => (sent = s));
    ui.say(`Building ${where} in ${source.context}${squash ? " (squashed)" : ""} as ${tags.join(", ")}`);
    const lines = new LineSplitter((line) => steps.line(line, ui));
    const pulls = new Set<string>();
    try {
      const { imageId } = await engine.buildImage(context.stream, {
        dockerfile: context.dockerfile,
        tags,
        buildArgs,
        labels: source.labels,
        noCache: source.noCache || Boolean(ctx.env.noCache),
        pull,
        squash,
        registryConfig,
        signal,
        ...(source.target !== undefined ? { target: source.target } : {}),
        ...(source.network !== undefined ? { network: source.network } : {}),
        ...(source.platform !== undefined ? { platform: source.platform } : {}),
        onProgress: (event: ProgressEvent) => {
          if (event.stream !== undefined) lines.write(event.stream);
          else if (event.status && !event.progressDetail?.total) {
            const line = event.id ? `${event.id}: ${event.status}` : event.status;
            if (!pulls.has(line)) ui.message(line);
            pulls.add(line);
          }
        },
      });
      lines.flush();
      if (sent) ui.message(`Build context sent: ${sent.files} file(s), ${formatBytes(sent.bytes)}`);
      return imageId;
    } catch (e) {
      lines.flush();
      context.stream.destroy();
      throw e;
    }
  };
  let imageId: string;
  try {
    try {
      imageId = await attempt();
    } catch (e) {
      if (!(squash && e instanceof EngineError && e.kind === "unsupported")) throw e;
      ctx.squashRefused.add(engine);
      squash = false;
      ui.say(
        `The engine at ${engine.endpoint} cannot squash (${e.message.replace(/^.*: /, "")}): building unsquashed. kiln says this once per run; --no-squash turns squash off.`,
      );
      steps.reset();
      imageId = await attempt();
    }
    steps.end("ok");
  } catch (e) {
    const failed = steps.end(signal.aborted ? "cancelled" : "failed", e);
    // The engine removes its step containers (forcerm), but on a cancelled request it does so in
    // its own time: kiln removes them itself, so nothing of the build outlives the run.
    for (const id of steps.containers) {
      await engine
        .removeContainer(id)
        .catch((err: unknown) => ui.error(`Cleanup failed: remove container ${id}: ${errorMessage(err)}`));
    }
    return fail(e, failed);
  }
  ui.say(`Built ${imageId} as ${tags.join(", ")}`);
  const artifact: Artifact = {
    kind: "image",
    builderId: "kiln.dockerfile",
    imageId,
    id: tags[tags.length - 1] ?? imageId,
    tags,
  };
  return finish({ status: steps.allCached ? "cached" : "built", tags, imageId }, [artifact]);
}

/**
 * Turns the builder's step lines into step events, noticing the cache: Docker's legacy builder
 * prints `Step i/n : …` and ` ---> Using cache`, Podman's (buildah) `STEP i/n: …` and
 * `--> Using cache <id>`.
 */
class StepTracker {
  private current: { step: StepRef; started: number; cached: boolean; from: boolean } | undefined;
  private count = 0;
  private cachedCount = 0;
  /** The builder's step containers (` ---> Running in …`), removed again if the build fails. */
  readonly containers: string[] = [];

  constructor(
    private readonly ctx: NodeContext,
    private readonly build: string,
  ) {}

  get allCached(): boolean {
    return this.count > 0 && this.cachedCount === this.count;
  }

  line(line: string, ui: { say(s: string): void; message(s: string): void }): void {
    const m = /^(?:Step (\d+)\/(\d+) :|STEP (\d+)\/(\d+):) (.*)$/.exec(line);
    if (m) {
      this.end("ok");
      const [at, of, instruction] = [m[1] ?? m[3]!, m[2] ?? m[4]!, m[5]!];
      const step: StepRef = {
        phase: "builder",
        index: Number(at) - 1,
        name: `Step ${at}/${of}: ${instruction.slice(0, 80)}`,
      };
      // A FROM step is never "Using cache": it neither makes nor breaks a fully cached build.
      this.current = {
        step,
        started: this.ctx.bus.elapsed(),
        cached: false,
        from: /^from\s/i.test(instruction),
      };
      this.ctx.bus.emit({ kind: "step-started", build: this.build, step });
      ui.say(line);
      return;
    }
    if (this.current && /^(?: ---> Using cache|--> Using cache [0-9a-f]+)$/.test(line))
      this.current.cached = true;
    const running = /^ ---> Running in ([0-9a-f]{12,64})$/.exec(line);
    if (running) this.containers.push(running[1]!);
    if (line.trim() !== "") ui.message(line);
  }

  /** Ends the open step; returns its name. */
  end(status: StepStatus, e?: unknown): string | undefined {
    const c = this.current;
    if (!c) return undefined;
    this.current = undefined;
    const final: StepStatus = status === "ok" && c.cached ? "cached" : status;
    if (!(c.from && status === "ok")) this.count++;
    if (final === "cached") this.cachedCount++;
    this.ctx.bus.emit({
      kind: "step-finished",
      build: this.build,
      step: c.step,
      status: final,
      durationMs: this.ctx.bus.elapsed() - c.started,
      ...(e !== undefined && status !== "ok"
        ? {
            failure: {
              phase: "builder",
              step: c.step.name,
              message: errorMessage(e),
              causes: causeMessages(e),
              cancelled: status === "cancelled",
            },
          }
        : {}),
    });
    return c.step.name;
  }

  reset(): void {
    this.current = undefined;
    this.count = 0;
    this.cachedCount = 0;
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
