// Names of build outputs (core/build-outputs.ts): `{{ build \`name\` }}` / `build.name` beyond
// Packer's own build data. Here, because the loaders and validate need them, and stay pure.
import { BUILD_DATA_KEYS } from "./types.js";

/** Provisioner types that see KILN_OUTPUT (the ones that run commands in the container). */
export const OUTPUT_PROVISIONERS: ReadonlySet<string> = new Set(["shell", "ansible", "ansible-local"]);

/** An output name: what a sentinel, a Go template string and an HCL attribute can all carry. */
export const OUTPUT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot be an output name, or undefined when it can. */
export function outputNameProblem(name: string): string | undefined {
  if (!OUTPUT_NAME_RE.test(name)) {
    return `${JSON.stringify(name)} is not a valid output name: use letters, digits and _, not starting with a digit`;
  }
  const builtin = builtinLike(name);
  if (builtin) {
    return `${JSON.stringify(name)} is too close to Packer's build data ${builtin}, which an output cannot replace: choose another name`;
  }
  return undefined;
}

/** Packer's build-data key that `name` equals but for case (a typo, not an output), if any. */
export function builtinLike(name: string): string | undefined {
  return BUILD_DATA_KEYS.find((k) => k.toLowerCase() === name.toLowerCase());
}

/** Whether a template may use `name` as an output: valid, and no case variant of Packer's keys. */
export function usableOutputName(name: string): boolean {
  return OUTPUT_NAME_RE.test(name) && builtinLike(name) === undefined;
}

/** Whether a build-data key names an output (not one of Packer's own keys). */
export function isOutputName(key: string): boolean {
  return !(BUILD_DATA_KEYS as readonly string[]).includes(key);
}

/** Output keys referenced by sentinels in `value` (a component's config). */
export function outputUses(value: unknown, re: RegExp): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === "string") {
      for (const m of v.matchAll(new RegExp(re.source, "g"))) if (isOutputName(m[1]!)) found.add(m[1]!);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(value);
  return [...found];
}
