// Collection functions (go-cty stdlib / HCL semantics).
import { ConversionError, convert, unify, unifyValues } from "../convert.js";
import { BOOL, DYNAMIC, NUMBER, STRING, list, type Type } from "../types.js";
import type { Value } from "../value.js";
import {
  bool,
  isMapping,
  isSequence,
  listOf,
  mapOf,
  num,
  objectOf,
  setOf,
  str,
  tupleOf,
  valueEquals,
} from "../value.js";
import { graphemes } from "./string.js";
import { FunctionError, fn, p, type FunctionDef } from "./registry.js";

/** A list when every element has one type (as functions over lists return), else a tuple. */
export function seq(items: Value[], asList: boolean, elemHint?: Type): Value {
  if (!asList) return tupleOf(items);
  const u = items.length === 0 ? (elemHint ?? DYNAMIC) : unify(items.map((v) => v.type));
  if (!u) return tupleOf(items);
  try {
    return listOf(
      u,
      items.map((v) => convert(v, u)),
    );
  } catch {
    return tupleOf(items);
  }
}

function elemTypeOf(v: Value): Type | undefined {
  const t = v.type;
  return t.kind === "list" || t.kind === "set" || t.kind === "map" ? t.elem : undefined;
}

function requireSeq(v: Value, arg: number, what = "list"): Value[] {
  if (v.isNull || !isSequence(v)) throw new FunctionError(`a ${what} is required`, arg);
  return v.items;
}

function asIndex(v: Value, arg: number): number {
  const n = v.num;
  if (!Number.isInteger(n)) throw new FunctionError("a whole number is required", arg);
  return n;
}

function flattenInto(v: Value, out: Value[]): void {
  for (const x of v.items) {
    if (!x.isNull && isSequence(x)) flattenInto(x, out);
    else out.push(x);
  }
}

const setArgs = (args: Value[]): { elem: Type; sets: Value[][] } => {
  args.forEach((a, i) => requireSeq(a, i, "set"));
  const all = args.flatMap((a) => a.items);
  const u = unify(all.map((v) => v.type)) ?? DYNAMIC;
  return { elem: u, sets: args.map((a) => a.items.map((v) => convert(v, u))) };
};

export const collectionFunctions: Record<string, FunctionDef> = {
  alltrue: fn([p("list", list(BOOL))], ([l]) => bool(l!.items.every((v) => v.v === true))),
  anytrue: fn([p("list", list(BOOL))], ([l]) => bool(l!.items.some((v) => v.v === true))),
  chunklist: fn([p("list"), p("size", NUMBER)], ([l, size]) => {
    const items = requireSeq(l!, 0);
    const n = asIndex(size!, 1);
    if (n < 0) throw new FunctionError("the size argument must be positive", 1);
    if (n === 0) return seq([seq(items, true, elemTypeOf(l!))], true);
    const chunks: Value[] = [];
    for (let i = 0; i < items.length; i += n) chunks.push(seq(items.slice(i, i + n), true, elemTypeOf(l!)));
    return seq(chunks, true);
  }),
  coalesce: fn(
    [],
    (args) => {
      if (args.length === 0) throw new FunctionError("at least one argument is required");
      let vals: Value[];
      try {
        vals = unifyValues(args);
      } catch {
        throw new FunctionError("all arguments must have the same type");
      }
      const hit = vals.find((v) => !v.isNull && !(v.type.kind === "string" && v.str === ""));
      if (!hit) throw new FunctionError("no non-null, non-empty-string arguments");
      return hit;
    },
    p("vals", DYNAMIC, true),
  ),
  coalescelist: fn(
    [],
    (args) => {
      if (args.length === 0) throw new FunctionError("at least one argument is required");
      args.forEach((a, i) => {
        if (!a.isNull && !isSequence(a)) throw new FunctionError("a list or tuple is required", i);
      });
      return args.find((a) => !a.isNull && a.items.length > 0) ?? tupleOf([]);
    },
    p("vals", DYNAMIC, true),
  ),
  compact: fn([p("list", list(STRING))], ([l]) =>
    listOf(
      STRING,
      l!.items.filter((v) => !v.isNull && v.str !== ""),
    ),
  ),
  concat: fn(
    [],
    (args) => {
      const items: Value[] = [];
      let allLists = true;
      args.forEach((a, i) => {
        items.push(...requireSeq(a, i));
        if (a.type.kind === "tuple") allLists = false;
      });
      return seq(items, allLists && args.length > 0);
    },
    p("seqs"),
  ),
  contains: fn([p("list"), p("value", DYNAMIC, true)], ([l, v]) => {
    if (l!.isNull || !(isSequence(l!) || isMapping(l!)))
      throw new FunctionError("argument must be list, tuple, or set", 0);
    const items = isSequence(l!) ? l!.items : [...l!.entries.values()];
    return bool(
      items.some((x) => valueEquals(x, v!) || (x.type.kind !== v!.type.kind && looseEquals(x, v!))),
    );
  }),
  distinct: fn([p("list")], ([l]) => {
    const out: Value[] = [];
    for (const v of requireSeq(l!, 0)) if (!out.some((u) => valueEquals(u, v))) out.push(v);
    return seq(out, true, elemTypeOf(l!));
  }),
  element: fn([p("list"), p("index", NUMBER)], ([l, i]) => {
    const items = requireSeq(l!, 0);
    if (items.length === 0) throw new FunctionError("cannot use element function with an empty list", 0);
    const n = asIndex(i!, 1);
    if (n < 0) throw new FunctionError("cannot use element function with a negative index", 1);
    return items[n % items.length]!;
  }),
  flatten: fn([p("list")], ([l]) => {
    const out: Value[] = [];
    requireSeq(l!, 0);
    flattenInto(l!, out);
    return seq(out, l!.type.kind !== "tuple");
  }),
  index: fn([p("list"), p("value")], ([l, v]) => {
    const i = requireSeq(l!, 0).findIndex((x) => valueEquals(x, v!) || looseEquals(x, v!));
    if (i < 0) throw new FunctionError("item not found", 1);
    return num(i);
  }),
  keys: fn([p("inputMap")], ([m]) => {
    if (m!.isNull || !isMapping(m!)) throw new FunctionError("must have map or object type", 0);
    return listOf(STRING, [...m!.entries.keys()].map(str));
  }),
  length: fn([p("value")], ([v]) => {
    if (v!.type.kind === "string") return num(graphemes(v!.str).length);
    if (isSequence(v!)) return num(v!.items.length);
    if (isMapping(v!)) return num(v!.entries.size);
    throw new FunctionError("argument must be a string, a collection type, or a structural type", 0);
  }),
  lookup: fn(
    [p("inputMap"), p("key", STRING)],
    ([m, k, ...rest]) => {
      if (rest.length > 1) throw new FunctionError("lookup() takes at most three arguments");
      if (m!.isNull || !isMapping(m!))
        throw new FunctionError("the first argument must be a map or an object", 0);
      const v = m!.entries.get(k!.str);
      if (v) return v;
      if (rest.length === 1) return rest[0]!;
      throw new FunctionError(`lookup failed to find key ${JSON.stringify(k!.str)}`, 1);
    },
    p("default", DYNAMIC, true),
  ),
  merge: fn(
    [],
    (args) => {
      const entries = new Map<string, Value>();
      let allMaps = args.length > 0;
      args.forEach((a, i) => {
        if (a.isNull) return;
        if (!isMapping(a))
          throw new FunctionError("arguments must be maps or objects, got " + a.type.kind, i);
        if (a.type.kind !== "map") allMaps = false;
        for (const [k, v] of a.entries) entries.set(k, v);
      });
      if (allMaps) {
        const u = unify([...entries.values()].map((v) => v.type));
        if (u)
          return mapOf(
            u,
            [...entries].map(([k, v]) => [k, convert(v, u)] as [string, Value]),
          );
      }
      return objectOf(entries);
    },
    p("maps", DYNAMIC, true),
  ),
  range: fn(
    [],
    (args) => {
      if (args.length < 1 || args.length > 3)
        throw new FunctionError("range() takes one to three arguments: [start,] limit [, step]");
      const ns = args.map((a, i) => {
        try {
          return convert(a, NUMBER).num;
        } catch {
          throw new FunctionError("a number is required", i);
        }
      });
      let start = 0;
      let limit: number;
      let step = 1;
      if (ns.length === 1) limit = ns[0]!;
      else {
        start = ns[0]!;
        limit = ns[1]!;
        step = ns[2] ?? (start > limit ? -1 : 1);
      }
      if (step === 0) throw new FunctionError("step must not be zero");
      if ((step > 0 && start > limit) || (step < 0 && start < limit)) {
        if (ns.length === 3)
          throw new FunctionError(
            step > 0
              ? "step must be negative when start is greater than limit"
              : "step must be positive when start is less than limit",
          );
      }
      const out: Value[] = [];
      for (let x = start; step > 0 ? x < limit : x > limit; x += step) {
        out.push(num(x));
        if (out.length > 1024)
          throw new FunctionError(
            "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step",
          );
      }
      return listOf(NUMBER, out);
    },
    p("params", NUMBER),
  ),
  reverse: fn([p("list")], ([l]) => {
    const items = [...requireSeq(l!, 0)].reverse();
    return l!.type.kind === "tuple" ? tupleOf(items) : seq(items, true, elemTypeOf(l!));
  }),
  setintersection: fn(
    [p("first_set")],
    (args) => {
      const { elem, sets } = setArgs(args);
      const [first, ...rest] = sets;
      return setOf(
        elem,
        first!.filter((v) => rest.every((s) => s.some((x) => valueEquals(x, v)))),
      );
    },
    p("other_sets"),
  ),
  setproduct: fn(
    [],
    (args) => {
      if (args.length < 2) throw new FunctionError("at least two arguments are required");
      const lists = args.map((a, i) => requireSeq(a, i, "set or list"));
      let acc: Value[][] = [[]];
      for (const l of lists) acc = acc.flatMap((prefix) => l.map((v) => [...prefix, v]));
      const allSets = args.every((a) => a.type.kind === "set");
      // Each combination is a tuple: its elements keep their own types.
      const rows = acc.map((r) => tupleOf(r));
      return allSets ? setOf(rows[0]?.type ?? DYNAMIC, rows) : seq(rows, true);
    },
    p("sets"),
  ),
  setunion: fn(
    [p("first_set")],
    (args) => {
      const { elem, sets } = setArgs(args);
      return setOf(elem, sets.flat());
    },
    p("other_sets"),
  ),
  slice: fn([p("list"), p("start_index", NUMBER), p("end_index", NUMBER)], ([l, s, e]) => {
    const items = requireSeq(l!, 0);
    const a = asIndex(s!, 1);
    const b = asIndex(e!, 2);
    if (a < 0) throw new FunctionError("start index must not be less than zero", 1);
    if (b > items.length)
      throw new FunctionError("end index must not be greater than the length of the list", 2);
    if (a > b) throw new FunctionError("start index must not be greater than end index", 1);
    const out = items.slice(a, b);
    return l!.type.kind === "tuple" ? tupleOf(out) : seq(out, true, elemTypeOf(l!));
  }),
  sort: fn([p("list", list(STRING))], ([l]) => {
    const items = l!.items.map((v, i) => {
      if (v.isNull)
        throw new FunctionError(`given list element ${i} is null; a null string cannot be sorted`, 0);
      return v.str;
    });
    return listOf(STRING, items.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(str));
  }),
  sum: fn([p("list")], ([l]) => {
    const items = requireSeq(l!, 0);
    if (items.length === 0) throw new FunctionError("cannot sum an empty list", 0);
    let total = 0;
    items.forEach((v, i) => {
      if (v.isNull)
        throw new FunctionError(
          `argument must be list, set, or tuple of number type; element ${i} is null`,
          0,
        );
      try {
        total += convert(v, NUMBER).num;
      } catch (e) {
        if (e instanceof ConversionError) throw new FunctionError(`element ${i}: a number is required`, 0);
        throw e;
      }
    });
    return num(total);
  }),
  values: fn([p("mapping")], ([m]) => {
    if (m!.isNull || !isMapping(m!)) throw new FunctionError("values() requires a map or an object", 0);
    return seq([...m!.entries.values()], m!.type.kind === "map", elemTypeOf(m!));
  }),
  zipmap: fn([p("keys", list(STRING)), p("values")], ([k, v]) => {
    const vals = requireSeq(v!, 1);
    if (k!.items.length !== vals.length) {
      throw new FunctionError(
        `number of keys (${k!.items.length}) does not match number of values (${vals.length})`,
      );
    }
    const entries: [string, Value][] = k!.items.map((key, i) => {
      if (key.isNull) throw new FunctionError(`keys list has null value at index ${i}`, 0);
      return [key.str, vals[i]!];
    });
    if (v!.type.kind === "tuple") return objectOf(entries);
    const elem = elemTypeOf(v!) ?? DYNAMIC;
    return mapOf(elem, entries);
  }),
};

/** contains()/index() convert the searched value to the element type first, as HCL does. */
function looseEquals(a: Value, b: Value): boolean {
  try {
    return valueEquals(a, convert(b, a.type));
  } catch {
    return false;
  }
}
