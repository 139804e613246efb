// Documented differences (docs/compat.md) that apply to many templates, recognised by code rather
// than listed in every sidecar. Each rule checks BOTH sides: Packer 1.6.6 must show its documented
// behaviour and kiln its own; anything else is a difference.
import type { ParityTemplate } from "./templates.js";
import { builders } from "./templates.js";
import type { Rule } from "./properties.js";

export const COMPAT_ENTRYPOINT =
  'compat.md, docker builder: "The committed image gets Entrypoint ["/bin/sh"] from run_command and loses the base image\'s Cmd"';
export const COMPAT_STUB =
  'compat.md, docker builder: "An empty /packer-files (container_dir) mount-point directory is left in the image"';

/** The `--entrypoint` a run_command gives the build container (Packer's default: /bin/sh). */
export function runCommandEntrypoint(runCommand: unknown): string | undefined {
  if (!Array.isArray(runCommand)) return "/bin/sh";
  const args = runCommand.map(String);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") break;
    if (a.startsWith("--entrypoint=")) return a.slice("--entrypoint=".length);
    if (a === "--entrypoint") return args[i + 1];
  }
  return undefined;
}

export interface BaseConfig {
  Cmd: unknown;
  Entrypoint: unknown;
}

/**
 * Packer 1.6.6 commits the build container's `--entrypoint` as the image's Entrypoint and drops
 * Cmd; kiln keeps the base image's (unless `changes` sets them, in which case both agree). Both
 * sides are exact when the template's builders agree on their base image and run_command.
 */
export function entrypointRule(t: ParityTemplate, bases: Map<string, BaseConfig>): Rule {
  const packerEntrypoints = new Set<string>();
  const kilnCmds = new Set<string>();
  const kilnEntrypoints = new Set<string>();
  const variables = (t.template.variables ?? {}) as Record<string, unknown>;
  for (const b of builders(t)) {
    // `{{user \`base\`}}` in the image: the variable's default (no template sets it otherwise).
    const image = String(b.image).replace(/\{\{\s*user\s+`([^`]+)`\s*\}\}/g, (_, name: string) =>
      String((variables[name] as string | undefined) ?? ""),
    );
    const base = bases.get(image);
    // An image the suite does not know: any base's values, so the check is only in part.
    const candidates = base === undefined ? [...bases.values()] : [base];
    const ep = runCommandEntrypoint(b.run_command);
    for (const c of candidates) {
      packerEntrypoints.add(ep === undefined ? JSON.stringify(c.Entrypoint ?? null) : JSON.stringify([ep]));
      kilnCmds.add(JSON.stringify(c.Cmd ?? null));
      kilnEntrypoints.add(JSON.stringify(c.Entrypoint ?? null));
    }
  }
  return {
    compat: COMPAT_ENTRYPOINT,
    accepts(key, left, right) {
      const m = /(?:^image#\d+|\.tar\])\.config\.(Cmd|Entrypoint)$/.exec(key);
      if (m === null || left === undefined || right === undefined) return false;
      if (m[1] === "Entrypoint") {
        if (!packerEntrypoints.has(left) || !kilnEntrypoints.has(right)) return false;
        return packerEntrypoints.size === 1 && kilnEntrypoints.size === 1 ? "full" : "part";
      }
      if (left !== "null" || !kilnCmds.has(right)) return false;
      return kilnCmds.size === 1 ? "full" : "part";
    },
  };
}

/** Packer leaves the empty mount point of its temp dir (`container_dir`) in committed images and exports. */
export function stubRule(t: ParityTemplate): Rule {
  const dirs = new Set<string>(["/packer-files"]);
  for (const b of builders(t)) if (typeof b.container_dir === "string") dirs.add(b.container_dir);
  return {
    compat: COMPAT_STUB,
    accepts(key, left, right) {
      const m = /\.fs\[(.*)\]$/.exec(key);
      if (m === null || !dirs.has(m[1]!)) return false;
      return left === JSON.stringify("dir 0755 0:0") && right === undefined ? "full" : false;
    },
  };
}

export const COMPAT_EXIT_TEXT =
  'compat.md, shell provisioner: "Error text …status: 3.Allowed exit codes are: [0] (no space)"';

/** Packer's "…status: 3.Allowed exit codes…" typo, which kiln writes with a space. */
export function exitTextRule(): Rule {
  return {
    compat: COMPAT_EXIT_TEXT,
    accepts(key, left, right) {
      if (!/\.error$/.test(key) || left === undefined || right === undefined) return false;
      // kiln's text is derived exactly from Packer's.
      return left.replace(/status: (\d+)\.Allowed exit codes/g, "status: $1. Allowed exit codes") === right
        ? "full"
        : false;
    },
  };
}
