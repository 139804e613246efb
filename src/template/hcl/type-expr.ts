// Type constraints written as expressions: `string`, `list(string)`, `object({ a = number })`,
// `optional(T)` inside object types. Used by `variable { type = … }` and `convert(v, T)`.
import type { Expr } from "./ast.js";
import { HclError } from "./diagnostics.js";
import { suggest } from "../suggest.js";
import { BOOL, DYNAMIC, NUMBER, STRING, type Type } from "./types.js";

const KEYWORDS = ["string", "number", "bool", "any", "list", "set", "map", "tuple", "object"];

export function typeFromExpr(e: Expr, allowOptional = false): Type {
  if (e.kind === "variable") {
    switch (e.name) {
      case "string":
        return STRING;
      case "number":
        return NUMBER;
      case "bool":
        return BOOL;
      case "any":
        return DYNAMIC;
      case "list":
      case "set":
      case "map":
      case "tuple":
      case "object":
        throw new HclError(
          "Invalid type specification",
          e.range,
          `The ${e.name} type constructor requires one argument specifying the element type, e.g. ${e.name}(string).`,
        );
      default:
        throw new HclError(
          "Invalid type specification",
          e.range,
          `The keyword "${e.name}" is not a valid type specification.`,
          suggest(e.name, KEYWORDS),
        );
    }
  }
  const lit = e.kind === "template" && e.parts.length === 1 ? e.parts[0] : undefined;
  if (lit?.kind === "lit") {
    const text = lit.text;
    throw new HclError(
      "Invalid type specification",
      e.range,
      `Type constraints are keywords, not strings: write ${text} without the quotes.`,
    );
  }
  if (e.kind === "call") {
    const one = (): Expr => {
      if (e.args.length !== 1) {
        throw new HclError(
          "Invalid type specification",
          e.range,
          `The ${e.name} type constructor requires exactly one argument.`,
        );
      }
      return e.args[0]!;
    };
    switch (e.name) {
      case "list":
      case "set":
      case "map":
        return { kind: e.name, elem: typeFromExpr(one()) };
      case "tuple": {
        const arg = one();
        if (arg.kind !== "tuple") {
          throw new HclError(
            "Invalid type specification",
            arg.range,
            "The tuple type constructor requires a list of element types, e.g. tuple([string, number]).",
          );
        }
        return { kind: "tuple", elems: arg.items.map((x) => typeFromExpr(x)) };
      }
      case "object": {
        const arg = one();
        if (arg.kind !== "object") {
          throw new HclError(
            "Invalid type specification",
            arg.range,
            "The object type constructor requires an object of attribute types, e.g. object({ name = string }).",
          );
        }
        const attrs = new Map<string, Type>();
        const optional = new Set<string>();
        for (const item of arg.items) {
          const key = item.bareKey ?? literalKey(item.key);
          if (key === undefined) {
            throw new HclError(
              "Invalid type specification",
              item.key.range,
              "Object type attribute names must be identifiers.",
            );
          }
          const v = item.value;
          if (v.kind === "call" && v.name === "optional") {
            if (v.args.length !== 1)
              throw new HclError("Invalid type specification", v.range, "optional() takes exactly one type.");
            attrs.set(key, typeFromExpr(v.args[0]!));
            optional.add(key);
          } else {
            attrs.set(key, typeFromExpr(v));
          }
        }
        const t: Type = { kind: "object", attrs };
        if (optional.size > 0) t.optional = optional;
        return t;
      }
      case "optional":
        if (!allowOptional) {
          throw new HclError(
            "Invalid type specification",
            e.range,
            "optional() is only allowed for attributes of an object type.",
          );
        }
        return typeFromExpr(one());
      default:
        throw new HclError(
          "Invalid type specification",
          e.nameRange,
          `Keyword "${e.name}" is not a valid type constructor.`,
          suggest(e.name, ["list", "set", "map", "tuple", "object"]),
        );
    }
  }
  if (e.kind === "paren") return typeFromExpr(e.expr, allowOptional);
  throw new HclError(
    "Invalid type specification",
    e.range,
    "A type specification is a keyword such as string, or a constructor such as list(string).",
  );
}

function literalKey(e: Expr): string | undefined {
  if (e.kind === "template" && e.parts.every((p) => p.kind === "lit"))
    return e.parts.map((p) => (p.kind === "lit" ? p.text : "")).join("");
  return undefined;
}
