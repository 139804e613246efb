// Type conversion and unification with go-cty's rules, which HCL (and so Packer) applies when a
// value meets a type constraint: "5" → 5, true → "true", tuple → list, object → map, and so on.
import {
  DYNAMIC,
  STRING,
  friendlyName,
  hasDynamic,
  isPrimitive,
  list as listType,
  map as mapType,
  object as objectType,
  set as setType,
  tuple as tupleType,
  typeEquals,
  type Type,
} from "./types.js";
import {
  Value,
  bool,
  listOf,
  mapOf,
  nullOf,
  num,
  numberToString,
  objectOf,
  setOf,
  str,
  tupleOf,
} from "./value.js";

export class ConversionError extends Error {
  override readonly name = "ConversionError";
  constructor(
    message: string,
    /** Where in a nested value the problem is, e.g. `["tags", 2]`. */
    readonly path: (string | number)[] = [],
  ) {
    super(message);
  }

  /** "element 2: a number is required" style text, as HCL prints it. */
  describe(): string {
    if (this.path.length === 0) return this.message;
    const where = this.path
      .map((p) => (typeof p === "number" ? `element ${p}` : `attribute ${JSON.stringify(p)}`))
      .join(", ");
    return `${where}: ${this.message}`;
  }
}

function article(t: Type): string {
  const name = friendlyName(t);
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

function required(t: Type): ConversionError {
  return new ConversionError(`${article(t)} is required`);
}

function nested<T>(key: string | number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConversionError) throw new ConversionError(e.message, [key, ...e.path]);
    throw e;
  }
}

export function parseNumber(s: string): number | undefined {
  const t = s.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

export function convert(v: Value, target: Type): Value {
  if (target.kind === "dynamic") return v;
  if (v.v === null) return nullOf(target);
  if (typeEquals(v.type, target)) return v;
  switch (target.kind) {
    case "string":
      if (v.type.kind === "number") return str(numberToString(v.num));
      if (v.type.kind === "bool") return str(v.bool ? "true" : "false");
      throw required(target);
    case "number": {
      if (v.type.kind === "string") {
        const n = parseNumber(v.str);
        if (n === undefined)
          throw new ConversionError(`a number is required; ${JSON.stringify(v.str)} is not a number`);
        return num(n);
      }
      throw required(target);
    }
    case "bool":
      if (v.type.kind === "string") {
        if (v.str === "true" || v.str === "1") return bool(true);
        if (v.str === "false" || v.str === "0") return bool(false);
        throw new ConversionError(`a bool is required; ${JSON.stringify(v.str)} is not true or false`);
      }
      throw required(target);
    case "list":
    case "set": {
      if (!["list", "set", "tuple"].includes(v.type.kind)) throw required(target);
      let elem = target.elem;
      if (hasDynamic(elem)) {
        const u = unify(v.items.map((x) => x.type));
        if (!u)
          throw new ConversionError(`${article(target)} is required; all elements must have the same type`);
        elem = refine(elem, u);
      }
      const items = v.items.map((x, i) => nested(i, () => convert(x, elem)));
      return target.kind === "list" ? listOf(elem, items) : setOf(elem, items);
    }
    case "map": {
      if (v.type.kind !== "map" && v.type.kind !== "object") throw required(target);
      let elem = target.elem;
      if (hasDynamic(elem)) {
        const u = unify([...v.entries.values()].map((x) => x.type));
        if (!u)
          throw new ConversionError(
            `${article(target)} is required; all map elements must have the same type`,
          );
        elem = refine(elem, u);
      }
      return mapOf(
        elem,
        [...v.entries].map(([k, x]) => [k, nested(k, () => convert(x, elem))] as [string, Value]),
      );
    }
    case "tuple": {
      if (!["list", "set", "tuple"].includes(v.type.kind)) throw required(target);
      if (v.items.length !== target.elems.length) {
        throw new ConversionError(
          `a tuple of ${target.elems.length} elements is required, got ${v.items.length}`,
        );
      }
      return tupleOf(v.items.map((x, i) => nested(i, () => convert(x, target.elems[i]!))));
    }
    case "object": {
      if (v.type.kind !== "map" && v.type.kind !== "object") throw required(target);
      const out: [string, Value][] = [];
      for (const [k, t] of target.attrs) {
        const x = v.entries.get(k);
        if (x === undefined) {
          if (target.optional?.has(k)) {
            out.push([k, nullOf(t)]);
            continue;
          }
          throw new ConversionError(`attribute ${JSON.stringify(k)} is required`);
        }
        out.push([k, nested(k, () => convert(x, t))]);
      }
      // Attributes the target type does not declare are dropped, as in HCL.
      const result = objectOf(out);
      return new Value(
        target.optional
          ? { ...(result.type as Extract<Type, { kind: "object" }>), optional: target.optional }
          : result.type,
        result.v,
      );
    }
  }
  return v;
}

/** Replaces `dynamic` parts of a constraint with the concrete parts of a unified type. */
function refine(constraint: Type, concrete: Type): Type {
  if (constraint.kind === "dynamic") return concrete;
  if (
    (constraint.kind === "list" || constraint.kind === "set" || constraint.kind === "map") &&
    constraint.kind === concrete.kind
  ) {
    return { kind: constraint.kind, elem: refine(constraint.elem, concrete.elem) };
  }
  return constraint;
}

/**
 * The single type all of `types` convert to, or undefined when there is none (go-cty Unify):
 * mixed primitives become string, tuples/objects of matching shape unify element-wise, others
 * become collections of their unified element types.
 */
export function unify(types: Type[]): Type | undefined {
  const known = types.filter((t) => t.kind !== "dynamic");
  if (known.length === 0) return DYNAMIC;
  const first = known[0]!;
  if (known.every((t) => typeEquals(t, first))) return first;
  if (known.every(isPrimitive)) return known.every((t) => t.kind === first.kind) ? first : STRING;
  if (known.every((t) => t.kind === "object" || t.kind === "map")) {
    const objects = known.filter((t): t is Extract<Type, { kind: "object" }> => t.kind === "object");
    if (objects.length === known.length) {
      const keys = [...objects[0]!.attrs.keys()].sort().join("\u0000");
      if (objects.every((o) => [...o.attrs.keys()].sort().join("\u0000") === keys)) {
        const attrs = new Map<string, Type>();
        for (const k of objects[0]!.attrs.keys()) {
          const u = unify(objects.map((o) => o.attrs.get(k)!));
          if (!u) return undefined;
          attrs.set(k, u);
        }
        return objectType(attrs);
      }
    }
    const elems: Type[] = [];
    for (const t of known) {
      if (t.kind === "map") elems.push(t.elem);
      else elems.push(...t.attrs.values());
    }
    const u = unify(elems);
    return u ? mapType(u) : undefined;
  }
  if (known.every((t) => t.kind === "tuple" || t.kind === "list" || t.kind === "set")) {
    const tuples = known.filter((t): t is Extract<Type, { kind: "tuple" }> => t.kind === "tuple");
    if (tuples.length === known.length && tuples.every((t) => t.elems.length === tuples[0]!.elems.length)) {
      const elems: Type[] = [];
      for (let i = 0; i < tuples[0]!.elems.length; i++) {
        const u = unify(tuples.map((t) => t.elems[i]!));
        if (!u) return undefined;
        elems.push(u);
      }
      return tupleType(elems);
    }
    const elems: Type[] = [];
    for (const t of known) {
      if (t.kind === "tuple") elems.push(...t.elems);
      else elems.push((t as Extract<Type, { kind: "list" }>).elem);
    }
    const u = unify(elems);
    if (!u) return undefined;
    return known.some((t) => t.kind === "set") && known.every((t) => t.kind === "set")
      ? setType(u)
      : listType(u);
  }
  return undefined;
}

/** Converts every value to their unified type (conditional results, list literals in functions). */
export function unifyValues(values: Value[]): Value[] {
  const u = unify(values.map((v) => v.type));
  if (!u) throw new ConversionError("the values have no common type");
  return values.map((v) => convert(v, u));
}
