// Runs a template through the real runner, builder steps and components against the fake
// engine, collecting the run events and the human output, for unit tests.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { defaultRegistry } from "../../src/components/registry.js";
import type { CleanupStack } from "../../src/core/cleanup-stack.js";
import { EventBus, type RunEvent } from "../../src/core/events.js";
import { currentIdentity } from "../../src/core/ownership.js";
import { runBuilds } from "../../src/run/run-builds.js";
import type { BuildOutcome } from "../../src/run/run-build.js";
import type { OnError, RunEnv } from "../../src/run/run-env.js";
import { loadTemplate } from "../../src/template/load.js";
import type { Template } from "../../src/template/types.js";
import { createHumanUi } from "../../src/ui/human-ui.js";
import { renderEvents } from "../../src/ui/render-events.js";
import type { FakeEngine } from "./fake-engine.js";

export interface FakeRun {
  outcomes: BuildOutcome[];
  events: RunEvent[];
  output: string;
  dir: string;
}

export interface FakeRunOptions {
  onError?: OnError;
  signal?: AbortSignal;
  /** Files to write into the run's working directory first. */
  files?: Record<string, string>;
  /** Called with the run's working directory before the run. */
  prepare?: (dir: string) => void;
  /** Run in this directory (to build the same template again); a fresh temp dir otherwise. */
  dir?: string;
  /** The per-step cache (its state directory); none: -no-cache. */
  cache?: { stateDir: string; maxAgeMs?: number; noCacheSteps?: string[]; secrets?: string[] };
  /** The template as HCL2 source (written as template.pkr.hcl); `template` is then ignored. */
  hcl?: string;
}

export async function loadInline(template: object, dir: string): Promise<Template> {
  const file = path.join(dir, "template.json");
  writeFileSync(file, JSON.stringify(template));
  return loadTemplate(file, { vars: [], varFiles: [], env: {}, cwd: dir, startTime: new Date() });
}

async function loadHcl(source: string, dir: string): Promise<Template> {
  const file = path.join(dir, "template.pkr.hcl");
  writeFileSync(file, source);
  return loadTemplate(file, { vars: [], varFiles: [], env: {}, cwd: dir, startTime: new Date() });
}

/** The run's working directory is a fresh temp dir (never process.cwd()). */
export async function runFake(
  engine: FakeEngine,
  template: object,
  opts: FakeRunOptions = {},
): Promise<FakeRun> {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), "kiln-fake-run-"));
  for (const [name, content] of Object.entries(opts.files ?? {}))
    writeFileSync(path.join(dir, name), content);
  opts.prepare?.(dir);
  const loaded = opts.hcl === undefined ? await loadInline(template, dir) : await loadHcl(opts.hcl, dir);
  const out = new PassThrough();
  let output = "";
  out.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const ui = createHumanUi({ out, color: false, timestamps: false, interactive: false });
  const bus = new EventBus();
  const events: RunEvent[] = [];
  bus.subscribe((e) => events.push(e));
  bus.subscribe(renderEvents(ui));
  const env: RunEnv = {
    engineFor: () => engine,
    ui,
    events: bus,
    registry: defaultRegistry(),
    identity: currentIdentity("0123456789abcdef0123456789abcdef"),
    signal: opts.signal ?? new AbortController().signal,
    onError: opts.onError ?? "cleanup",
    cwd: dir,
    hostEnv: { HOME: dir, PATH: process.env.PATH },
    force: false,
    activeCleanups: new Set<CleanupStack>(),
    ...(opts.cache
      ? {
          cacheOptions: {
            settings: { maxAgeMs: opts.cache.maxAgeMs ?? 0, stateDir: opts.cache.stateDir, from: [] },
            registries: { auth: async () => undefined },
            noCacheSteps: opts.cache.noCacheSteps ?? [],
            secrets: () => opts.cache?.secrets ?? [],
            template: path.join(dir, "template.json"),
          },
        }
      : {}),
  };
  const outcomes = await runBuilds(loaded.builds, loaded, env, 0);
  return { outcomes, events, output, dir };
}

/** `kind:name` of each step event, in order (`started:pull`, `ok:pull`…). */
export function stepTrail(events: RunEvent[]): string[] {
  return events.flatMap((e) =>
    e.kind === "step-started"
      ? [`started:${e.step.name}`]
      : e.kind === "step-finished"
        ? [`${e.status}:${e.step.name}`]
        : [],
  );
}
