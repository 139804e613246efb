// The builder's own flags in `extra_args` (and `--builder-args`): what `packer build` and
// `docker build` took in the original. kiln understands the ones that change what is built; every
// other flag is an error of the chain at the entry's position, never silently dropped.
import type { Diagnostic, SourcePos } from "../template/diagnostic.js";
import { suggest } from "../template/suggest.js";
import type { Word } from "./shell-words.js";

export interface PackerArgs {
  vars: [string, string][];
  varFiles: string[];
  only: string[];
  except: string[];
}

export interface DockerBuildArgs {
  buildArgs: { name: string; value: string; offset: number }[];
  target?: string;
  labels: Record<string, string>;
  network?: string;
  noCache?: boolean;
  pull?: boolean;
  squash?: boolean;
  tags: string[];
  platform?: string;
}

/** Where a word is, for diagnostics: the caller maps an offset in the string to a position. */
export type PositionOf = (offset: number) => SourcePos | undefined;

const PACKER_VALUE_FLAGS = ["var", "var-file", "only", "except"];
const PACKER_CHAIN_WIDE = [
  "color",
  "debug",
  "machine-readable",
  "on-error",
  "parallel-builds",
  "parallel",
  "timestamp-ui",
];

export function parsePackerArgs(words: Word[], at: PositionOf, diags: Diagnostic[]): PackerArgs {
  const out: PackerArgs = { vars: [], varFiles: [], only: [], except: [] };
  const flags = [...PACKER_VALUE_FLAGS, "force", ...PACKER_CHAIN_WIDE];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const m = /^--?([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(word.value);
    if (!m) {
      diags.push({
        severity: "error",
        pos: at(word.offset),
        summary: `extra_args: unexpected ${JSON.stringify(word.value)}`,
        detail:
          "a Packer entry's extra_args holds packer build flags (-var k=v, -var-file f, -only a, -except b); the template is the entry's file",
      });
      continue;
    }
    const name = m[1]!;
    let value = m[2];
    if (name === "force") continue; // kiln build accepts it too: the docker builder has nothing to force
    if (PACKER_CHAIN_WIDE.includes(name)) {
      diags.push({
        severity: "error",
        pos: at(word.offset),
        summary: `extra_args: -${name} applies to the whole chain, not to one entry`,
        detail: `give it to kiln chain itself (kiln chain -${name}…), or remove it from extra_args`,
      });
      if (value === undefined && !["color", "debug", "machine-readable", "timestamp-ui"].includes(name)) i++;
      continue;
    }
    if (!PACKER_VALUE_FLAGS.includes(name)) {
      diags.push({
        severity: "error",
        pos: at(word.offset),
        summary: `extra_args: packer build flag -${name} is not supported by kiln`,
        detail: "kiln chain passes -var, -var-file, -only, -except (and accepts -force) to a Packer entry",
        ...withSuggestions(suggest(name, flags).map((s) => `-${s}`)),
      });
      // Its value, if it took one: not an error of its own.
      if (value === undefined && words[i + 1] && !words[i + 1]!.value.startsWith("-")) i++;
      continue;
    }
    if (value === undefined) {
      const next = words[i + 1];
      if (!next) {
        diags.push({
          severity: "error",
          pos: at(word.offset),
          summary: `extra_args: -${name} needs a value`,
        });
        continue;
      }
      value = next.value;
      i++;
    }
    switch (name) {
      case "var": {
        const eq = value.indexOf("=");
        if (eq <= 0) {
          diags.push({
            severity: "error",
            pos: at(word.offset),
            summary: `extra_args: -var ${JSON.stringify(value)}: expected name=value`,
            detail: "e.g. -var version=1.0",
          });
        } else out.vars.push([value.slice(0, eq), value.slice(eq + 1)]);
        break;
      }
      case "var-file":
        out.varFiles.push(value);
        break;
      case "only":
        out.only.push(...splitCommas(value));
        break;
      case "except":
        out.except.push(...splitCommas(value));
        break;
    }
  }
  return out;
}

const DOCKER_VALUE_FLAGS = ["build-arg", "target", "label", "network", "tag", "t", "platform"];
const DOCKER_BOOL_FLAGS = ["no-cache", "pull", "squash"];
/** docker build flags kiln does not pass (yet): named, so the error says so instead of "unknown". */
const DOCKER_UNSUPPORTED = [
  "add-host",
  "cache-from",
  "cgroup-parent",
  "compress",
  "cpu-period",
  "cpu-quota",
  "cpu-shares",
  "cpuset-cpus",
  "cpuset-mems",
  "disable-content-trust",
  "file",
  "f",
  "force-rm",
  "iidfile",
  "isolation",
  "memory",
  "memory-swap",
  "output",
  "progress",
  "quiet",
  "q",
  "rm",
  "secret",
  "security-opt",
  "shm-size",
  "ssh",
  "ulimit",
  "m",
];

export function parseDockerArgs(
  words: Word[],
  at: PositionOf,
  env: Readonly<Record<string, string | undefined>>,
  diags: Diagnostic[],
): DockerBuildArgs {
  const out: DockerBuildArgs = { buildArgs: [], labels: {}, tags: [] };
  const known = [...DOCKER_VALUE_FLAGS, ...DOCKER_BOOL_FLAGS];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const m = /^(--([a-z][a-z0-9-]*)|-([a-zA-Z]))(?:=(.*))?$/s.exec(word.value);
    if (!m) {
      diags.push({
        severity: "error",
        pos: at(word.offset),
        summary: `extra_args: unexpected ${JSON.stringify(word.value)}`,
        detail:
          "a Dockerfile entry's extra_args holds docker build flags (--build-arg K=V, --target T, --label K=V, --network N, --no-cache, --pull, --squash, -t TAG); the context is the entry's working_dir",
      });
      continue;
    }
    const name = m[2] ?? m[3]!;
    const dash = m[2] ? "--" : "-";
    let value = m[4];
    if (DOCKER_BOOL_FLAGS.includes(name)) {
      if (value !== undefined && !/^(true|false)$/.test(value)) {
        diags.push({
          severity: "error",
          pos: at(word.offset),
          summary: `extra_args: ${dash}${name}=${value}: expected true or false`,
        });
        continue;
      }
      const on = value !== "false";
      if (name === "no-cache") out.noCache = on;
      else if (name === "pull") out.pull = on;
      else out.squash = on;
      continue;
    }
    if (!DOCKER_VALUE_FLAGS.includes(name)) {
      const unsupported = DOCKER_UNSUPPORTED.includes(name);
      diags.push({
        severity: "error",
        pos: at(word.offset),
        summary: unsupported
          ? `extra_args: docker build flag ${dash}${name} is not supported by kiln chain`
          : `extra_args: unknown docker build flag ${dash}${name}`,
        detail:
          name === "file" || name === "f"
            ? "the Dockerfile is the entry's file (or dockerfile); remove -f from extra_args"
            : "kiln chain passes --build-arg, --target, --label, --network, --platform, -t/--tag, --no-cache, --pull and --squash to a Dockerfile entry",
        ...(unsupported
          ? {}
          : withSuggestions(
              suggest(name, [...known, ...DOCKER_UNSUPPORTED]).map((s) =>
                s.length === 1 ? `-${s}` : `--${s}`,
              ),
            )),
      });
      // Its value, if it took one: not an error of its own.
      if (value === undefined && words[i + 1] && !words[i + 1]!.value.startsWith("-")) i++;
      continue;
    }
    if (value === undefined) {
      const next = words[i + 1];
      if (!next) {
        diags.push({
          severity: "error",
          pos: at(word.offset),
          summary: `extra_args: ${dash}${name} needs a value`,
        });
        continue;
      }
      value = next.value;
      i++;
    }
    switch (name) {
      case "build-arg": {
        const eq = value.indexOf("=");
        // docker: `--build-arg NAME` takes the value from the environment, and is dropped if unset.
        if (eq === -1) {
          const fromEnv = env[value];
          if (fromEnv !== undefined) out.buildArgs.push({ name: value, value: fromEnv, offset: word.offset });
        } else if (eq === 0) {
          diags.push({
            severity: "error",
            pos: at(word.offset),
            summary: `extra_args: --build-arg ${JSON.stringify(value)}: expected NAME=value`,
          });
        } else
          out.buildArgs.push({ name: value.slice(0, eq), value: value.slice(eq + 1), offset: word.offset });
        break;
      }
      case "label": {
        const eq = value.indexOf("=");
        if (eq === -1) out.labels[value] = "";
        else out.labels[value.slice(0, eq)] = value.slice(eq + 1);
        break;
      }
      case "target":
        out.target = value;
        break;
      case "network":
        out.network = value;
        break;
      case "platform":
        out.platform = value;
        break;
      default:
        out.tags.push(value);
    }
  }
  return out;
}

function splitCommas(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function withSuggestions(suggestions: string[]): { suggestions?: string[] } {
  return suggestions.length > 0 ? { suggestions } : {};
}
