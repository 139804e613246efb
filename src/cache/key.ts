// Cache keys: the sha256 of a canonical document (never joined strings: equal documents, equal
// keys; different documents cannot collide by concatenation). A step's document chains on the key
// of the step before it and on the image it starts from (as moby and buildah chain on the parent
// image), so a step that re-ran gives fresh keys to every step after it.
import type { StepInputs } from "../core/step-inputs.js";
import { canonicalJson, sha256Hex } from "./digest.js";

export const KEY_VERSION = 1;

/** What a step's key hashes; stored (locally) with the entry so `kiln plan` can say what changed. */
export interface KeyDocument {
  v: typeof KEY_VERSION;
  /** The previous step's key (none for the first step) and the image this step starts from. */
  parent: { key?: string; image: string };
  /** The first step only: digest of the builder's container settings (run_command, volumes…). */
  settings?: string;
  /**
   * What every provisioner sees of the build besides its config (PACKER_BUILD_NAME and
   * PACKER_BUILDER_TYPE, ansible's packer_build_name): two builds never share a step.
   */
  build: { name: string; type: string };
  type: string;
  /** Each configuration option's value digest (sensitive values replaced before digesting). */
  config: Record<string, string>;
  files: { role: string; path: string; kind: string; digest: string }[];
  tools: Record<string, string>;
}

/**
 * Sensitive values never take part in a key, nor in anything stored beside it (a digest of a short
 * secret can be guessed): like BuildKit's secret mounts, changing a secret does not re-run a step.
 */
export function redact(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") {
    let out = value;
    for (const s of secrets) if (s) out = out.split(s).join("<sensitive>");
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, secrets)]));
  }
  return value;
}

export function keyDocument(args: {
  parentKey?: string;
  parentImage: string;
  settings?: Readonly<Record<string, unknown>>;
  build: { name: string; type: string };
  inputs: StepInputs;
  secrets: readonly string[];
}): KeyDocument {
  const { inputs } = args;
  return {
    v: KEY_VERSION,
    parent: { ...(args.parentKey ? { key: args.parentKey } : {}), image: args.parentImage },
    ...(args.settings ? { settings: sha256Hex(canonicalJson(redact(args.settings, args.secrets))) } : {}),
    build: args.build,
    type: inputs.type,
    config: Object.fromEntries(
      Object.entries(inputs.config).map(([k, v]) => [k, sha256Hex(canonicalJson(redact(v, args.secrets)))]),
    ),
    files: inputs.files.map((f) => ({ role: f.role, path: f.path, kind: f.kind, digest: f.digest })),
    tools: inputs.tools,
  };
}

export function cacheKey(doc: KeyDocument): string {
  return sha256Hex(canonicalJson(doc));
}

/** The first 12 hex digits, as the output shows a key. */
export function shortKey(key: string): string {
  return key.slice(0, 12);
}
