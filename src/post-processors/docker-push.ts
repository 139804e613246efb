// docker-push: pushes every reference the input image carries, once each, with credentials from
// the template (login_*, ecr_login) for its server and Docker's own chain for everything else.
// Credentials travel per request in the Engine API's auth header; nothing is written to disk.
import { classifyRegistryFailure } from "../auth/classify.js";
import {
  explainRegistryFailure,
  loginMismatch,
  mismatchWarning,
  type TemplateLoginSetting,
} from "../auth/explain.js";
import { describeSource, resolveAuth, type ResolveOptions, type ResolvedAuth } from "../auth/resolve.js";
import { pushResultFromEvent } from "../engine/progress.js";
import { PushedBytes } from "../core/pushed-bytes.js";
import { TransferTally } from "../core/transfer-tally.js";
import { ImageReference, isImageId } from "../engine/reference.js";
import type { ProgressEvent } from "../engine/types.js";
import type { Artifact } from "../core/artifact.js";
import { IMAGE_ARTIFACT_IDS } from "../core/artifact.js";
import type { PostProcessor, PostProcessorContext, PostProcessorResult } from "../core/component.js";
import { BuildError } from "../core/errors.js";
import { formatDelay, RetryFailure, withRetry, type RetrySchedule, type Sleep } from "./push-retry.js";
import type { DockerPushConfig } from "./schemas.js";

export interface DockerPushOptions {
  /** Default: 5 attempts, 1s→2s→4s→8s. */
  retry?: RetrySchedule;
  sleep?: Sleep;
  now?: () => number;
  helperTimeoutMs?: number;
  loadEcrSdk?: ResolveOptions["loadEcrSdk"];
}

/** A push that failed for good; the message is the one-line cause shown to the user. */
export class PushError extends BuildError {
  constructor(
    message: string,
    readonly ref: string,
    readonly registry: string,
    readonly category: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The references docker-push pushes, in order, each once: the artifact's tags, with its id first
 * when that is a reference the tags lack (Packer pushes `[id] + tags`, so the last tag twice).
 */
export function refsToPush(input: Artifact): string[] {
  if (input.kind !== "image") return [];
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (r: string): void => {
    const key = canonical(r);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(r);
  };
  if (
    input.id &&
    !isImageId(input.id) &&
    !input.id.startsWith("sha256:") &&
    !input.tags.some((t) => canonical(t) === canonical(input.id))
  ) {
    add(input.id);
  }
  for (const t of input.tags) add(t);
  return out;
}

function canonical(ref: string): string {
  const parsed = ImageReference.tryParse(ref);
  return parsed ? `${parsed.name}:${parsed.tagOrLatest}` : ref;
}

export class DockerPush implements PostProcessor {
  constructor(
    private readonly c: DockerPushConfig,
    private readonly o: DockerPushOptions = {},
  ) {}

  async process(ctx: PostProcessorContext, input: Artifact): Promise<PostProcessorResult> {
    // Before anything can print them.
    for (const s of [this.c.login_password, this.c.aws_secret_key, this.c.aws_token, this.c.aws_access_key]) {
      if (s) ctx.addSecret(s);
    }
    if (input.kind !== "image" || !IMAGE_ARTIFACT_IDS.includes(input.builderId)) {
      throw new BuildError(
        `Unknown artifact type: ${input.builderId}\nCan only import from docker-import and docker-tag artifacts. ` +
          `docker-push pushes the references a docker-tag (or docker-import) earlier in the same post-processor sequence created; ` +
          `each sequence starts again from the builder's artifact, so a docker-push in a sequence of its own has nothing to push (Packer issues #4017, #5526). ` +
          `Put the docker-push in the same sequence, after the docker-tag (\`kiln validate\` shows the corrected template).`,
      );
    }
    const refs = refsToPush(input);
    if (refs.length === 0) {
      throw new BuildError(
        `nothing to push: the image ${input.id} carries no repository:tag. Put a docker-tag before the docker-push in the same post-processor sequence (Packer would run \`docker push ${input.id}\` and fail with "An image does not exist locally with the tag: sha256").`,
      );
    }
    if (this.c.ecr_login && this.c.aws_force_use_public_ecr) {
      throw new BuildError(
        "aws_force_use_public_ecr (Amazon ECR Public) is not supported by kiln yet; log in with login_username/login_password instead",
      );
    }
    const parsed = refs.map((r) => {
      try {
        const ref = ImageReference.parse(r);
        if (ref.digest !== undefined)
          throw new BuildError(
            `cannot push ${r}: a reference with a digest names content, not a tag to push`,
          );
        return { text: r, ref };
      } catch (error) {
        if (error instanceof BuildError) throw error;
        throw new BuildError(`cannot push ${r}: ${(error as Error).message}`, { cause: error });
      }
    });

    const login = this.loginSetting();
    const warned = new Set<string>();
    for (const { text, ref } of parsed) {
      if (login && loginMismatch(login, ref.registry) !== undefined && !warned.has(ref.registry)) {
        warned.add(ref.registry);
        ctx.ui.say(mismatchWarning(login, text, ref.registry, ref.path, ctx.templateFormat));
      }
    }

    const auths = new Map<string, Promise<ResolvedAuth>>();
    const pushed: { ref: string; digest: string; bytes?: number }[] = [];
    for (const { text, ref } of parsed) {
      let authP = auths.get(ref.registry);
      if (!authP) {
        authP = this.resolve(ctx, ref.registry);
        auths.set(ref.registry, authP);
      }
      const resolved = await authP;
      const { digest, bytes } = await this.pushOne(ctx, text, ref, resolved, login);
      pushed.push({ ref: text, digest, ...(bytes !== undefined ? { bytes } : {}) });
    }

    const artifact: Artifact = {
      kind: "image",
      builderId: "packer.post-processor.docker-import",
      imageId: input.imageId,
      id: refs[0] ?? input.id,
      tags: refs,
      pushed,
    };
    // keep_input_artifact = false makes the runner destroy the input, i.e. untag what was pushed.
    return { artifact, keep: true, forceKeep: false };
  }

  private loginSetting(): TemplateLoginSetting | undefined {
    if (this.c.ecr_login) return { option: "ecr_login", server: this.c.login_server };
    if (this.c.login) return { option: "login", server: this.c.login_server };
    return undefined;
  }

  private async resolve(ctx: PostProcessorContext, registry: string): Promise<ResolvedAuth> {
    const opts: ResolveOptions = {
      env: ctx.hostEnv,
      signal: ctx.signal,
      onSecret: (s) => ctx.addSecret(s),
      onWarning: (w) => ctx.ui.say(`Warning: ${w}`),
      ...(this.o.helperTimeoutMs !== undefined ? { helperTimeoutMs: this.o.helperTimeoutMs } : {}),
      ...(this.o.loadEcrSdk ? { loadEcrSdk: this.o.loadEcrSdk } : {}),
    };
    if (this.c.ecr_login && this.c.login_server) {
      opts.ecr = {
        server: this.c.login_server,
        accessKey: this.c.aws_access_key,
        secretKey: this.c.aws_secret_key,
        sessionToken: this.c.aws_token,
        profile: this.c.aws_profile,
      };
    }
    if (this.c.login) {
      if (this.c.login_username || this.c.login_password) {
        opts.templateLogin = {
          server: this.c.login_server,
          username: this.c.login_username,
          password: this.c.login_password,
        };
      } else if (!this.c.ecr_login) {
        ctx.ui.say(
          "Warning: login is true but login_username and login_password are empty; using the Docker credential chain",
        );
      }
    }
    if (opts.ecr && loginMismatch({ option: "ecr_login", server: opts.ecr.server }, registry) === undefined) {
      ctx.ui.message("Fetching ECR credentials...");
    }
    let resolved: ResolvedAuth;
    try {
      resolved = await resolveAuth(registry, opts);
    } catch (error) {
      throw new BuildError(`credentials for ${registry}: ${(error as Error).message}`, { cause: error });
    }
    ctx.ui.message(
      resolved.source === "none"
        ? `No credentials for ${registry}: pushing anonymously`
        : `Using credentials for ${resolved.server} from ${describeSource(resolved)}`,
    );
    return resolved;
  }

  private async pushOne(
    ctx: PostProcessorContext,
    text: string,
    ref: ImageReference,
    resolved: ResolvedAuth,
    login: TemplateLoginSetting | undefined,
  ): Promise<{ digest: string; bytes: number | undefined }> {
    const now = this.o.now ?? Date.now;
    const started = now();
    ctx.ui.message(`Pushing: ${text}`);
    try {
      return await withRetry(
        async () => {
          const printer = new PushProgressPrinter((line) => ctx.ui.message(line));
          const uploaded = new PushedBytes();
          const tally = new TransferTally();
          let streamDigest: string | undefined;
          const result = await ctx.engine.pushImage(ref.familiarName, ref.tagOrLatest, {
            ...(resolved.auth ? { auth: resolved.auth } : {}),
            signal: ctx.signal,
            onProgress: (event) => {
              streamDigest = pushResultFromEvent(event)?.digest ?? streamDigest;
              printer.event(event);
              uploaded.event(event);
              const moved = tally.event(event);
              if (moved) ctx.report?.transfer?.({ step: ctx.step, direction: "push", ref: text, ...moved });
            },
          });
          if (streamDigest !== undefined && streamDigest !== result.digest) {
            throw new BuildError(
              `push of ${text}: the stream confirmed ${streamDigest} but the engine reported ${result.digest}`,
            );
          }
          return { digest: result.digest, bytes: uploaded.bytes };
        },
        {
          ...(this.o.retry ? { schedule: this.o.retry } : {}),
          ...(this.o.sleep ? { sleep: this.o.sleep } : {}),
          signal: ctx.signal,
          classify: classifyRegistryFailure,
          onRetry: (n) => {
            ctx.report?.retry({
              what: `push ${text}`,
              attempt: n.attempt,
              of: n.attempts,
              cause: n.failure.reason,
              delayMs: n.delayMs,
            });
            ctx.ui.message(
              `Push of ${text} failed (attempt ${n.attempt}/${n.attempts}): ${n.failure.reason}; retrying in ${formatDelay(n.delayMs)}`,
            );
          },
        },
      );
    } catch (error) {
      if (!(error instanceof RetryFailure)) throw error;
      if (error.failure.category === "cancelled") throw error.cause;
      const message = explainRegistryFailure({
        action: "push",
        ref: text,
        registry: ref.registry,
        repository: ref.path,
        resolved,
        ...(login ? { login } : {}),
        failure: error.failure,
        attempts: error.attemptsMade,
        exhausted: error.exhausted,
        elapsedMs: now() - started,
        templateFormat: ctx.templateFormat,
      });
      throw new PushError(message, text, ref.registry, error.failure.category, error.attemptsMade, {
        cause: error.cause,
      });
    }
  }
}

/**
 * Push progress as the docker CLI prints it without a terminal: one line per layer state change
 * (`<layer>: Preparing`, `<layer>: Pushed`), byte counters dropped, a daemon retry countdown shown
 * once, repeated lines skipped.
 */
export class PushProgressPrinter {
  private readonly lastById = new Map<string, string>();
  private lastLine: string | undefined;

  constructor(private readonly print: (line: string) => void) {}

  event(e: ProgressEvent): void {
    const status = e.status?.trim();
    if (!status) return;
    if (e.progress || status === "Pushing" || status === "Uploading") return;
    if (e.id) {
      const previous = this.lastById.get(e.id);
      const countdown = /^Retrying in \d+ seconds?$/.test(status);
      if (previous === status || (countdown && previous !== undefined && previous.startsWith("Retrying in")))
        return;
      this.lastById.set(e.id, status);
      this.emit(`${e.id}: ${status}`);
      return;
    }
    this.emit(status);
  }

  private emit(line: string): void {
    if (line === this.lastLine) return;
    this.lastLine = line;
    this.print(line);
  }
}

export function createDockerPush(
  config: Record<string, unknown>,
  options?: DockerPushOptions,
): PostProcessor {
  return new DockerPush(config as unknown as DockerPushConfig, options);
}
