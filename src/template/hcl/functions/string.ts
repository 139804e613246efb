// String functions (go-cty stdlib semantics; strings are sequences of grapheme clusters).
import { DYNAMIC, NUMBER, STRING, list } from "../types.js";
import type { Value } from "../value.js";
import { bool, isSequence, listOf, objectOf, str } from "../value.js";
import { goFormat } from "./go-format.js";
import { goRegExp, goReplacement } from "./regex.js";
import { FunctionError, fn, p, type FunctionDef } from "./registry.js";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export function graphemes(s: string): string[] {
  return Array.from(segmenter.segment(s), (g) => g.segment);
}

const strings = (vals: string[]): Value => listOf(STRING, vals.map(str));

function regexMatchValue(m: RegExpExecArray): Value {
  if (m.groups && Object.keys(m.groups).length > 0) {
    return objectOf(Object.entries(m.groups).map(([k, v]) => [k, str(v ?? "")]));
  }
  if (m.length > 1)
    return listOf(
      STRING,
      m.slice(1).map((g) => str(g ?? "")),
    );
  return str(m[0]);
}

function formatList(format: string, args: Value[]): Value {
  let n = -1;
  args.forEach((a, i) => {
    if (!a.isNull && isSequence(a)) {
      if (n !== -1 && a.items.length !== n) {
        throw new FunctionError(
          `argument ${i + 1} has length ${a.items.length}, which is inconsistent with the previous list arguments of length ${n}`,
          i + 1,
        );
      }
      n = a.items.length;
    }
  });
  if (n === -1) return listOf(STRING, [str(goFormat(format, args))]);
  const out: Value[] = [];
  for (let k = 0; k < n; k++) {
    out.push(
      str(
        goFormat(
          format,
          args.map((a) => (!a.isNull && isSequence(a) ? a.items[k]! : a)),
        ),
      ),
    );
  }
  return listOf(STRING, out);
}

export const stringFunctions: Record<string, FunctionDef> = {
  chomp: fn([p("str", STRING)], ([s]) => str(s!.str.replace(/(?:\r\n|\r|\n)+$/, ""))),
  format: fn([p("format", STRING)], ([f, ...args]) => str(goFormat(f!.str, args)), p("args", DYNAMIC, true)),
  formatlist: fn([p("format", STRING)], ([f, ...args]) => formatList(f!.str, args), p("args", DYNAMIC, true)),
  indent: fn([p("spaces", NUMBER), p("str", STRING)], ([n, s]) =>
    str(s!.str.replace(/\n/g, "\n" + " ".repeat(Math.max(0, n!.num)))),
  ),
  join: fn(
    [p("separator", STRING)],
    ([sep, ...lists]) => {
      if (lists.length === 0) throw new FunctionError("at least one list is required");
      const parts: string[] = [];
      lists.forEach((l, li) =>
        l.items.forEach((v, i) => {
          if (v.isNull)
            throw new FunctionError(
              `element ${i} of list ${li + 1} is null; cannot concatenate null values`,
              li + 1,
            );
          parts.push(v.str);
        }),
      );
      return str(parts.join(sep!.str));
    },
    p("lists", list(STRING)),
  ),
  lower: fn([p("str", STRING)], ([s]) => str(s!.str.toLowerCase())),
  upper: fn([p("str", STRING)], ([s]) => str(s!.str.toUpperCase())),
  replace: fn([p("str", STRING), p("substr", STRING), p("replace", STRING)], ([s, sub, rep]) => {
    const pattern = sub!.str;
    if (pattern.length > 1 && pattern.startsWith("/") && pattern.endsWith("/")) {
      return str(s!.str.replace(goRegExp(pattern.slice(1, -1), true, 1), goReplacement(rep!.str)));
    }
    return str(s!.str.split(pattern).join(rep!.str));
  }),
  regex_replace: fn([p("str", STRING), p("substr", STRING), p("replace", STRING)], ([s, pat, rep]) =>
    str(s!.str.replace(goRegExp(pat!.str, true, 1), goReplacement(rep!.str))),
  ),
  regex: fn([p("pattern", STRING), p("string", STRING)], ([pat, s]) => {
    const m = goRegExp(pat!.str, false).exec(s!.str);
    if (!m) throw new FunctionError("pattern did not match any part of the given string", 1);
    return regexMatchValue(m);
  }),
  regexall: fn([p("pattern", STRING), p("string", STRING)], ([pat, s]) => {
    const re = goRegExp(pat!.str, true);
    const out = [...s!.str.matchAll(re)].map((m) => regexMatchValue(m));
    const elemType = out[0]?.type ?? STRING;
    return listOf(elemType, out);
  }),
  split: fn([p("separator", STRING), p("str", STRING)], ([sep, s]) =>
    strings(sep!.str === "" ? Array.from(s!.str) : s!.str.split(sep!.str)),
  ),
  strrev: fn([p("str", STRING)], ([s]) => str(graphemes(s!.str).reverse().join(""))),
  substr: fn([p("str", STRING), p("offset", NUMBER), p("length", NUMBER)], ([s, o, l]) => {
    const g = graphemes(s!.str);
    let offset = Math.trunc(o!.num);
    let length = Math.trunc(l!.num);
    if (offset < 0) offset += g.length;
    if (offset < 0) throw new FunctionError("offset is out of range for the given string", 1);
    if (offset > g.length) throw new FunctionError("offset is out of range for the given string", 1);
    if (length < 0) {
      if (length !== -1)
        throw new FunctionError("length must be -1 (the rest of the string) or a non-negative number", 2);
      length = g.length - offset;
    }
    return str(g.slice(offset, offset + length).join(""));
  }),
  title: fn([p("str", STRING)], ([s]) =>
    str(
      s!.str.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase()),
    ),
  ),
  trim: fn([p("str", STRING), p("cutset", STRING)], ([s, cut]) => {
    const set = new Set(Array.from(cut!.str));
    const chars = Array.from(s!.str);
    let a = 0;
    let b = chars.length;
    while (a < b && set.has(chars[a]!)) a++;
    while (b > a && set.has(chars[b - 1]!)) b--;
    return str(chars.slice(a, b).join(""));
  }),
  trimprefix: fn([p("str", STRING), p("prefix", STRING)], ([s, pre]) =>
    str(s!.str.startsWith(pre!.str) ? s!.str.slice(pre!.str.length) : s!.str),
  ),
  trimsuffix: fn([p("str", STRING), p("suffix", STRING)], ([s, suf]) =>
    str(suf!.str !== "" && s!.str.endsWith(suf!.str) ? s!.str.slice(0, -suf!.str.length) : s!.str),
  ),
  trimspace: fn([p("str", STRING)], ([s]) => str(s!.str.replace(/^\s+|\s+$/gu, ""))),
  startswith: fn([p("str", STRING), p("prefix", STRING)], ([s, pre]) => bool(s!.str.startsWith(pre!.str))),
  endswith: fn([p("str", STRING), p("suffix", STRING)], ([s, suf]) => bool(s!.str.endsWith(suf!.str))),
  strcontains: fn([p("str", STRING), p("substr", STRING)], ([s, sub]) => bool(s!.str.includes(sub!.str))),
};
