// .dockerignore as the docker CLI applies it to a build context (moby's patternmatcher and
// ignorefile rules): one pattern per line, `#` comments, `!` exceptions, the last matching pattern
// wins, a pattern also excludes everything under a directory it matches, `*` and `?` stop at `/`,
// `**` spans directories, `[...]` classes and `\` escapes. The Dockerfile and .dockerignore itself
// are always sent (the CLI adds exceptions for them).
import { posix } from "node:path";

export interface IgnorePattern {
  /** The cleaned pattern, without its `!`. */
  pattern: string;
  exception: boolean;
  regex: RegExp;
}

export class DockerIgnoreError extends Error {
  override readonly name = "DockerIgnoreError";
}

/** Parses the file's text into patterns (in file order). */
export function parseDockerignore(text: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  for (const line of text.split(/\r?\n/)) {
    // As the CLI: a comment is a line whose first character is `#`, before trimming.
    if (line.startsWith("#")) continue;
    let pattern = line.trim();
    if (pattern === "") continue;
    let exception = false;
    if (pattern.startsWith("!")) {
      if (pattern.length === 1) throw new DockerIgnoreError('illegal exclusion pattern: "!"');
      exception = true;
      pattern = pattern.slice(1).trim();
    }
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    }
    out.push(compile(pattern, exception));
  }
  return out;
}

/** Go's filepath.Clean for slash paths. */
function cleanPath(p: string): string {
  const rooted = p.startsWith("/");
  let n = posix.normalize(p);
  if (n.length > 1 && n.endsWith("/")) n = n.slice(0, -1);
  if (rooted && !n.startsWith("/")) n = `/${n}`;
  return n === "" ? "." : n;
}

const ESCAPE = new Set([".", "+", "(", ")", "|", "{", "}", "$"]);

export function compile(pattern: string, exception = false): IgnorePattern {
  let re = "^";
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === "*") {
      if (chars[i + 1] === "*") {
        i++;
        // `**/` is `**`
        if (chars[i + 1] === "/") i++;
        // `**` at the end matches everything; elsewhere any number of directories (even none).
        re += i + 1 >= chars.length ? ".*" : "(.*/)?";
      } else re += "[^/]*";
    } else if (ch === "?") re += "[^/]";
    else if (ESCAPE.has(ch)) re += `\\${ch}`;
    else if (ch === "\\") {
      if (i + 1 < chars.length) re += `\\${chars[++i]!}`;
      else re += "\\\\";
    } else if (ch === "[") {
      // A class, copied into the regex as the CLI does (`[^...]` negates; `\` escapes inside).
      let close = i + 1;
      let head = "[";
      if (chars[close] === "^") {
        head += "^";
        close++;
      }
      // A `]` first in a class is a member (Go); JavaScript needs it escaped.
      if (chars[close] === "]") {
        head += "\\]";
        close++;
      }
      const bodyStart = close;
      while (close < chars.length && chars[close] !== "]") close += chars[close] === "\\" ? 2 : 1;
      if (close >= chars.length) {
        throw new DockerIgnoreError(`syntax error in pattern ${JSON.stringify(pattern)}: unclosed [`);
      }
      re += `${head}${chars.slice(bodyStart, close).join("")}]`;
      i = close;
    } else re += ch.replace(/[\]^]/g, "\\$&");
  }
  re += "$";
  try {
    return { pattern, exception, regex: new RegExp(re, "s") };
  } catch {
    throw new DockerIgnoreError(`syntax error in pattern ${JSON.stringify(pattern)}`);
  }
}

/** The CLI's MatchesOrParentMatches: whether `path` (relative, slash-separated) is excluded. */
export function isExcluded(patterns: readonly IgnorePattern[], path: string): boolean {
  let matched = false;
  const parent = posix.dirname(path);
  const parentDirs = parent === "." ? [] : parent.split("/");
  for (const p of patterns) {
    // An exclusion only matters once matched, an inclusion only while not.
    if (p.exception !== matched) continue;
    let match = p.regex.test(path);
    for (let i = 0; !match && i < parentDirs.length; i++) {
      match = p.regex.test(parentDirs.slice(0, i + 1).join("/"));
    }
    if (match) matched = !p.exception;
  }
  return matched;
}

/**
 * Whether a directory that is excluded must still be walked: some exception names a path inside it
 * (the CLI's check: an exception pattern that starts with `dir/`).
 */
export function mayContainExceptions(patterns: readonly IgnorePattern[], dir: string): boolean {
  const prefix = `${dir}/`;
  return patterns.some((p) => p.exception && `${p.pattern}/`.startsWith(prefix));
}

/** The CLI keeps the Dockerfile and .dockerignore in the context even when excluded. */
export function keepBuildFiles(patterns: IgnorePattern[], dockerfile: string): IgnorePattern[] {
  const out = [...patterns];
  if (isExcluded(out, ".dockerignore")) out.push(compile(".dockerignore", true));
  if (isExcluded(out, dockerfile)) out.push(compile(dockerfile, true));
  return out;
}
