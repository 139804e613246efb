// HCL's type system (as in go-cty): primitives, collections (one element type) and structural
// types (per-element / per-attribute types). `dynamic` is the `any` of type constraints.
export type Type =
  | { kind: "string" }
  | { kind: "number" }
  | { kind: "bool" }
  | { kind: "dynamic" }
  | { kind: "list"; elem: Type }
  | { kind: "set"; elem: Type }
  | { kind: "map"; elem: Type }
  | { kind: "tuple"; elems: Type[] }
  | { kind: "object"; attrs: Map<string, Type>; optional?: Set<string> };

export const STRING: Type = { kind: "string" };
export const NUMBER: Type = { kind: "number" };
export const BOOL: Type = { kind: "bool" };
export const DYNAMIC: Type = { kind: "dynamic" };

export const list = (elem: Type): Type => ({ kind: "list", elem });
export const set = (elem: Type): Type => ({ kind: "set", elem });
export const map = (elem: Type): Type => ({ kind: "map", elem });
export const tuple = (elems: Type[]): Type => ({ kind: "tuple", elems });
export const object = (attrs: Map<string, Type>): Type => ({ kind: "object", attrs });

export function isPrimitive(t: Type): boolean {
  return t.kind === "string" || t.kind === "number" || t.kind === "bool";
}

export function typeEquals(a: Type, b: Type): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "list":
    case "set":
    case "map":
      return typeEquals(a.elem, (b as typeof a).elem);
    case "tuple": {
      const be = (b as typeof a).elems;
      return a.elems.length === be.length && a.elems.every((t, i) => typeEquals(t, be[i]!));
    }
    case "object": {
      const ba = (b as typeof a).attrs;
      if (a.attrs.size !== ba.size) return false;
      for (const [k, t] of a.attrs) {
        const o = ba.get(k);
        if (!o || !typeEquals(t, o)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

/** Whether the type contains `dynamic` somewhere (a constraint rather than an exact type). */
export function hasDynamic(t: Type): boolean {
  switch (t.kind) {
    case "dynamic":
      return true;
    case "list":
    case "set":
    case "map":
      return hasDynamic(t.elem);
    case "tuple":
      return t.elems.some(hasDynamic);
    case "object":
      return [...t.attrs.values()].some(hasDynamic);
    default:
      return false;
  }
}

/** The friendly name HCL uses in messages: "string", "list of string", "object". */
export function friendlyName(t: Type): string {
  switch (t.kind) {
    case "dynamic":
      return "any value";
    case "list":
    case "set":
    case "map":
      return t.elem.kind === "dynamic" ? t.kind : `${t.kind} of ${friendlyName(t.elem)}`;
    case "tuple":
      return "tuple";
    case "object":
      return "object";
    default:
      return t.kind;
  }
}
