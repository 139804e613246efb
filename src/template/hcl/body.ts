// Working with block bodies: checking which arguments and blocks a body may contain (with
// did-you-mean), expanding `dynamic` blocks, and turning evaluated bodies into the position-
// carrying ValueNode tree that component schemas validate.
import type { SourcePos } from "../diagnostic.js";
import { suggest } from "../suggest.js";
import type { ObjectEntry, ValueNode } from "../value-tree.js";
import { toSourcePos, type Attribute, type Block, type Body, type Expr, type Range } from "./ast.js";
import { error, reportError, type HclLoadContext } from "./context.js";
import { HclError } from "./diagnostics.js";
import { child, evaluate, type EvalContext } from "./evaluate.js";
import { STRING } from "./types.js";
import { convert } from "./convert.js";
import type { Value } from "./value.js";
import { isMapping, isSequence, numberToString, objectOf, num, str } from "./value.js";

/** A body item with the evaluation context it belongs to (dynamic blocks add an iterator). */
export interface Scoped<T extends Attribute | Block = Attribute | Block> {
  item: T;
  ctx: EvalContext;
}

export interface BodySchema {
  attributes: readonly string[];
  blocks: readonly string[];
  /** Where this body is, for messages ("the build block"). */
  where: string;
}

/**
 * Expands `dynamic "type" { for_each, iterator, labels, content {} }` into one block per element.
 * Nested dynamic blocks in the generated content expand when that body is expanded in turn.
 */
export function expandBody(lctx: HclLoadContext, body: Body, ctx: EvalContext): Scoped[] {
  const out: Scoped[] = [];
  for (const item of body.items) {
    if (item.kind === "block" && item.type === "dynamic") {
      out.push(...expandDynamic(lctx, item, ctx));
    } else {
      out.push({ item, ctx });
    }
  }
  return out;
}

function expandDynamic(lctx: HclLoadContext, block: Block, ctx: EvalContext): Scoped<Block>[] {
  if (block.labels.length !== 1) {
    error(
      lctx,
      block.headerRange,
      "Invalid dynamic block",
      'A dynamic block has one label: the type of the blocks it generates, e.g. dynamic "provisioner" { … }.',
    );
    return [];
  }
  const type = block.labels[0]!.value;
  let forEach: Attribute | undefined;
  let iterator: Attribute | undefined;
  let labels: Attribute | undefined;
  let content: Block | undefined;
  for (const item of block.body.items) {
    if (item.kind === "attribute") {
      if (item.name === "for_each") forEach = item;
      else if (item.name === "iterator") iterator = item;
      else if (item.name === "labels") labels = item;
      else {
        error(
          lctx,
          item.nameRange,
          "Unsupported argument",
          `An argument named "${item.name}" is not expected in a dynamic block.`,
          suggest(item.name, ["for_each", "iterator", "labels"]),
        );
      }
    } else if (item.type === "content") {
      if (content)
        error(
          lctx,
          item.typeRange,
          "Duplicate content block",
          "A dynamic block has exactly one content block.",
        );
      content = item;
    } else {
      error(
        lctx,
        item.typeRange,
        "Unsupported block type",
        `Blocks of type "${item.type}" are not expected in a dynamic block; the generated body goes in a content block.`,
        suggest(item.type, ["content"]),
      );
    }
  }
  if (!forEach) {
    error(
      lctx,
      block.headerRange,
      "Missing required argument",
      'A dynamic block needs "for_each": the collection to generate blocks from.',
    );
    return [];
  }
  if (!content) {
    error(
      lctx,
      block.headerRange,
      "Missing content block",
      "A dynamic block needs a content block: the body of each generated block.",
    );
    return [];
  }
  let iterName = type;
  if (iterator) {
    const e = iterator.expr;
    if (e.kind !== "variable") {
      error(
        lctx,
        e.range,
        "Invalid dynamic iterator name",
        "The iterator must be a bare name, e.g. iterator = item.",
      );
      return [];
    }
    iterName = e.name;
  }
  let coll: Value;
  try {
    coll = evaluate(forEach.expr, ctx);
  } catch (e) {
    reportError(lctx, e);
    return [];
  }
  let pairs: [Value, Value][];
  if (coll.isNull) {
    error(lctx, forEach.expr.range, "Invalid dynamic for_each value", "Cannot use a null value in for_each.");
    return [];
  }
  if (isSequence(coll)) pairs = coll.items.map((v, i) => [coll.type.kind === "set" ? v : num(i), v]);
  else if (isMapping(coll)) pairs = [...coll.entries].map(([k, v]) => [str(k), v]);
  else {
    error(
      lctx,
      forEach.expr.range,
      "Invalid dynamic for_each value",
      `Cannot use a ${coll.type.kind} value in for_each. An iterable collection is required.`,
    );
    return [];
  }
  const out: Scoped<Block>[] = [];
  for (const [k, v] of pairs) {
    const inner = child(ctx, [
      [
        iterName,
        objectOf([
          ["key", k],
          ["value", v],
        ]),
      ],
    ]);
    const labelValues: { value: string; range: Range }[] = [];
    if (labels) {
      try {
        const lv = evaluate(labels.expr, inner);
        if (lv.isNull || !isSequence(lv))
          throw new HclError(
            "Invalid dynamic block label",
            labels.expr.range,
            "labels must be a list of strings.",
          );
        for (const l of lv.items) {
          labelValues.push({ value: convert(l, STRING).str, range: labels.expr.range });
        }
      } catch (e) {
        reportError(lctx, e);
        continue;
      }
    }
    const generated: Block = {
      kind: "block",
      type,
      typeRange: block.labels[0]!.range,
      labels: labelValues,
      body: content.body,
      headerRange: block.headerRange,
      range: block.range,
    };
    out.push({ item: generated, ctx: inner });
  }
  return out;
}

/** Reports arguments and blocks a body may not contain; returns the allowed ones. */
export function checkBody(lctx: HclLoadContext, items: Scoped[], schema: BodySchema): Scoped[] {
  return items.filter(({ item }) => {
    if (item.kind === "attribute") {
      if (schema.attributes.includes(item.name)) return true;
      const isBlock = schema.blocks.includes(item.name);
      error(
        lctx,
        item.nameRange,
        "Unsupported argument",
        isBlock
          ? `"${item.name}" is a block in ${schema.where}, not an argument: write ${item.name} "…" { … }.`
          : `An argument named "${item.name}" is not expected in ${schema.where}.${schema.attributes.length ? ` Arguments allowed here: ${schema.attributes.join(", ")}.` : ""}`,
        isBlock ? [] : suggest(item.name, schema.attributes),
      );
      return false;
    }
    if (schema.blocks.includes(item.type)) return true;
    const isAttr = schema.attributes.includes(item.type);
    error(
      lctx,
      item.typeRange,
      "Unsupported block type",
      isAttr
        ? `"${item.type}" is an argument in ${schema.where}, not a block: write ${item.type} = … .`
        : `Blocks of type "${item.type}" are not expected in ${schema.where}.${schema.blocks.length ? ` Blocks allowed here: ${schema.blocks.join(", ")}.` : ""}`,
      isAttr ? [] : suggest(item.type, schema.blocks),
    );
    return false;
  });
}

export function labelsOk(lctx: HclLoadContext, block: Block, names: string[], example: string): boolean {
  if (block.labels.length === names.length) return true;
  const range = block.labels.length > names.length ? block.labels[names.length]!.range : block.headerRange;
  error(
    lctx,
    range,
    block.labels.length > names.length
      ? "Extraneous label for " + block.type
      : "Missing " + (names[block.labels.length] ?? "label") + " for " + block.type,
    `A ${block.type} block has ${names.length === 0 ? "no labels" : `${names.length} label${names.length > 1 ? "s" : ""}: ${names.join(" and ")}`}, e.g. ${example}.`,
  );
  return false;
}

/** A value as a ValueNode; literal tuples/objects give their elements their own positions. */
export function toValueNode(v: Value, pos: SourcePos, expr?: Expr): ValueNode {
  if (v.isNull) return { kind: "null", pos };
  switch (v.type.kind) {
    case "string":
      return { kind: "string", value: v.str, pos };
    case "number":
      return { kind: "number", value: v.num, pos };
    case "bool":
      return { kind: "bool", value: v.bool, pos };
    case "list":
    case "set":
    case "tuple": {
      const items = expr?.kind === "tuple" && expr.items.length === v.items.length ? expr.items : undefined;
      return {
        kind: "array",
        items: v.items.map((x, i) => {
          const ie = items?.[i];
          return toValueNode(x, ie ? toSourcePos(ie.range) : pos, ie);
        }),
        pos,
      };
    }
    case "map":
    case "object": {
      const byKey = new Map<string, { key: Expr; value: Expr }>();
      if (expr?.kind === "object") {
        for (const it of expr.items) {
          const k = it.bareKey ?? literalString(it.key);
          if (k !== undefined) byKey.set(k, it);
        }
      }
      const entries: ObjectEntry[] = [...v.entries].map(([k, x]) => {
        const src = byKey.get(k);
        const e: ObjectEntry = {
          key: k,
          value: toValueNode(x, src ? toSourcePos(src.value.range) : pos, src?.value),
        };
        e.keyPos = src ? toSourcePos(src.key.range) : pos;
        return e;
      });
      return { kind: "object", entries, pos };
    }
    default:
      return { kind: "string", value: numberToString(Number(v.v)), pos };
  }
}

function literalString(e: Expr): string | undefined {
  if (e.kind !== "template") return undefined;
  let s = "";
  for (const p of e.parts) {
    if (p.kind !== "lit") return undefined;
    s += p.text;
  }
  return s;
}

export interface ConfigNode {
  node: Extract<ValueNode, { kind: "object" }>;
  /** Some argument failed to evaluate (reported): validating the rest would only add noise. */
  failed: boolean;
}

/**
 * Evaluates a component body into an object ValueNode: arguments by name, nested blocks as
 * objects (several blocks of one type as a list). Failed arguments are left out (reported).
 */
export function bodyToNode(lctx: HclLoadContext, items: Scoped[], pos: SourcePos): ConfigNode {
  const entries: ObjectEntry[] = [];
  let failed = false;
  const blocks = new Map<string, { entry: ObjectEntry; nodes: ValueNode[] }>();
  for (const { item, ctx } of items) {
    if (item.kind === "attribute") {
      try {
        const v = evaluate(item.expr, ctx);
        entries.push({
          key: item.name,
          keyPos: toSourcePos(item.nameRange),
          value: toValueNode(v, toSourcePos(item.expr.range), item.expr),
        });
      } catch (e) {
        reportError(lctx, e);
        failed = true;
      }
      continue;
    }
    const inner = bodyToNode(lctx, expandBody(lctx, item.body, ctx), toSourcePos(item.typeRange));
    if (inner.failed) failed = true;
    const node = inner.node;
    const prev = blocks.get(item.type);
    if (prev) {
      prev.nodes.push(node);
      prev.entry.value = { kind: "array", items: prev.nodes, pos: prev.entry.value.pos };
    } else {
      const entry: ObjectEntry = { key: item.type, keyPos: toSourcePos(item.typeRange), value: node };
      blocks.set(item.type, { entry, nodes: [node] });
      entries.push(entry);
    }
  }
  return { node: { kind: "object", entries, pos }, failed };
}
