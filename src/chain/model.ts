// The chain as data: nodes (a Packer template or a Dockerfile each), what each produces and
// consumes, and the edges between them with their origin. Readers (IMAGES.json, the native chain
// file) produce `ChainSpec`; the planner turns it into a `ChainGraph`. Nothing here does I/O.
import type { SourcePos } from "../template/diagnostic.js";

/** A Packer template built in process by the runner. */
export interface PackerSource {
  kind: "packer";
  /** Absolute path of the template (file or HCL2 directory). */
  template: string;
  /** `-var`, in order. */
  vars: [string, string][];
  /** `-var-file`, absolute, in order. */
  varFiles: string[];
  /** `-only` / `-except` globs over the template's build names. */
  only: string[];
  except: string[];
}

/** A Dockerfile built by the engine (`POST /build`). */
export interface DockerfileSource {
  kind: "dockerfile";
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context directory. */
  context: string;
  buildArgs: BuildArg[];
  target?: string;
  labels: Record<string, string>;
  network?: string;
  noCache: boolean;
  pull: boolean;
  /** Squash the new layers into one (the original's default; `--no-squash` turns it off). */
  squash: boolean;
  platform?: string;
}

export interface BuildArg {
  name: string;
  value: string;
  /** Where it was given (for edges to the node whose tag it names). */
  pos?: SourcePos;
}

/** A reference to another node's result inside a value: `${node.NAME.image}` / `.id`. */
export interface NodeReference {
  node: string;
  field: "image" | "id";
  pos?: SourcePos;
}

export interface ChainNodeSpec {
  /** Unique: `packer__<file>` / `dockerfile__<tag>` for IMAGES.json, the key in a native file. */
  name: string;
  /** List order (ties are broken by it). */
  index: number;
  source: PackerSource | DockerfileSource;
  /** The file as the user wrote it (for lists and messages). */
  file: string;
  /** Where that file is named (for "missing file" errors). */
  filePos?: SourcePos;
  /** Where relative paths resolve and host processes run. */
  workingDir: string;
  /** Images it is declared to produce (`repo:tag`), besides those its template computes. */
  tags: string[];
  /** Other names `--images` / `-only` accept for this node (IMAGES.json: its tag). */
  aliases: string[];
  /** Explicit dependencies (native `depends_on`). */
  dependsOn: { node: string; pos?: SourcePos }[];
  /** Values that name another node's result (native: `${node.x.image}` in vars and build args). */
  references: NodeReference[];
  /** Registry references to push the result to (native `push`). */
  push: string[];
  /** werf's `final: false`: an intermediate image, never pushed. */
  final: boolean;
  /** The engine the node runs on ("default": DOCKER_HOST; others from -engine or the file's `engines`). */
  engine: string;
  /** Where the node is defined (the entry in IMAGES.json or the native file). */
  pos?: SourcePos;
}

export interface ChainSpec {
  /** The files the chain was read from (IMAGES.json files or one native file). */
  files: string[];
  format: "images-json" | "native";
  nodes: ChainNodeSpec[];
  /** Engines the native file declares (`engines`); -engine on the command line overrides one by name. */
  engines?: DeclaredEngine[];
}

/** An engine declared in the native chain file. */
export interface DeclaredEngine {
  name: string;
  /** A DOCKER_HOST value (unix://, tcp://, ssh://). */
  host: string;
  /** Nodes at once on it; default -parallel-builds. */
  parallel?: number;
  pos?: SourcePos;
}

/** Why one node waits for another. */
export interface Edge {
  /** The node that needs the other. */
  from: string;
  /** The node it needs. */
  to: string;
  why: "base-image" | "from" | "copy-from" | "build-arg" | "depends-on" | "reference";
  /** The image reference that made the edge, when one did. */
  image?: string;
  /** Where the consuming line is. */
  pos?: SourcePos;
}

export function formatOrigin(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}` : "(unknown position)";
}
