// yamlencode()/yamldecode() as Packer 1.6.6 has them (go-cty-yaml 1.0.1, a libyaml port). The
// `yaml` package reads and writes the text; this file holds only what go-cty-yaml decides on top
// of YAML: which plain scalars are booleans, numbers, nulls or timestamps (YAML 1.1 words such as
// `yes` and `off`, timestamps as RFC 3339 strings, NaN refused), which tags are allowed, `<<`
// merges, keys converted to strings, one document only; and how values are written (every string
// double-quoted, or a literal block when it spans lines; numbers without exponent; a plain scalar
// at the root ends the document with `...`).
import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import type { Node, Scalar as ScalarNode } from "yaml";
import { numberToString } from "../value.js";

// Loaded on first use: evaluating the package costs every kiln start ~15 ms of CPU (measured on
// the bundled CLI), and few templates call these functions. A require() the bundler leaves alone.
type YamlModule = typeof Yaml;
let loaded: YamlModule | undefined;
function yaml(): YamlModule {
  loaded ??= createRequire(import.meta.url)("yaml") as YamlModule;
  return loaded;
}
export class YamlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

// ---- encoder -----------------------------------------------------------------------------

/** libyaml's printable set (go-yaml `is_printable`): tabs, C1 controls, BOM and non-BMP are not. */
function printable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (
    c === 0x0a ||
    (c >= 0x20 && c <= 0x7e) ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff)
  );
}

/**
 * libyaml writes a multi-line string as a literal block only when the block can hold it exactly:
 * no space at the end or before a line break, nothing unprintable. Otherwise it double-quotes it.
 */
function literalAllowed(s: string): boolean {
  // libyaml would also keep U+2028/U+2029 in a literal block; kiln double-quotes those rare strings
  // so that every such character in the output is inside quotes and can be escaped (below).
  return !s.endsWith(" ") && !/ [\n\r]|[\u2028\u2029]/.test(s) && [...s].every(printable);
}

/**
 * libyaml's escapes for the line separators the package leaves as they are in double quotes (the
 * only place they can be: see literalAllowed).
 */
function escapeSeparators(text: string): string {
  return text.replace(/[\u0085\u2028\u2029]/g, (c) =>
    c === "\u0085" ? "\\N" : c === "\u2028" ? "\\L" : "\\P",
  );
}

function goNumber(n: number): string {
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return numberToString(n);
}

export function yamlEncode(x: unknown): string {
  const { Document, isScalar, visit } = yaml();
  // Scalars become strings with an explicit style; the failsafe schema then writes plain ones
  // (numbers, booleans, null) exactly as given, without quoting them as look-alike strings.
  const doc = new Document(x, { schema: "failsafe" });
  let plainRoot = false;
  visit(doc, {
    Scalar(_, node) {
      const v: unknown = node.value;
      if (typeof v === "string") {
        node.type = v.includes("\n") && literalAllowed(v) ? "BLOCK_LITERAL" : "QUOTE_DOUBLE";
        return;
      }
      node.value =
        v === null || v === undefined
          ? "null"
          : typeof v === "number"
            ? goNumber(v)
            : typeof v === "boolean"
              ? String(v)
              : JSON.stringify(v);
      node.type = "PLAIN";
      if (node === doc.contents) plainRoot = true;
    },
  });
  const options = {
    indentSeq: false,
    lineWidth: 80,
    minContentWidth: 0,
    // libyaml keeps `\n` escapes in double-quoted strings rather than folding at them.
    doubleQuotedMinMultiLineLength: Number.MAX_SAFE_INTEGER,
  };
  const root = doc.contents;
  if (isScalar(root) && root.type === "BLOCK_LITERAL") {
    // libyaml indents a literal block at the root like one in a sequence item: write it as one.
    const item = new Document([root.value], { schema: "failsafe" });
    visit(item, {
      Scalar(_, node) {
        node.type = "BLOCK_LITERAL";
      },
    });
    return escapeSeparators(item.toString(options).replace(/^- /, ""));
  }
  const text = escapeSeparators(doc.toString(options));
  // A plain scalar alone leaves the document open, so libyaml closes it explicitly.
  return plainRoot ? `${text}...\n` : text;
}

// ---- decoder -----------------------------------------------------------------------------

const TAG = "tag:yaml.org,2002:";
const TAGS = new Set(["str", "bool", "int", "float", "null", "timestamp", "binary"].map((t) => TAG + t));

const WORDS = new Map<string, boolean | null | number>();
for (const w of ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]) WORDS.set(w, true);
for (const w of ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"])
  WORDS.set(w, false);
for (const w of ["", "~", "null", "Null", "NULL"]) WORDS.set(w, null);
for (const w of [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]) WORDS.set(w, Infinity);
for (const w of ["-.inf", "-.Inf", "-.INF"]) WORDS.set(w, -Infinity);

/** cty.ParseNumberVal: a decimal number (big.ParseFloat, base 10), or undefined. */
function decimal(s: string): number | undefined {
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  if (/^[-+]?inf(inity)?$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  return undefined;
}

/** Go's strconv.ParseInt/ParseUint with base 0 (`0x`, `0o`, `0b`, leading-zero octal), or undefined. */
function goInteger(s: string): number | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9]\d*|0)$/.exec(s);
  if (!m) return undefined;
  const body = m[2]!.toLowerCase();
  const n =
    body.startsWith("0x") || body.startsWith("0b")
      ? Number(body)
      : body.length > 1 && body.startsWith("0")
        ? parseInt(body.replace(/^0o?/, ""), 8)
        : Number(body);
  return m[1] === "-" ? -n : n;
}

const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])|( ))(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** The layouts go-cty-yaml tries, as RFC 3339 without fractional seconds (Go's time.RFC3339). */
function timestamp(s: string): string | undefined {
  const m = TIMESTAMP.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, t, space, h = "0", mi = "0", se = "0", zone] = m;
  // "T" needs a zone (layout …Z07:00); " " takes none; a date alone is midnight UTC.
  if ((t !== undefined && zone === undefined) || (space !== undefined && zone !== undefined))
    return undefined;
  const [Y, M, D, H, Mi, S] = [y, mo, d, h, mi, se].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const days = new Date(Date.UTC(Y, M, 0)).getUTCDate();
  if (M < 1 || M > 12 || D < 1 || D > days || H > 23 || Mi > 59 || S > 59) return undefined;
  const two = (n: number) => String(n).padStart(2, "0");
  const offset = zone === undefined || zone === "Z" || /^[+-]00:00$/.test(zone) ? "Z" : zone;
  return `${y}-${two(M)}-${two(D)}T${two(H)}:${two(Mi)}:${two(S)}${offset}`;
}

const MERGE = Symbol("merge");

/** go-cty-yaml's resolveScalar (v1.0.1). */
function resolveScalar(node: ScalarNode, line: number): unknown {
  // The package itself turns !!binary and !!timestamp into bytes and dates: take their text.
  const src = typeof node.value === "string" ? node.value : (node.source ?? String(node.value));
  const tag = node.tag ?? "";
  if (tag !== "" && !TAGS.has(tag))
    throw new YamlError(`unsupported tag ${JSON.stringify(shortTag(tag))}`, line);
  const quoted = node.type === "QUOTE_SINGLE" || node.type === "QUOTE_DOUBLE";
  const first = src[0] ?? "";
  const hint =
    src === ""
      ? "N"
      : /[-+0-9]/.test(first)
        ? "D"
        : /[yYnNtTfFoO~]/.test(first)
          ? "M"
          : first === "."
            ? "."
            : "";
  let as = tag;
  if (hint !== "" && tag !== `${TAG}str` && tag !== `${TAG}binary`) {
    if (quoted) return src;
    if (WORDS.has(src)) return WORDS.get(src);
    if (tag === "" && /^\.(nan|NaN|NAN)$/.test(src))
      throw new YamlError("floating point NaN is not supported", line);
    if (hint === ".") {
      const n = decimal(src);
      if (n !== undefined) return n;
    } else if (hint === "D") {
      if (tag === "" || tag === `${TAG}timestamp`) {
        const t = timestamp(src);
        if (t !== undefined) return t;
      }
      const plain = src.replaceAll("_", "");
      const n = decimal(plain);
      if (n !== undefined) return n;
      if (/^-?0b/.test(plain)) as = `${TAG}int`;
    }
  }
  if (tag === "" && src === "<<") return MERGE;
  switch (as) {
    case `${TAG}binary`:
      if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(src))
        throw new YamlError(`cannot parse ${JSON.stringify(src)} as ${as}: not valid base64`, line);
      return src;
    case `${TAG}bool`: {
      const w = WORDS.get(src);
      if (typeof w !== "boolean") throw new YamlError(`cannot parse ${JSON.stringify(src)} as ${as}`, line);
      return w;
    }
    case `${TAG}int`:
    case `${TAG}float`: {
      const plain = src.replaceAll("_", "");
      const n = decimal(plain) ?? goInteger(plain);
      if (n === undefined) throw new YamlError(`cannot parse ${JSON.stringify(src)} as ${as}`, line);
      return n;
    }
    case `${TAG}timestamp`: {
      const t = timestamp(src);
      if (t === undefined) throw new YamlError(`cannot parse ${JSON.stringify(src)} as ${as}`, line);
      return t;
    }
    case `${TAG}null`:
      return null;
    default:
      return src;
  }
}

function shortTag(tag: string): string {
  return tag.startsWith(TAG) ? `!!${tag.slice(TAG.length)}` : tag;
}

/** Defines the key even when it is `__proto__`. */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

export function yamlDecode(src: string): unknown {
  const { isAlias, isMap, isScalar, isSeq, parseDocument } = yaml();
  const doc = parseDocument(src, { schema: "failsafe", merge: false, uniqueKeys: false });
  const lineOf = (node: { range?: [number, number, number] | null }): number => {
    const offset = node.range?.[0] ?? 0;
    return src.slice(0, offset).split("\n").length;
  };
  const problem = doc.errors[0];
  if (problem) {
    const message = problem.code === "MULTIPLE_DOCS" ? "only a single document is allowed" : problem.message;
    throw new YamlError(message.split(" at line ")[0]!, problem.linePos?.[0].line ?? 1);
  }
  if (doc.contents === null) throw new YamlError("missing start of document", 1);

  const anchors = new Map<string, unknown>();
  const convert = (node: Node | null): unknown => {
    if (node === null) return null;
    let value: unknown;
    if (isAlias(node)) {
      if (!anchors.has(node.source))
        throw new YamlError(`reference to undefined anchor ${JSON.stringify(node.source)}`, lineOf(node));
      return anchors.get(node.source);
    }
    if (isScalar(node)) {
      value = resolveScalar(node, lineOf(node));
      if (value === MERGE) value = "<<"; // only a mapping key merges
    } else if (isSeq(node)) {
      if (node.tag && node.tag !== `${TAG}seq`)
        throw new YamlError(`can't interpret sequence as ${node.tag}`, lineOf(node));
      value = node.items.map((item) => convert(item as Node | null));
    } else if (isMap(node)) {
      if (node.tag && node.tag !== `${TAG}map`)
        throw new YamlError(`can't interpret mapping as ${node.tag}`, lineOf(node));
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? resolveScalar(keyNode, lineOf(keyNode)) : undefined;
        if (key === MERGE) {
          const merged = convert(pair.value as Node | null);
          if (merged === null || typeof merged !== "object" || Array.isArray(merged))
            throw new YamlError(
              `cannot merge ${Array.isArray(merged) ? "tuple" : typeof merged} into mapping`,
              lineOf(keyNode!),
            );
          for (const [k, v] of Object.entries(merged)) setKey(out, k, v);
          continue;
        }
        if (!isScalar(keyNode) || (typeof key === "object" && key !== null))
          throw new YamlError("only strings are allowed as mapping keys", lineOf(keyNode ?? node));
        if (key === null) throw new YamlError("mapping key cannot be null", lineOf(keyNode));
        const name =
          typeof key === "number" ? goNumber(key) : typeof key === "string" ? key : JSON.stringify(key);
        setKey(out, name, convert(pair.value as Node | null));
      }
      value = out;
    } else {
      throw new YamlError("unexpected YAML node", lineOf(node));
    }
    if (node.anchor) anchors.set(node.anchor, value);
    return value;
  };
  return convert(doc.contents);
}
