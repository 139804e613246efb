// Validates a position-carrying value tree against the subset of JSON Schema the chain file's
// schema uses (type, properties, additionalProperties, propertyNames, required, items, enum,
// oneOf of required keys), so the schema an editor reads is the one kiln enforces, with
// positioned errors and did-you-mean.
import { suggest } from "../template/suggest.js";
import { describe } from "../template/validate-config.js";
import type { ValueNode } from "../template/value-tree.js";
import type { Problems } from "./json-input.js";
import type { JsonSchema } from "./native-schema.js";

export function checkSchema(node: ValueNode, schema: JsonSchema, where: string, problems: Problems): void {
  if (schema.type && !hasType(node, schema.type)) {
    problems.error(
      node.pos,
      `${where}: expected ${article(schema.type)}, got ${describe(node)}`,
      schema.description,
    );
    return;
  }
  if (schema.enum && !(node.kind === "string" && schema.enum.includes(node.value))) {
    const got = node.kind === "string" ? node.value : describe(node);
    problems.error(
      node.pos,
      `${where}: ${JSON.stringify(got)} is not one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`,
      undefined,
      suggest(got, schema.enum),
    );
  }
  if (node.kind === "array" && schema.items) {
    node.items.forEach((item, i) => checkSchema(item, schema.items!, `${where}[${i}]`, problems));
  }
  if (node.kind !== "object") return;
  const props = schema.properties ?? {};
  for (const e of node.entries) {
    const sub = props[e.key];
    const name = where === "" ? e.key : `${where}.${e.key}`;
    if (sub) {
      checkSchema(e.value, sub, name, problems);
      continue;
    }
    if (schema.propertyNames && !new RegExp(schema.propertyNames.pattern).test(e.key)) {
      problems.error(
        e.keyPos,
        `${where}: ${JSON.stringify(e.key)} is not a valid name`,
        "names start with a letter or digit and use letters, digits, . _ -",
      );
      continue;
    }
    if (schema.additionalProperties === false || schema.additionalProperties === undefined) {
      problems.error(
        e.keyPos,
        `${where === "" ? "" : `${where}: `}unknown key ${JSON.stringify(e.key)}`,
        `expected one of: ${Object.keys(props).join(", ")}`,
        suggest(e.key, Object.keys(props)),
      );
      continue;
    }
    if (schema.additionalProperties !== true)
      checkSchema(e.value, schema.additionalProperties, name, problems);
  }
  for (const key of schema.required ?? []) {
    if (!node.entries.some((e) => e.key === key)) {
      problems.error(
        node.pos,
        `${where === "" ? "" : `${where}: `}missing ${JSON.stringify(key)}`,
        props[key]?.description,
      );
    }
  }
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((alt) =>
      (alt.required ?? []).every((k) => node.entries.some((e) => e.key === k)),
    );
    if (matching.length !== 1) {
      const options = schema.oneOf
        .map((alt) => (alt.required ?? []).map((k) => JSON.stringify(k)).join(" + "))
        .join(" or ");
      problems.error(
        node.pos,
        `${where}: ${matching.length === 0 ? "needs" : "takes only one of"} ${options}`,
        schema.description,
      );
    }
  }
}

function hasType(node: ValueNode, type: NonNullable<JsonSchema["type"]>): boolean {
  switch (type) {
    case "boolean":
      return node.kind === "bool";
    default:
      return node.kind === type;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
