// HCL patterns are RE2 (Go) syntax; this translates the parts that differ from JavaScript:
// leading inline flags, `(?P<name>`, `\A`/`\z`, POSIX classes, and `${1}` in replacements.
import { FunctionError } from "./registry.js";

const POSIX: Record<string, string> = {
  alpha: "A-Za-z",
  digit: "0-9",
  alnum: "0-9A-Za-z",
  upper: "A-Z",
  lower: "a-z",
  space: "\\t\\n\\v\\f\\r ",
  xdigit: "0-9A-Fa-f",
  word: "0-9A-Za-z_",
  punct: "!-\\/:-@\\[-`{-~",
  blank: "\\t ",
  cntrl: "\\x00-\\x1f\\x7f",
  print: " -~",
  graph: "!-~",
};

const cache = new Map<string, RegExp>();

export function goRegExp(pattern: string, global: boolean, argIndex = 0): RegExp {
  const key = `${global ? "g" : ""}:${pattern}`;
  const hit = cache.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  let src = pattern;
  let flags = global ? "gu" : "u";
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    src = src.slice(lead[0].length);
    for (const f of lead[1]!) if (f !== "U" && !flags.includes(f)) flags += f;
  }
  src = src
    .replace(/\(\?P</g, "(?<")
    .replace(/\\A/g, "^")
    .replace(/\\z/g, "$")
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => {
      const cls = POSIX[name];
      if (!cls) return m;
      return neg ? `^${cls}` : cls;
    });
  try {
    const re = new RegExp(src, flags);
    cache.set(key, re);
    return re;
  } catch (e) {
    throw new FunctionError(
      `invalid regular expression pattern: ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`,
      argIndex,
    );
  }
}

/** Go's `$1`/`${1}`/`${name}` replacement syntax in JavaScript's. */
export function goReplacement(repl: string): string {
  return repl.replace(
    /\$\{(\w+)\}|\$(\d+)|\$([A-Za-z_]\w*)|\$\$/g,
    (m, braced: string | undefined, digits: string | undefined, name: string | undefined) => {
      if (m === "$$") return "$$";
      const ref = braced ?? digits ?? name ?? "";
      return /^\d+$/.test(ref) ? `$${ref}` : `$<${ref}>`;
    },
  );
}
