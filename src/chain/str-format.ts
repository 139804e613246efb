// Python's `str.format`, as corpusops' IMAGES.json uses it in `file` and `extra_args`
// (`{name}`, `{tag}`, `{img_parts[tag]}`, `{0}`): replacement fields with attribute and index
// lookups, `!s`/`!r`/`!a` conversions, `{{`/`}}` escapes and the string format spec
// (fill, align, width, precision). Values print as Python's str() would print them.
import { suggest } from "../template/suggest.js";

export type FormatValue = string | number | boolean | null | FormatValue[] | { [key: string]: FormatValue };

/** A format error at `offset` (0-based) of the format string, worded like Python's. */
export class FormatError extends Error {
  override readonly name = "FormatError";
  constructor(
    message: string,
    readonly offset: number,
    readonly suggestions: string[] = [],
  ) {
    super(message);
  }
}

export function pyFormat(
  format: string,
  positional: readonly FormatValue[],
  named: Readonly<Record<string, FormatValue>>,
): string {
  let out = "";
  let auto = 0;
  let numbering: "auto" | "manual" | undefined;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c === "}") {
      if (format[i + 1] === "}") {
        out += "}";
        i += 2;
        continue;
      }
      throw new FormatError("Single '}' encountered in format string", i);
    }
    if (c !== "{") {
      out += c;
      i++;
      continue;
    }
    if (format[i + 1] === "{") {
      out += "{";
      i += 2;
      continue;
    }
    const start = i;
    const end = fieldEnd(format, i + 1);
    if (end === -1) throw new FormatError("Single '{' encountered in format string", start);
    const body = format.slice(i + 1, end);
    i = end + 1;
    const { fieldName, conversion, spec } = splitField(body, start);
    const parsed = parseFieldName(fieldName, start);
    let value: FormatValue;
    if (parsed.arg === "") {
      if (numbering === "manual") {
        throw new FormatError(
          "cannot switch from manual field specification to automatic field numbering",
          start,
        );
      }
      numbering = "auto";
      value = lookupPositional(positional, auto++, start);
    } else if (/^\d+$/.test(parsed.arg)) {
      if (numbering === "auto") {
        throw new FormatError(
          "cannot switch from automatic field numbering to manual field specification",
          start,
        );
      }
      numbering = "manual";
      value = lookupPositional(positional, Number(parsed.arg), start);
    } else {
      if (!Object.hasOwn(named, parsed.arg)) {
        throw new FormatError(
          `KeyError: '${parsed.arg}'`,
          start + 1,
          suggest(parsed.arg, Object.keys(named)),
        );
      }
      value = named[parsed.arg]!;
    }
    for (const step of parsed.steps) value = lookupStep(value, step, start);
    out += applySpec(convert(value, conversion, start), spec, typeof value === "number", start);
  }
  return out;
}

/** Where the field that starts at `from` closes (nested braces in a format spec count). */
function fieldEnd(format: string, from: number): number {
  let depth = 1;
  for (let j = from; j < format.length; j++) {
    if (format[j] === "{") depth++;
    else if (format[j] === "}" && --depth === 0) return j;
  }
  return -1;
}

function splitField(body: string, at: number): { fieldName: string; conversion?: string; spec: string } {
  // The field name ends at the first `!` or `:` outside an index bracket.
  let j = 0;
  let inIndex = false;
  for (; j < body.length; j++) {
    const ch = body[j]!;
    if (ch === "[") inIndex = true;
    else if (ch === "]") inIndex = false;
    else if (!inIndex && (ch === "!" || ch === ":")) break;
  }
  const fieldName = body.slice(0, j);
  let rest = body.slice(j);
  let conversion: string | undefined;
  if (rest.startsWith("!")) {
    conversion = rest[1];
    rest = rest.slice(2);
    if (conversion === undefined || (rest !== "" && !rest.startsWith(":"))) {
      throw new FormatError("expected ':' after conversion specifier", at);
    }
  }
  const spec = rest.startsWith(":") ? rest.slice(1) : "";
  if (spec.includes("{"))
    throw new FormatError("nested replacement fields in a format spec are not supported", at);
  return { fieldName, spec, ...(conversion !== undefined ? { conversion } : {}) };
}

type Step = { kind: "attr"; name: string } | { kind: "index"; key: string };

function parseFieldName(name: string, at: number): { arg: string; steps: Step[] } {
  const m = /^[^.[]*/.exec(name)!;
  const arg = m[0];
  const steps: Step[] = [];
  let rest = name.slice(arg.length);
  while (rest !== "") {
    if (rest.startsWith(".")) {
      const attr = /^\.([^.[]*)/.exec(rest)!;
      if (attr[1] === "") throw new FormatError("Empty attribute in format string", at);
      steps.push({ kind: "attr", name: attr[1]! });
      rest = rest.slice(attr[0].length);
    } else {
      const close = rest.indexOf("]");
      if (close === -1) throw new FormatError("expected '}' before end of string", at);
      const key = rest.slice(1, close);
      if (key === "") throw new FormatError("Empty attribute in format string", at);
      steps.push({ kind: "index", key });
      rest = rest.slice(close + 1);
      if (rest !== "" && !rest.startsWith(".") && !rest.startsWith("[")) {
        throw new FormatError("Only '.' or '[' may follow ']' in format field specifier", at);
      }
    }
  }
  return { arg, steps };
}

function lookupPositional(values: readonly FormatValue[], index: number, at: number): FormatValue {
  if (index >= values.length) {
    throw new FormatError(
      `IndexError: Replacement index ${index} out of range for positional args tuple`,
      at,
    );
  }
  return values[index]!;
}

function lookupStep(value: FormatValue, step: Step, at: number): FormatValue {
  if (step.kind === "attr") {
    throw new FormatError(`AttributeError: '${pyType(value)}' object has no attribute '${step.name}'`, at);
  }
  // Python: an all-digit index is an integer.
  const key: string | number = /^\d+$/.test(step.key) ? Number(step.key) : step.key;
  if (Array.isArray(value)) {
    if (typeof key !== "number")
      throw new FormatError("TypeError: list indices must be integers or slices, not str", at);
    if (key >= value.length) throw new FormatError("IndexError: list index out of range", at);
    return value[key]!;
  }
  if (value !== null && typeof value === "object") {
    if (typeof key === "number" || !Object.hasOwn(value, key)) {
      throw new FormatError(
        `KeyError: ${typeof key === "number" ? key : `'${key}'`}`,
        at,
        suggest(String(key), Object.keys(value)),
      );
    }
    return value[key]!;
  }
  if (typeof value === "string") {
    if (typeof key !== "number") throw new FormatError("TypeError: string indices must be integers", at);
    if (key >= value.length) throw new FormatError("IndexError: string index out of range", at);
    return value[key]!;
  }
  throw new FormatError(`TypeError: '${pyType(value)}' object is not subscriptable`, at);
}

function pyType(value: FormatValue): string {
  if (value === null) return "NoneType";
  if (Array.isArray(value)) return "list";
  switch (typeof value) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(value) ? "int" : "float";
    default:
      return "dict";
  }
}

function convert(value: FormatValue, conversion: string | undefined, at: number): string {
  switch (conversion) {
    case undefined:
    case "s":
      return pyStr(value);
    case "r":
      return pyRepr(value);
    case "a":
      return pyRepr(value).replace(/[\u0080-\u{10ffff}]/gu, (ch) => {
        const code = ch.codePointAt(0)!;
        const hex = code.toString(16);
        if (code <= 0xff) return `\\x${hex.padStart(2, "0")}`;
        return code <= 0xffff ? `\\u${hex.padStart(4, "0")}` : `\\U${hex.padStart(8, "0")}`;
      });
    default:
      throw new FormatError(`Unknown conversion specifier ${conversion}`, at);
  }
}

/** Python's str(). */
export function pyStr(value: FormatValue): string {
  if (typeof value === "string") return value;
  return pyRepr(value);
}

/** Python's repr() of JSON-shaped data. */
export function pyRepr(value: FormatValue): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value
      .replace(/\\/g, "\\\\")
      .replace(/\n/g, "\\n")
      .replace(/\r/g, "\\r")
      .replace(/\t/g, "\\t")
      .replace(new RegExp(quote, "g"), `\\${quote}`);
    return `${quote}${body}${quote}`;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
    .join(", ")}}`;
}

const SPEC = /^(?:(.)?([<>^]))?(\d+)?(?:\.(\d+))?(s)?$/s;

function applySpec(text: string, spec: string, numeric: boolean, at: number): string {
  if (spec === "") return text;
  const m = SPEC.exec(spec);
  if (!m)
    throw new FormatError(
      `format spec ${JSON.stringify(spec)} is not supported (fill, align, width, precision)`,
      at,
    );
  const [, fill = " ", align = numeric ? ">" : "<", width, precision] = m;
  let s = precision !== undefined ? [...text].slice(0, Number(precision)).join("") : text;
  const pad = Math.max(0, Number(width ?? 0) - [...s].length);
  if (align === "<") s = s + fill.repeat(pad);
  else if (align === ">") s = fill.repeat(pad) + s;
  else s = fill.repeat(Math.floor(pad / 2)) + s + fill.repeat(pad - Math.floor(pad / 2));
  return s;
}
