// What a step reads, declared by each component: the one place the cache key and `kiln plan`
// learn a step's inputs from (see run/step-inputs.ts, which renders and digests them).

/** A local path a step reads, as the template names it. */
export interface LocalInput {
  /** What it is to the step: `script`, `source`, `playbook`, `roles_path`… */
  role: string;
  /** As written in the template (relative paths resolve from the build's working directory). */
  path: string;
  /** Whether a missing path is an error for the step (else it digests as "missing"). */
  required?: boolean;
}

/** Why a step cannot be served from the cache: it runs every time. */
export type NotCacheable =
  | { reason: "host"; detail: string } // acts on the host (shell-local, breakpoint)
  | { reason: "download"; detail: string } // writes on the host
  | { reason: "marked"; detail: string }; // marked not cacheable by the user

export interface DeclaredInputs {
  files: LocalInput[];
  /** Options that cannot change the result (pauses, retry windows): left out of the key. */
  volatileKeys?: readonly string[];
  /** Host tools whose version shapes the result (e.g. `ansible-playbook`). */
  tools?: string[];
  /** Set when the step must run every time. */
  notCacheable?: NotCacheable;
  /**
   * Whether the step changes the container's filesystem. A step that does not (a download, a
   * host-side step) leaves the image chain as it was: the steps after it keep their keys.
   */
  changesContainer: boolean;
}

/** Declares a component's inputs from its validated config (no I/O). */
export type InputsOf = (config: Record<string, unknown>) => DeclaredInputs;

export interface FileDigest {
  role: string;
  path: string;
  kind: "file" | "dir" | "symlink" | "missing";
  /** sha256 hex of the canonical content document (content, modes, walk order; no times, no host owners). */
  digest: string;
  /** Number of entries digested (1 for a file). */
  entries: number;
}

/** A provisioner step's inputs, rendered and digested: what the cache key hashes. */
export interface StepInputs {
  type: string;
  /** The fully rendered configuration (after variables and build data). */
  config: Record<string, unknown>;
  files: FileDigest[];
  /** Versions of host tools: `{ "ansible-playbook": "2.14.18" }`. */
  tools: Record<string, string>;
  notCacheable?: NotCacheable;
  changesContainer: boolean;
}
