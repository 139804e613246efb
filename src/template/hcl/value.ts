// Typed HCL values. Maps and objects keep their keys sorted, because HCL iterates them (for
import { inspect } from "node:util";
// expressions, keys(), jsonencode) in lexical order.
import {
  BOOL,
  DYNAMIC,
  NUMBER,
  STRING,
  list as listType,
  map as mapType,
  object as objectType,
  set as setType,
  tuple as tupleType,
  type Type,
} from "./types.js";

export type Raw = null | string | number | boolean | Value[] | Map<string, Value>;

export class Value {
  constructor(
    readonly type: Type,
    readonly v: Raw,
  ) {}

  get isNull(): boolean {
    return this.v === null;
  }
  /** Elements of a list, set or tuple. */
  get items(): Value[] {
    return this.v as Value[];
  }
  /** Entries of a map or object. */
  get entries(): Map<string, Value> {
    return this.v as Map<string, Value>;
  }
  get str(): string {
    return this.v as string;
  }
  get num(): number {
    return this.v as number;
  }
  get bool(): boolean {
    return this.v as boolean;
  }
}

export const TRUE = new Value(BOOL, true);
export const FALSE = new Value(BOOL, false);
export const NULL = new Value(DYNAMIC, null);

export const str = (s: string): Value => new Value(STRING, s);
export const num = (n: number): Value => new Value(NUMBER, n);
export const bool = (b: boolean): Value => (b ? TRUE : FALSE);
export const nullOf = (t: Type): Value => new Value(t, null);

export function tupleOf(items: Value[]): Value {
  return new Value(tupleType(items.map((v) => v.type)), items);
}

export function listOf(elem: Type, items: Value[]): Value {
  return new Value(listType(elem), items);
}

export function setOf(elem: Type, items: Value[]): Value {
  const unique: Value[] = [];
  for (const v of items) if (!unique.some((u) => valueEquals(u, v))) unique.push(v);
  unique.sort(compareSetElems);
  return new Value(setType(elem), unique);
}

function sortedMap(entries: Iterable<[string, Value]>): Map<string, Value> {
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function mapOf(elem: Type, entries: Iterable<[string, Value]>): Value {
  return new Value(mapType(elem), sortedMap(entries));
}

export function objectOf(entries: Iterable<[string, Value]>): Value {
  const m = sortedMap(entries);
  return new Value(objectType(new Map([...m].map(([k, v]) => [k, v.type]))), m);
}

/** Sets are ordered as go-cty orders them: strings lexically, numbers numerically, false first. */
function compareSetElems(a: Value, b: Value): number {
  if (typeof a.v === "number" && typeof b.v === "number") return a.v - b.v;
  if (typeof a.v === "string" && typeof b.v === "string") return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  if (typeof a.v === "boolean" && typeof b.v === "boolean") return Number(a.v) - Number(b.v);
  const ja = JSON.stringify(toJS(a));
  const jb = JSON.stringify(toJS(b));
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

export function isSequence(v: Value): boolean {
  const k = v.type.kind;
  return k === "list" || k === "set" || k === "tuple";
}

export function isMapping(v: Value): boolean {
  const k = v.type.kind;
  return k === "map" || k === "object";
}

export function valueEquals(a: Value, b: Value): boolean {
  if (a.v === null || b.v === null) return a.v === null && b.v === null;
  if (isSequence(a) && isSequence(b)) {
    if ((a.type.kind === "set") !== (b.type.kind === "set")) return false;
    const x = a.items;
    const y = b.items;
    return x.length === y.length && x.every((v, i) => valueEquals(v, y[i]!));
  }
  if (isMapping(a) && isMapping(b)) {
    const x = a.entries;
    const y = b.entries;
    if (x.size !== y.size) return false;
    for (const [k, v] of x) {
      const o = y.get(k);
      if (!o || !valueEquals(v, o)) return false;
    }
    return true;
  }
  if (a.type.kind !== b.type.kind) return false;
  return a.v === b.v;
}

/** Plain JavaScript data (for component configs, jsonencode, tests). */
export function toJS(v: Value): unknown {
  if (v.v === null) return null;
  if (v.v instanceof Map) return Object.fromEntries([...v.v].map(([k, x]) => [k, toJS(x)]));
  if (Array.isArray(v.v)) return v.v.map(toJS);
  return v.v;
}

/** Infers HCL types from plain data the way a literal would: arrays are tuples, objects objects. */
export function fromJS(x: unknown): Value {
  if (x === null || x === undefined) return NULL;
  if (typeof x === "string") return str(x);
  if (typeof x === "number") return num(x);
  if (typeof x === "boolean") return bool(x);
  if (Array.isArray(x)) return tupleOf(x.map(fromJS));
  if (typeof x === "object")
    return objectOf(Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, fromJS(v)]));
  // bigint, symbol, function: their own text.
  return str(inspect(x));
}

/** How a number becomes a string in HCL: no exponent, no trailing zeros. */
export function numberToString(n: number): string {
  if (Number.isInteger(n)) {
    return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
  }
  const s = String(n);
  if (!s.includes("e")) return s;
  // Small magnitudes: expand the exponent.
  const [mant, expPart] = s.split("e") as [string, string];
  const exp = Number(expPart);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const intLen = mant.replace("-", "").split(".")[0]!.length;
  const point = intLen + exp;
  let out: string;
  if (point <= 0) out = "0." + "0".repeat(-point) + digits;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = digits.slice(0, point) + "." + digits.slice(point);
  return (neg ? "-" : "") + out;
}

/** String forms of a value's leaves: for a sensitive value, what must never appear in output. */
export function leafStrings(v: Value): string[] {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (x === null || x === undefined) return;
    if (Array.isArray(x)) x.forEach(walk);
    else if (typeof x === "object") Object.values(x).forEach(walk);
    else if (
      typeof x === "string" ||
      typeof x === "number" ||
      typeof x === "boolean" ||
      typeof x === "bigint"
    ) {
      if (`${x}` !== "") out.push(`${x}`);
    }
  };
  walk(toJS(v));
  return out;
}
