// The per-step cache's flags, shared by `kiln build` (and later `kiln chain` and `kiln plan`):
// -no-cache, -cache-max-age, -cache-from, -cache-to, -no-cache-step.
import { Option, type Command } from "commander";
import { resolve } from "node:path";
import { resolveAuth } from "../auth/resolve.js";
import type { CacheOptions } from "../run/run-env.js";
import { parseDuration } from "../template/duration.js";
import { InvalidInputError } from "../template/diagnostic.js";
import { ImageReference } from "../engine/reference.js";
import { collect } from "./argv.js";

export interface CacheFlags {
  /** false with -no-cache */
  cache: boolean;
  cacheMaxAge: string;
  cacheFrom?: string[];
  cacheTo?: string;
  noCacheStep?: string[];
}

export const DEFAULT_MAX_AGE = "7d";

export function addCacheOptions(cmd: Command): Command {
  return cmd
    .option("--no-cache", "run every step; neither use nor write the per-step cache")
    .option(
      "--cache-max-age <age>",
      "entries older than this are not used (e.g. 12h, 7d; 0: no limit)",
      DEFAULT_MAX_AGE,
    )
    .option("--cache-from <repo>", "also look steps up in this registry repository (repeatable)", collect)
    .option("--cache-to <repo>", "push the build's step images (by key) to this registry repository")
    .addOption(noCacheStepOption());
}

/**
 * A value option whose name starts with `no-`: commander would take it for the negation of a
 * `--cache-step` (default true, stored as `cacheStep`), so that the first value crashed `collect`.
 */
function noCacheStepOption(): Option {
  const option = new Option(
    "--no-cache-step <step>",
    "this step runs every time: N or build:N, 1-based (repeatable)",
  ).argParser(collect);
  option.negate = false;
  return option;
}

/** `7d`, `12h`, `90m`, `0`: milliseconds, or undefined when it is not an age. */
export function parseAge(text: string): number | undefined {
  const days = /^(\d+(?:\.\d+)?)d$/.exec(text.trim());
  if (days) return Number(days[1]) * 86_400_000;
  const ms = parseDuration(text);
  return ms === undefined || ms < 0 ? undefined : ms;
}

function usage(summary: string, detail: string): InvalidInputError {
  return new InvalidInputError([{ severity: "error", summary, detail }]);
}

/** The run's cache options, or undefined with -no-cache. Invalid values are usage errors (exit 2). */
export function cacheOptionsFrom(
  flags: CacheFlags,
  ctx: {
    stateDir: string;
    env: NodeJS.ProcessEnv;
    template: string;
    cwd: string;
    secrets: () => readonly string[];
    addSecret: (v: string) => void;
  },
): CacheOptions | undefined {
  const maxAgeMs = parseAge(flags.cacheMaxAge);
  if (maxAgeMs === undefined) {
    throw usage(
      `-cache-max-age: ${JSON.stringify(flags.cacheMaxAge)} is not an age`,
      "Write it as a number of days, hours, minutes or seconds: 7d, 12h, 90m, 30s; 0 for no limit.",
    );
  }
  const repos = [...(flags.cacheFrom ?? []), ...(flags.cacheTo ? [flags.cacheTo] : [])];
  for (const repo of repos) {
    let ok = true;
    try {
      const ref = ImageReference.parse(repo);
      ok = ref.tag === undefined && ref.digest === undefined;
    } catch {
      ok = false;
    }
    if (!ok) {
      throw usage(
        `-cache-from / -cache-to: ${JSON.stringify(repo)} is not a repository`,
        "Give a registry repository without a tag, e.g. 127.0.0.1:5000/team/app-cache; kiln tags each entry with its key.",
      );
    }
  }
  for (const s of flags.noCacheStep ?? []) {
    if (!/^(?:.+:)?[1-9]\d*$/.test(s)) {
      throw usage(
        `-no-cache-step: ${JSON.stringify(s)} is not a step`,
        "Give the provisioner's number (1 is the first), or build:N for one build, e.g. -no-cache-step=2 or -no-cache-step=docker:2.",
      );
    }
  }
  if (!flags.cache) return undefined;
  return {
    settings: {
      maxAgeMs,
      stateDir: ctx.stateDir,
      from: flags.cacheFrom ?? [],
      ...(flags.cacheTo ? { to: flags.cacheTo } : {}),
    },
    registries: {
      auth: async (host, signal) => {
        const ecr = /\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(host)
          ? { server: host }
          : undefined;
        const resolved = await resolveAuth(host, {
          env: ctx.env,
          signal,
          onSecret: ctx.addSecret,
          ...(ecr ? { ecr } : {}),
        });
        return resolved.auth;
      },
    },
    noCacheSteps: flags.noCacheStep ?? [],
    secrets: ctx.secrets,
    template: resolve(ctx.cwd, ctx.template),
  };
}
