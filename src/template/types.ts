// The typed Template every loader (JSON, HCL2) produces and everything after loading consumes.
import type { Diagnostic, SourcePos } from "./diagnostic.js";
import type { DockerBuilderConfig } from "../builders/docker/schema.js";

export interface VariableDecl {
  name: string;
  /** Final value after defaults, var-files, env and -var; undefined only while loading. */
  value: unknown;
  required: boolean;
  sensitive: boolean;
  description?: string;
  pos?: SourcePos;
}

/** A configured provisioner. `config` was validated against the component's schema. */
export interface ProvisionerDef {
  type: string;
  /** HCL `name` label/attribute, when given. */
  name?: string;
  config: Record<string, unknown>;
  pauseBeforeMs: number;
  maxRetries: number;
  timeoutMs: number; // 0 = none
  pos?: SourcePos;
}

export interface PostProcessorDef {
  type: string;
  /** Packer: `name`, defaulting to the type (JSON); HCL: the block's label or name. */
  name: string;
  /** Whether the name was explicitly given (Packer prints `name (type x)` then). */
  named: boolean;
  config: Record<string, unknown>;
  /** undefined = the post-processor's own default */
  keepInputArtifact?: boolean;
  pos?: SourcePos;
}

export interface BuildDef {
  /** The UI prefix and -only/-except name: JSON builder name; HCL `build.type.source` or `type.source`. */
  name: string;
  /** PACKER_BUILD_NAME: JSON builder name, HCL source name. */
  sourceName: string;
  type: "docker";
  builder: DockerBuilderConfig;
  provisioners: ProvisionerDef[];
  errorCleanupProvisioner?: ProvisionerDef;
  /** Each inner list is one sequence; each sequence starts from the builder artifact. */
  postProcessors: PostProcessorDef[][];
  /** Post-processors of Packer types kiln does not implement, each cut from its sequence here. */
  unsupportedPostProcessors?: UnsupportedPostProcessor[];
  pos?: SourcePos;
}

/**
 * A post-processor of a Packer type kiln does not implement. Packer prepares only what runs, and
 * `-except=NAME` (an unnamed post-processor's name is its type) drops it with the rest of its
 * sequence: so it is an error only when the build runs it, and a warning when -except leaves it
 * out (plan/select-builds.ts). Its sequence ends before it either way.
 */
export interface UnsupportedPostProcessor {
  name: string;
  type: string;
  /** Names of the post-processors before it in its sequence: -except naming one of them cuts it too. */
  after: string[];
  /** The positioned "not supported" error. */
  diagnostic: Diagnostic;
}

/**
 * A builder kiln cannot run (a Packer builder it does not implement, or, in JSON, an unknown type).
 * Packer only fails for builds it runs, so this is an error only when -only/-except select it
 * (plan/select-builds.ts) and a warning otherwise.
 */
export interface UnsupportedBuild {
  /** The build name -only/-except match (JSON: the rendered builder name; HCL: `type.source`…). */
  name: string;
  type: string;
  /** The positioned "not supported" / "unknown type" error, reported when the build is selected. */
  diagnostic: Diagnostic;
}

export interface Template {
  format: "json" | "hcl";
  /** The file (or directory, for HCL) it was loaded from. */
  path: string;
  /** Absolute directory of the template: template_dir / path.root. */
  dir: string;
  description?: string;
  variables: VariableDecl[];
  builds: BuildDef[];
  /** Builds of builders kiln cannot run; see UnsupportedBuild. */
  unsupportedBuilds: UnsupportedBuild[];
  /** Resolved values of sensitive variables, masked in every output. */
  sensitiveValues: string[];
  /** Non-fatal problems (deprecations, accepted-but-ignored options). */
  warnings: Diagnostic[];
  /** Renders late fields with the template's variables and functions plus per-call data. */
  renderLate: LateRenderer;
}

/** Inputs a loader needs besides the file. */
export interface LoadOptions {
  vars: [string, string][]; // -var, in order
  varFiles: string[]; // -var-file, in order
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Fixed for the run: timestamp, isotime and strftime are constant within a run, as in Packer (uuid is new at each call, as in Packer; its first 8 hex digits are these seconds). */
  startTime: Date;
  /** validate -syntax-only */
  syntaxOnly?: boolean;
  /** inspect: unset required variables are listed, not errors (their uses are left unresolved). */
  allowUnsetRequired?: boolean;
  /**
   * Called with each sensitive value (and each value given for a sensitive variable, even one
   * that turns out invalid) as soon as the loader knows it, before it can report anything: the
   * caller masks these in every diagnostic, including those of a template that fails to load.
   */
  onSecret?: (value: string) => void;
}

/**
 * Build-generated data (Packer's `{{ build \`ID\` }}` / HCL `build.ID`) is unknown at load time.
 * Loaders render it as this sentinel; the runner substitutes real values just before a
 * provisioner or post-processor runs (see run/build-data.ts).
 */
export function buildDataSentinel(key: string): string {
  return `\u0001kiln-build:${key}\u0001`;
}
/** Keys of Packer's build-generated data (`{{ build \`X\` }}`, HCL `build.X`), reference §a.6. */
export const BUILD_DATA_KEYS = [
  "ID",
  "ConnType",
  "Host",
  "Port",
  "User",
  "Password",
  "PackerRunUUID",
  "PackerHTTPAddr",
  "PackerHTTPIP",
  "PackerHTTPPort",
  "SSHPublicKey",
  "SSHPrivateKey",
  "WinRMPassword",
  "ImageSha256",
  "SourceImageSha256",
  "SourceImageDigest",
] as const;

// The sentinel is delimited by \u0001, which no template text contains.
// eslint-disable-next-line no-control-regex
export const BUILD_DATA_SENTINEL_RE = /\u0001kiln-build:([A-Za-z0-9_]+)\u0001/g;

/** Renders late fields (run_command, execute_command…) at run time; provided by the loader. */
export type LateRenderer = (
  text: string,
  build: { name: string; type: string },
  data: Record<string, string>,
) => string;
