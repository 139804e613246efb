// The native chain file's JSON Schema: the source of truth for its keys, types and docs. The
// reader validates against it (positioned errors, did-you-mean) and `schemas/kiln-chain.schema.json`
// is this object written out (a unit test keeps the two equal), for editors (`$schema`,
// VS Code's json.schemas).

export interface JsonSchema {
  $schema?: string;
  $id?: string;
  title?: string;
  description?: string;
  type?: "object" | "array" | "string" | "boolean" | "number";
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: { pattern: string };
  required?: string[];
  items?: JsonSchema;
  enum?: string[];
  default?: unknown;
  oneOf?: JsonSchema[];
  not?: JsonSchema;
  examples?: unknown[];
}

const stringMap = (description: string): JsonSchema => ({
  type: "object",
  description,
  additionalProperties: { type: "string" },
});

const stringList = (description: string): JsonSchema => ({
  type: "array",
  description,
  items: { type: "string" },
});

const REFERENCE_NOTE =
  " A value may name another node's result: ${node.NAME.image} (its first tag) or ${node.NAME.id} (the image ID it built); either makes this node wait for NAME. Write $${ for a literal ${.";

export const NODE_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

export const nodeSchema: JsonSchema = {
  type: "object",
  description: "One image: a Packer template (template) or a Dockerfile (dockerfile).",
  properties: {
    template: {
      type: "string",
      description:
        "A Packer template (JSON file, .pkr.hcl file or HCL2 directory), relative to working_dir, built in process by kiln's runner.",
    },
    dockerfile: {
      type: "string",
      description: "A Dockerfile, relative to working_dir, built by the engine (POST /build).",
    },
    working_dir: {
      type: "string",
      description:
        "Where relative paths of the node resolve (and a Packer template's host processes run). Relative to the chain file's folder; default: that folder.",
    },
    context: {
      type: "string",
      description:
        "Dockerfile nodes: the build context directory, relative to working_dir. Default: working_dir.",
    },
    vars: stringMap(`Packer nodes: template variables (-var name=value).${REFERENCE_NOTE}`),
    var_files: stringList("Packer nodes: variable files (-var-file), relative to working_dir."),
    only: stringList("Packer nodes: build only these builds of the template (-only globs)."),
    except: stringList("Packer nodes: skip these builds and post-processors (-except globs)."),
    build_args: stringMap(`Dockerfile nodes: build arguments (--build-arg).${REFERENCE_NOTE}`),
    target: { type: "string", description: "Dockerfile nodes: the stage to build (--target)." },
    labels: stringMap("Dockerfile nodes: labels of the image (--label)."),
    network: { type: "string", description: "Dockerfile nodes: network for RUN instructions (--network)." },
    platform: { type: "string", description: "Dockerfile nodes: the platform to build for (--platform)." },
    no_cache: {
      type: "boolean",
      description: "Dockerfile nodes: do not use the engine's build cache.",
      default: false,
    },
    pull: {
      type: "boolean",
      description:
        "Dockerfile nodes: always pull newer FROM images (never for an image another node of the chain builds).",
      default: false,
    },
    squash: {
      type: "boolean",
      description:
        "Dockerfile nodes: squash the new layers into one (needs an engine that can; kiln says so and builds unsquashed otherwise). Default: true, as corpusops' chain; kiln chain --no-squash turns the default off.",
    },
    tags: stringList(
      "Images the node produces (repo:tag). Dockerfile nodes are tagged with them; for Packer nodes they add to the tags the template's docker-tag and docker-import post-processors give. Other nodes that use one of them wait for this node.",
    ),
    depends_on: stringList("Nodes this node waits for, besides those found from what it consumes."),
    push: stringList(
      "Registry references (repo:tag) the result is tagged and pushed as once built, with Docker's credentials.",
    ),
    final: {
      type: "boolean",
      description: "false: an intermediate image (werf's final: false), never pushed.",
      default: true,
    },
    engine: {
      type: "string",
      description:
        'The engine the node runs on: "default" (DOCKER_HOST), a name declared in engines, or one given with kiln chain -engine=NAME=DOCKER_HOST.',
      default: "default",
    },
  },
  additionalProperties: false,
  oneOf: [{ required: ["template"] }, { required: ["dockerfile"] }],
};

export const engineSchema: JsonSchema = {
  type: "object",
  description: "One engine: where it is and how many nodes run on it at once.",
  properties: {
    host: {
      type: "string",
      description:
        "A DOCKER_HOST value: unix:///path, tcp://host:port (DOCKER_TLS_VERIFY applies), ssh://[user@]host.",
    },
    parallel: {
      type: "number",
      description:
        "Nodes built at once on this engine (a whole number ≥ 1). Default: kiln chain -parallel-builds.",
    },
  },
  required: ["host"],
  additionalProperties: false,
};

export const chainSchema: JsonSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://kiln.invalid/schemas/kiln-chain.schema.json",
  title: "kiln chain file",
  description:
    "Images built by `kiln chain` as a graph: each node a Packer template or a Dockerfile; a node waits for the nodes whose images it uses.",
  type: "object",
  properties: {
    $schema: { type: "string", description: "The JSON Schema of this file, for editors." },
    nodes: {
      type: "object",
      description: "The nodes, by name. Their order breaks ties when several could start.",
      propertyNames: { pattern: NODE_NAME_PATTERN },
      additionalProperties: nodeSchema,
    },
    engines: {
      type: "object",
      description:
        "Engines nodes may run on, by name, besides default (DOCKER_HOST). kiln chain -engine=NAME=DOCKER_HOST overrides one by name.",
      propertyNames: { pattern: NODE_NAME_PATTERN },
      additionalProperties: engineSchema,
    },
  },
  required: ["nodes"],
  additionalProperties: false,
};
