// The shape of a template function, and Go's rules for printing and testing values.
import { inspect } from "node:util";
import { FuncError } from "./errors.js";

/** Go's template engine type-checks arguments against the function's signature; so do we. */
export type ParamType = "string" | "int" | "any";

export interface TemplateFunc {
  params: readonly ParamType[];
  /** Extra arguments allowed after `params`, each of this type. */
  variadic?: ParamType;
  /** How to call it, shown when the arguments are wrong. */
  usage: string;
  /** Any use is an error with this message (env outside variables, unsupported secrets, sed). */
  unavailable?: { message: string; detail?: string };
  /** `and`/`or` evaluate their arguments lazily: they receive thunks. */
  lazy?: boolean;
  call(...args: unknown[]): unknown;
}

export type FuncMap = Readonly<Record<string, TemplateFunc>>;

export function hasFunc(funcs: FuncMap, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(funcs, name);
}

/** A thin helper so function tables stay readable. */
export function fn(
  usage: string,
  params: readonly ParamType[],
  call: (...args: never[]) => unknown,
  extra: Partial<Pick<TemplateFunc, "variadic" | "lazy">> = {},
): TemplateFunc {
  return { usage, params, call: call, ...extra };
}

export function unavailable(usage: string, message: string, detail?: string): TemplateFunc {
  return {
    usage,
    params: [],
    variadic: "any",
    unavailable: { message, detail },
    call() {
      throw new FuncError(message, { detail });
    },
  };
}

/** fmt.Sprint of a value, as Go's template engine prints it. */
export function goString(v: unknown): string {
  if (v === undefined || v === null) return "<no value>";
  if (typeof v === "string") return v;
  if (typeof v === "number") return goNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) return `[${v.map(goString).join(" ")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `map[${entries.map(([k, x]) => `${k}:${goString(x)}`).join(" ")}]`;
  }
  return typeof v === "symbol" || typeof v === "function" ? inspect(v) : `${v as number | boolean | bigint}`;
}

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  // Go's %v for floats uses the shortest 'g' form with a two-digit exponent.
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    return n.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  }
  return String(n);
}

/** Go's notion of truth in `if`, `and`, `or`, `not`. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

export function describeValue(v: unknown): string {
  if (typeof v === "string") return `string ${JSON.stringify(v)}`;
  if (typeof v === "number") return Number.isInteger(v) ? `int ${v}` : `float ${v}`;
  if (typeof v === "boolean") return `bool ${v}`;
  if (v === null || v === undefined) return "nil";
  return Array.isArray(v) ? "list" : "map";
}
