// The JSON Schema of a Packer JSON template as kiln reads it, generated from the component specs
// (components.ts) and the loader's own keys, so the published file cannot drift from what
// `kiln validate` accepts. It checks structure only: keys, types, required options, choices.
// What needs the template evaluated (variables, template functions, cross-references between
// builders and components, local files, conflicts between options) stays `kiln validate`'s.
// Written out as schemas/packer-template.schema.json by `npm run schemas`.
import { builderSpecs, postProcessorSpecs, provisionerSpecs, unsupportedTypes } from "./components.js";
import type { FieldDef, Schema } from "./schema.js";
import { ROOT_KEYS } from "./json/load-json.js";

/** draft-07, plus the keyword VS Code reads for deprecated options (deprecationMessage). */
export interface TemplateJsonSchema {
  $schema?: string;
  $id?: string;
  $ref?: string;
  title?: string;
  description?: string;
  type?: string | readonly string[];
  properties?: Record<string, TemplateJsonSchema>;
  patternProperties?: Record<string, TemplateJsonSchema>;
  additionalProperties?: boolean | TemplateJsonSchema;
  required?: string[];
  items?: TemplateJsonSchema;
  minItems?: number;
  pattern?: string;
  anyOf?: TemplateJsonSchema[];
  allOf?: TemplateJsonSchema[];
  if?: TemplateJsonSchema;
  then?: TemplateJsonSchema;
  const?: unknown;
  enum?: readonly unknown[];
  default?: unknown;
  definitions?: Record<string, TemplateJsonSchema>;
  deprecationMessage?: string;
}

export const TEMPLATE_SCHEMA_ID = "https://kiln.invalid/schemas/packer-template.schema.json";

/** A string holding a template action: only rendering tells its value, so any is accepted. */
const TEMPLATED = "\\{\\{";
// What Packer's weak decoding (and kiln's) accepts in a string for each scalar kind.
const GO_BOOL = "^(1|t|T|true|TRUE|True|0|f|F|false|FALSE|False)$";
const GO_INT = "^\\s*([+-]?\\d+|[+-]?0[xX][0-9a-fA-F]+)\\s*$";
const DURATION =
  "^\\s*([+-]?(\\d+\\.?\\d*|\\.\\d+)|[+-]?((\\d+\\.?\\d*|\\.\\d+)(ns|us|µs|μs|ms|s|m|h))+)\\s*$";

const either = (...patterns: string[]): string => patterns.map((p) => `(${p})`).join("|");

/** The accepted JSON values of one option of `kind`, null ("leave unset") aside. */
function valueSchema(field: FieldDef): TemplateJsonSchema {
  if (field.late) {
    // Rendered at run time: kept as written, so no coercion from other JSON types.
    return field.kind === "strings"
      ? { anyOf: [{ type: "array", items: { type: "string" } }, { type: "string" }] }
      : { type: "string" };
  }
  switch (field.kind) {
    case "string":
      if (field.oneOf) {
        return { anyOf: [{ enum: field.oneOf }, { type: "string", pattern: TEMPLATED }] };
      }
      return { type: ["string", "number"] };
    case "bool":
      return {
        anyOf: [
          { type: "boolean" },
          { enum: [0, 1] },
          { type: "string", pattern: either(GO_BOOL, TEMPLATED) },
        ],
      };
    case "int":
      return { anyOf: [{ type: "integer" }, { type: "string", pattern: either(GO_INT, TEMPLATED) }] };
    case "duration":
      return { anyOf: [{ type: "number" }, { type: "string", pattern: either(DURATION, TEMPLATED) }] };
    case "strings":
      // A string is split on commas (Packer's weak decoding); kiln warns unless the option takes one.
      return {
        anyOf: [{ type: "array", items: { type: ["string", "number"] } }, { type: ["string", "number"] }],
      };
    case "ints":
      return {
        anyOf: [
          {
            type: "array",
            items: { anyOf: [{ type: "integer" }, { type: "string", pattern: either(GO_INT, TEMPLATED) }] },
          },
          { type: ["string", "integer"] },
        ],
      };
    case "map":
      return { type: "object", additionalProperties: { type: ["string", "number"] } };
    case "any":
      return {};
  }
}

function describeField(field: FieldDef): string {
  const parts = [field.doc];
  if (field.ignored) parts.push(`Accepted and ignored by kiln: ${field.ignored}.`);
  return parts.join(" ");
}

function fieldSchema(field: FieldDef): TemplateJsonSchema {
  const value = valueSchema(field);
  // null leaves an option unset, as in Packer; a required option must be given a value.
  const body: TemplateJsonSchema = field.required ? value : { anyOf: [value, { type: "null" }] };
  const out: TemplateJsonSchema = { description: describeField(field), ...body };
  if (field.hasDefault && field.defaultValue !== undefined && !field.required)
    out.default = field.defaultValue;
  if (field.deprecated) out.deprecationMessage = field.deprecated;
  return out;
}

/** Keys starting with "_" are comments, at the root and in components. */
const COMMENTS = { "^_": {} };

function options(schema: Schema): Record<string, TemplateJsonSchema> {
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, fieldSchema(v)]));
}

function required(schema: Schema): string[] {
  return Object.entries(schema)
    .filter(([, v]) => v.required)
    .map(([k]) => k);
}

const builderNames = (what: string): TemplateJsonSchema => ({
  type: "array",
  description: `${what} (builder names as written in the template). Only one of only and except may be set.`,
  items: { type: "string" },
});

const provisionerCore: Record<string, TemplateJsonSchema> = {
  only: builderNames("Run this provisioner only for these builds"),
  except: builderNames("Skip this provisioner for these builds"),
  pause_before: fieldSchema({
    kind: "duration",
    doc: "Pause before this provisioner.",
    required: false,
    hasDefault: true,
    defaultValue: 0,
    late: false,
    single: false,
  }),
  max_retries: fieldSchema({
    kind: "int",
    doc: "Retries after a failure.",
    required: false,
    hasDefault: true,
    defaultValue: 0,
    late: false,
    single: false,
  }),
  timeout: fieldSchema({
    kind: "duration",
    doc: "Cancel the provisioner after this long (0: never).",
    required: false,
    hasDefault: true,
    defaultValue: 0,
    late: false,
    single: false,
  }),
};

const postProcessorCore: Record<string, TemplateJsonSchema> = {
  name: {
    type: "string",
    description: "Name shown in the output and matched by -only/-except (default: the type).",
  },
  only: builderNames("Run this post-processor only for these builds"),
  except: builderNames("Skip this post-processor for these builds"),
  keep_input_artifact: fieldSchema({
    kind: "bool",
    doc: "Keep the artifact this post-processor received.",
    required: false,
    hasDefault: false,
    late: false,
    single: false,
  }),
};

/**
 * One definition per component type: `<kind>.<type>` (the block with its core keys) and, for
 * provisioners, `<kind>.<type>.options` (what `override` may set for one builder).
 */
function componentDefinitions(
  kind: "builder" | "provisioner" | "post-processor",
  specs: Readonly<Record<string, { schema: Schema }>>,
  core: Record<string, TemplateJsonSchema>,
): Record<string, TemplateJsonSchema> {
  const out: Record<string, TemplateJsonSchema> = {};
  for (const [type, spec] of Object.entries(specs)) {
    const own = options(spec.schema);
    const extra: Record<string, TemplateJsonSchema> = {};
    if (kind === "provisioner") {
      out[`${kind}.${type}.options`] = {
        type: "object",
        description: `Options of the ${type} provisioner for one builder (override).`,
        properties: own,
        patternProperties: COMMENTS,
        additionalProperties: false,
      };
      extra.override = {
        type: "object",
        description: "Builder name → options replacing this provisioner's for that build.",
        additionalProperties: { $ref: `#/definitions/${kind}.${type}.options` },
      };
    }
    out[`${kind}.${type}`] = {
      type: "object",
      description: `The ${type} ${kind}.`,
      required: ["type", ...required(spec.schema)],
      properties: { type: { const: type }, ...core, ...extra, ...own },
      patternProperties: COMMENTS,
      additionalProperties: false,
    };
  }
  return out;
}

/**
 * An object whose `type` picks its definition; an unknown type fails on `type`'s enum. `elsewhere`:
 * Packer types kiln does not run, accepted with any options (a template may hold them for builds
 * that -only/-except leave out; `kiln validate` refuses them when selected).
 */
function dispatch(
  kind: string,
  types: string[],
  description: string,
  elsewhere: string[] = [],
): TemplateJsonSchema {
  return {
    type: "object",
    description,
    required: ["type"],
    properties: {
      type: { type: "string", enum: [...types, ...elsewhere], description: `The ${kind} type.` },
    },
    allOf: types.map((t) => ({
      if: { properties: { type: { const: t } }, required: ["type"] },
      then: { $ref: `#/definitions/${kind}.${t}` },
    })),
  };
}

function build(): TemplateJsonSchema {
  const provisionerTypes = Object.keys(provisionerSpecs);
  const postProcessorTypes = Object.keys(postProcessorSpecs);
  const root: Record<string, TemplateJsonSchema> = {
    $schema: {
      type: "string",
      description: "The JSON Schema of this file, for editors (kiln only: Packer refuses this key).",
    },
    description: { type: "string", description: "What the template builds (shown by `kiln inspect`)." },
    min_packer_version: { type: "string", description: "Accepted; kiln implements Packer 1.6.6's template." },
    variables: {
      type: "object",
      description: "User variables: name → default value (null: required, set with -var or -var-file).",
      additionalProperties: { type: ["string", "number", "boolean", "null"] },
    },
    "sensitive-variables": {
      type: "array",
      description: "Variables whose values are masked in all output.",
      items: { type: "string" },
    },
    builders: {
      type: "array",
      description: "The builds: kiln runs the docker builder.",
      minItems: 1,
      items: dispatch(
        "builder",
        Object.keys(builderSpecs),
        "A builder. kiln runs docker; other Packer builders are accepted only when -only/-except leave them out.",
        unsupportedTypes("builder"),
      ),
    },
    provisioners: {
      type: "array",
      description: "Run in order in every build they apply to.",
      items: { $ref: "#/definitions/provisioner" },
    },
    "error-cleanup-provisioner": {
      $ref: "#/definitions/provisioner",
      description: "Runs when a build fails, before its container is removed.",
    },
    "post-processors": {
      type: "array",
      description: "Each element is a sequence: a type name, an object, or a list of those run in order.",
      items: {
        anyOf: [
          { $ref: "#/definitions/post-processor-item" },
          { type: "array", items: { $ref: "#/definitions/post-processor-item" } },
        ],
      },
    },
    push: {
      description: "Obsolete (Atlas push): ignored with a warning.",
      deprecationMessage: "obsolete: ignored",
    },
  };
  // Every root key the loader knows is described: a unit test checks the two lists agree.
  const known = new Set<string>(ROOT_KEYS);
  for (const key of Object.keys(root))
    if (!known.has(key)) throw new Error(`schema has unknown root key ${key}`);
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: TEMPLATE_SCHEMA_ID,
    title: "Packer JSON template (as kiln runs it)",
    description:
      "A Packer 1.6.6 JSON template with the docker builder and the provisioners and post-processors kiln runs. Structure only: `kiln validate` also checks variables, template functions, builder names and local files.",
    type: "object",
    required: ["builders"],
    properties: root,
    patternProperties: COMMENTS,
    additionalProperties: false,
    definitions: {
      provisioner: dispatch("provisioner", provisionerTypes, "A provisioner."),
      "post-processor-item": {
        anyOf: [
          {
            type: "string",
            enum: [...postProcessorTypes, ...unsupportedTypes("post-processor")],
            description: "A post-processor with default options.",
          },
          dispatch(
            "post-processor",
            postProcessorTypes,
            "A post-processor. Other Packer post-processors are accepted only when -except leaves them out.",
            unsupportedTypes("post-processor"),
          ),
        ],
      },
      ...componentDefinitions("builder", builderSpecs, {
        name: {
          type: "string",
          description: "The build's name (default: the type); may use template functions.",
        },
      }),
      ...componentDefinitions("provisioner", provisionerSpecs, provisionerCore),
      ...componentDefinitions("post-processor", postProcessorSpecs, postProcessorCore),
    },
  };
}

/** The JSON Schema of JSON templates, built from the component specs on each call. */
export function templateSchema(): TemplateJsonSchema {
  return build();
}
