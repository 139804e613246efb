// Fakes for the registry unit tests: a recording Ui, a post-processor context, and an engine whose
// pushImage follows a script. Integration tests use the real engine and real registries instead.
import { EngineError } from "../../src/engine/errors.js";
import type { Engine, ProgressEvent, RegistryAuth, StreamOptions } from "../../src/engine/types.js";
import { initialBuildData } from "../../src/core/build-data.js";
import type { PostProcessorContext } from "../../src/core/component.js";
import type { BuildUi } from "../../src/ui/ui.js";

export interface UiLine {
  kind: "say" | "message" | "error";
  text: string;
}

export class RecordingUi implements BuildUi {
  constructor(
    readonly lines: UiLine[] = [],
    private readonly mask: (s: string) => string = (s) => s,
  ) {}
  say(msg: string): void {
    this.lines.push({ kind: "say", text: this.mask(msg) });
  }
  message(msg: string): void {
    this.lines.push({ kind: "message", text: this.mask(msg) });
  }
  error(msg: string): void {
    this.lines.push({ kind: "error", text: this.mask(msg) });
  }
  child(): BuildUi {
    return this;
  }
  text(): string {
    return this.lines.map((l) => l.text).join("\n");
  }
}

export interface PushCall {
  name: string;
  tag: string;
  auth: RegistryAuth | undefined;
}

/** Each call takes the next step: events to stream, then either a digest or an error. */
export type PushStep =
  { events?: ProgressEvent[]; digest: string } | { events?: ProgressEvent[]; error: Error };

export function digestOf(n: number): string {
  return `sha256:${n.toString(16).padStart(64, "0")}`;
}

export function pushEvents(repo: string, tag: string, digest: string): ProgressEvent[] {
  return [
    { status: `The push refers to repository [${repo}]` },
    { status: "Preparing", id: "a8d2ba7dd751", progressDetail: {} },
    {
      status: "Pushing",
      id: "a8d2ba7dd751",
      progress: "[=>   ] 1kB/2kB",
      progressDetail: { current: 1024, total: 2048 },
    },
    {
      status: "Pushing",
      id: "a8d2ba7dd751",
      progress: "[=====] 2kB/2kB",
      progressDetail: { current: 2048, total: 2048 },
    },
    { status: "Pushed", id: "a8d2ba7dd751", progressDetail: {} },
    { status: `${tag}: digest: ${digest} size: 528` },
    { progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: 528 } },
  ];
}

export class ScriptedEngine {
  readonly calls: PushCall[] = [];
  readonly endpoint = "fake://engine";
  constructor(private readonly steps: (call: PushCall) => PushStep) {}

  async pushImage(
    name: string,
    tag: string,
    opts: StreamOptions = {},
  ): Promise<{ digest: string; size?: number }> {
    const call = { name, tag, auth: opts.auth };
    this.calls.push(call);
    const step = this.steps(call);
    for (const e of step.events ?? []) opts.onProgress?.(e);
    if ("error" in step) throw step.error;
    return { digest: step.digest, size: 528 };
  }

  asEngine(): Engine {
    return this as unknown as Engine;
  }
}

export function streamError(message: string): EngineError {
  return new EngineError("stream", message);
}

export interface FakeContext {
  ctx: PostProcessorContext;
  ui: RecordingUi;
  secrets: string[];
}

export function fakeContext(engine: Engine, env: NodeJS.ProcessEnv = {}): FakeContext {
  const secrets: string[] = [];
  const mask = (s: string): string => secrets.reduce((acc, x) => acc.split(x).join("<sensitive>"), s);
  const ui = new RecordingUi([], mask);
  const controller = new AbortController();
  const ctx: PostProcessorContext = {
    ui,
    buildName: "docker",
    sourceName: "docker",
    builderType: "docker",
    buildData: initialBuildData(),
    cwd: process.cwd(),
    force: false,
    templateDir: "/nonexistent",
    render: (s) => s,
    signal: controller.signal,
    tempDir: "/nonexistent",
    addSecret: (v) => {
      secrets.push(v);
    },
    hostEnv: env,
    engine,
  };
  return { ctx, ui, secrets };
}

/** A docker-push config with every option at its schema default. */
export function pushConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    login: false,
    login_server: "",
    login_username: "",
    login_password: "",
    ecr_login: false,
    aws_access_key: "",
    aws_secret_key: "",
    aws_token: "",
    aws_profile: "",
    aws_force_use_public_ecr: false,
    platform: "",
    docker_path: "docker",
    ...over,
  };
}
