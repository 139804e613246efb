// Splits a component object into the keys the template core handles (type, only, …) and the
// component's own config. Keys starting with "_" are comments, as at the template's root.
import type { ObjectEntry, ValueNode } from "../value-tree.js";
import type { Diagnostic } from "../diagnostic.js";
import { isNotSupported, lookupComponent, type ComponentKind } from "../components.js";
import { describe } from "../validate-config.js";
import { error, report, type JsonLoadContext } from "./context.js";

export function splitEntries(
  node: Extract<ValueNode, { kind: "object" }>,
  coreKeys: readonly string[],
): { core: Map<string, ObjectEntry>; config: Extract<ValueNode, { kind: "object" }> } {
  const core = new Map<string, ObjectEntry>();
  const rest: ObjectEntry[] = [];
  for (const e of node.entries) {
    if (coreKeys.includes(e.key)) core.set(e.key, e);
    else if (!e.key.startsWith("_")) rest.push(e);
  }
  return { core, config: { kind: "object", entries: rest, pos: node.pos } };
}

/** The config with `override`'s entries replacing (or adding to) the base entries. */
export function mergeOverride(
  base: Extract<ValueNode, { kind: "object" }>,
  override: ObjectEntry[] | undefined,
): Extract<ValueNode, { kind: "object" }> {
  if (!override || override.length === 0) return base;
  const replaced = new Map(override.filter((e) => !e.key.startsWith("_")).map((e) => [e.key, e]));
  const entries = base.entries.map((e) => replaced.get(e.key) ?? e);
  for (const e of replaced.values()) if (!base.entries.some((b) => b.key === e.key)) entries.push(e);
  return { kind: "object", entries, pos: base.pos };
}

/**
 * The core keys and config of a provisioner or post-processor object, with its `type` read and
 * looked up (an unknown type is reported with its did-you-mean). Undefined when there is no usable
 * type: the problem has been reported.
 */
export function readTypedComponent(
  ctx: JsonLoadContext,
  item: Extract<ValueNode, { kind: "object" }>,
  kind: ComponentKind,
  label: string,
  coreKeys: readonly string[],
  example: string,
):
  | {
      type: string;
      spec: ReturnType<typeof lookupComponent>["spec"];
      core: Map<string, ObjectEntry>;
      config: Extract<ValueNode, { kind: "object" }>;
      unsupported?: Diagnostic;
    }
  | undefined {
  const { core, config } = splitEntries(item, coreKeys);
  const typeEntry = core.get("type");
  if (!typeEntry) {
    error(ctx, item.pos, `${label}: missing "type"`, `e.g. ${example}`);
    return undefined;
  }
  if (typeEntry.value.kind !== "string") {
    error(ctx, typeEntry.value.pos, `${label}: type: expected string, got ${describe(typeEntry.value)}`);
    return undefined;
  }
  const type = typeEntry.value.value;
  const found = lookupComponent(kind, type, typeEntry.value.pos);
  // A post-processor kiln does not implement is judged later, once -except is known.
  if (found.diagnostic && kind === "post-processor" && isNotSupported(kind, type))
    return { type, spec: undefined, core, config, unsupported: found.diagnostic };
  if (found.diagnostic) report(ctx, found.diagnostic);
  return { type, spec: found.spec, core, config };
}
