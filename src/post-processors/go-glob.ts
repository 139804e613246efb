// Go's filepath.Glob, which Packer's artifice uses for its `files`: `*` and `?` match within one
// path element (dot files included), `[a-z]` / `[^a-z]` classes, `\` escapes; no `**`. Matches of
// one directory come in name order; a pattern without metacharacters is returned when the path
// exists; unreadable directories are skipped. Results keep the pattern's form (relative stays
// relative, cleaned as Go's filepath.Join cleans it).
import { lstat, readdir } from "node:fs/promises";
import { posix } from "node:path";

const META = /[*?[\\]/;

export async function goGlob(pattern: string, cwd: string): Promise<string[]> {
  const abs = (p: string): string => posix.resolve(cwd, p);
  if (!META.test(pattern)) {
    return (await lstat(abs(pattern)).then(
      () => true,
      () => false,
    ))
      ? [pattern]
      : [];
  }
  const slash = pattern.lastIndexOf("/");
  const dir = slash < 0 ? "." : pattern.slice(0, slash) || "/";
  const file = pattern.slice(slash + 1);
  const matcher = elementMatcher(file);
  const dirs = META.test(dir) ? await goGlob(dir, cwd) : [dir];
  const out: string[] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      names = (await readdir(abs(d))).sort();
    } catch {
      continue;
    }
    for (const name of names) if (matcher.test(name)) out.push(slash < 0 ? name : posix.join(d, name));
  }
  return out;
}

/** One path element of a Go pattern as an anchored RegExp; throws for a malformed pattern. */
function elementMatcher(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\") {
      i++;
      if (i >= pattern.length) throw new Error("syntax error in pattern (a trailing backslash)");
      re += escape(pattern[i]!);
    } else if (c === "[") {
      const end = classEnd(pattern, i);
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith("^");
      if (negated) body = body.slice(1);
      if (body === "") throw new Error("syntax error in pattern (an empty character class)");
      let cls = "";
      for (let k = 0; k < body.length; k++) {
        const ch = body[k] === "\\" ? body[++k]! : body[k]!;
        cls += ch === "-" && body[k - 1] !== "\\" ? "-" : inClass(ch);
      }
      re += negated ? `[^/${cls}]` : `[${cls}]`;
      i = end;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`, "s");
}

function classEnd(pattern: string, open: number): number {
  for (let j = open + 1; j < pattern.length; j++) {
    if (pattern[j] === "\\") j++;
    else if (pattern[j] === "]") return j;
  }
  throw new Error("syntax error in pattern (an unclosed character class)");
}

/** A character inside a RegExp class. */
function inClass(c: string): string {
  return /[\]\\^-]/.test(c) ? `\\${c}` : c;
}

function escape(c: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(c) ? `\\${c}` : c;
}
