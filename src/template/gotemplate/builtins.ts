// Go text/template's own functions (and, or, not, eq, …, printf), available in every Packer
// template next to Packer's functions.
import { FuncError } from "./errors.js";
import { describeValue, fn, goString, truthy, type FuncMap } from "./func.js";
import { sprintf } from "./go-printf.js";

type Thunk = () => unknown;

function comparable(name: string, a: unknown, b: unknown): void {
  const basic = (x: unknown) =>
    typeof x === "string" || typeof x === "number" || typeof x === "boolean" || x === null;
  if (!basic(a) || !basic(b)) throw new FuncError(`${name}: invalid type for comparison`);
  if (a !== null && b !== null && typeof a !== typeof b) {
    throw new FuncError(
      `${name}: incompatible types for comparison (${describeValue(a)} and ${describeValue(b)})`,
    );
  }
}

function ordered(name: string, a: unknown, b: unknown): [string | number, string | number] {
  comparable(name, a, b);
  if (typeof a === "boolean" || a === null) throw new FuncError(`${name}: invalid type for comparison`);
  return [a as string | number, b as string | number];
}

export const goBuiltins: FuncMap = {
  and: fn(
    "{{ and a b … }}",
    ["any"],
    (...xs: Thunk[]) => {
      let v: unknown;
      for (const x of xs) {
        v = x();
        if (!truthy(v)) return v;
      }
      return v;
    },
    { variadic: "any", lazy: true },
  ),
  or: fn(
    "{{ or a b … }}",
    ["any"],
    (...xs: Thunk[]) => {
      let v: unknown;
      for (const x of xs) {
        v = x();
        if (truthy(v)) return v;
      }
      return v;
    },
    { variadic: "any", lazy: true },
  ),
  not: fn("{{ not x }}", ["any"], (x: unknown) => !truthy(x)),
  eq: fn(
    "{{ eq a b … }}",
    ["any", "any"],
    (a: unknown, ...bs: unknown[]) =>
      bs.some((b) => {
        comparable("eq", a, b);
        return a === b;
      }),
    { variadic: "any" },
  ),
  ne: fn("{{ ne a b }}", ["any", "any"], (a: unknown, b: unknown) => {
    comparable("ne", a, b);
    return a !== b;
  }),
  lt: fn("{{ lt a b }}", ["any", "any"], (a: unknown, b: unknown) => {
    const [x, y] = ordered("lt", a, b);
    return x < y;
  }),
  le: fn("{{ le a b }}", ["any", "any"], (a: unknown, b: unknown) => {
    const [x, y] = ordered("le", a, b);
    return x <= y;
  }),
  gt: fn("{{ gt a b }}", ["any", "any"], (a: unknown, b: unknown) => {
    const [x, y] = ordered("gt", a, b);
    return x > y;
  }),
  ge: fn("{{ ge a b }}", ["any", "any"], (a: unknown, b: unknown) => {
    const [x, y] = ordered("ge", a, b);
    return x >= y;
  }),
  len: fn("{{ len x }}", ["any"], (x: unknown) => {
    if (typeof x === "string") return Buffer.byteLength(x, "utf8");
    if (Array.isArray(x)) return x.length;
    if (x && typeof x === "object") return Object.keys(x).length;
    throw new FuncError(`len of ${describeValue(x)}`);
  }),
  index: fn(
    "{{ index x key … }}",
    ["any"],
    (x: unknown, ...keys: unknown[]) => {
      let v = x;
      for (const k of keys) {
        if (Array.isArray(v) && typeof k === "number") {
          if (k < 0 || k >= v.length) throw new FuncError(`index out of range: ${k}`);
          v = v[k];
        } else if (v && typeof v === "object" && typeof k === "string") {
          v = (v as Record<string, unknown>)[k];
        } else {
          throw new FuncError(`can't index ${describeValue(v)} with ${describeValue(k)}`);
        }
      }
      return v;
    },
    { variadic: "any" },
  ),
  print: fn("{{ print a … }}", [], (...xs: unknown[]) => goPrint(xs), { variadic: "any" }),
  println: fn("{{ println a … }}", [], (...xs: unknown[]) => xs.map(goString).join(" ") + "\n", {
    variadic: "any",
  }),
  printf: fn("{{ printf format a … }}", ["string"], (f: string, ...xs: unknown[]) => sprintf(f, xs), {
    variadic: "any",
  }),
  html: fn("{{ html s }}", [], (...xs: unknown[]) => htmlEscape(goPrint(xs)), { variadic: "any" }),
  js: fn("{{ js s }}", [], (...xs: unknown[]) => jsEscape(goPrint(xs)), { variadic: "any" }),
  urlquery: fn("{{ urlquery s }}", [], (...xs: unknown[]) => queryEscape(goPrint(xs)), { variadic: "any" }),
};

/** fmt.Sprint: spaces only between operands when neither is a string. */
function goPrint(xs: unknown[]): string {
  let out = "";
  xs.forEach((x, i) => {
    if (i > 0 && typeof x !== "string" && typeof xs[i - 1] !== "string") out += " ";
    out += goString(x);
  });
  return out;
}

function htmlEscape(s: string): string {
  const map: Record<string, string> = {
    "<": "&lt;",
    ">": "&gt;",
    "&": "&amp;",
    "'": "&#39;",
    '"': "&#34;",
    "\0": "\uFFFD",
  };
  return s.replace(/[<>&'"\0]/g, (c) => map[c]!);
}

function jsEscape(s: string): string {
  const map: Record<string, string> = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
  };
  return s.replace(
    /[\\'"<>&=]|[^\x20-\uffff]/g,
    (c) => map[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );
}

function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}
