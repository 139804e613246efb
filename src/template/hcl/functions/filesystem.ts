// Filesystem functions. Relative paths are relative to the working directory, as in Packer (Go
// resolves them against the process's cwd), not to the template.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { isAbsolute, join, posix, resolve } from "node:path";
import { STRING } from "../types.js";
import { bool, setOf, str } from "../value.js";
import { FunctionError, fn, p, type FnEnv, type FunctionDef } from "./registry.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function abs(env: FnEnv, path: string): string {
  return isAbsolute(path) ? path : resolve(env.cwd, path);
}

function readFile(env: FnEnv, path: string): Buffer {
  try {
    return readFileSync(abs(env, path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new FunctionError(
        `no file exists at ${JSON.stringify(path)}; this function works only with files that are distributed as part of the configuration source code`,
        0,
      );
    if (code === "EISDIR") throw new FunctionError(`${JSON.stringify(path)} is a directory, not a file`, 0);
    throw new FunctionError(`failed to read ${JSON.stringify(path)}: ${(e as Error).message}`, 0);
  }
}

/** Go's filepath.Dir: "" and "name" give ".". */
function goDir(path: string): string {
  if (path === "") return ".";
  const trimmed = path.replace(/\/+$/, "") || "/";
  const i = trimmed.lastIndexOf("/");
  if (i < 0) return ".";
  if (i === 0) return "/";
  return posix.normalize(trimmed.slice(0, i));
}

function goBase(path: string): string {
  if (path === "") return ".";
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** A doublestar glob (`*`, `**`, `?`, `[…]`, `{a,b}`) as a regular expression over `/` paths. */
export function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        const slash = pattern[i + 2] === "/";
        re += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else {
        re += "[^/]*";
      }
    } else if (c === "?") {
      re += "[^/]";
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) throw new FunctionError(`failed to glob pattern (${pattern}): syntax error in pattern`, 1);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith("!")) cls = "^" + cls.slice(1);
      re += `[${cls.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else if (c === "{") {
      const end = pattern.indexOf("}", i);
      if (end < 0) throw new FunctionError(`failed to glob pattern (${pattern}): syntax error in pattern`, 1);
      re += `(?:${pattern
        .slice(i + 1, end)
        .split(",")
        .map((a) => globToRegExp(a).source.slice(1, -1))
        .join("|")})`;
      i = end;
    } else if (c === "\\" && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string, rel: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    const full = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const st = statSync(full);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        continue;
      }
    }
    if (isDir) walk(full, r, out);
    else if (isFile) out.push(r);
  }
}

export const filesystemFunctions: Record<string, FunctionDef> = {
  abspath: fn([p("path", STRING)], ([s], env) => str(abs(env, s!.str))),
  basename: fn([p("path", STRING)], ([s]) => str(goBase(s!.str))),
  dirname: fn([p("path", STRING)], ([s]) => str(goDir(s!.str))),
  file: fn([p("path", STRING)], ([s], env) => {
    const buf = readFile(env, s!.str);
    try {
      return str(utf8.decode(buf));
    } catch {
      throw new FunctionError(
        `contents of ${JSON.stringify(s!.str)} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead`,
        0,
      );
    }
  }),
  filebase64: fn([p("path", STRING)], ([s], env) => str(readFile(env, s!.str).toString("base64"))),
  fileexists: fn([p("path", STRING)], ([s], env) => {
    const path = abs(env, s!.str);
    if (!existsSync(path)) return bool(false);
    const st = statSync(path);
    if (st.isDirectory()) throw new FunctionError(`${JSON.stringify(s!.str)} is a directory, not a file`, 0);
    return bool(st.isFile());
  }),
  fileset: fn([p("path", STRING), p("pattern", STRING)], ([base, pattern], env) => {
    const root = abs(env, base!.str);
    const re = globToRegExp(pattern!.str);
    const files: string[] = [];
    walk(root, "", files);
    return setOf(STRING, files.filter((f) => re.test(f)).map(str));
  }),
  pathexpand: fn([p("path", STRING)], ([s], env) => {
    const path = s!.str;
    if (path !== "~" && !path.startsWith("~/")) return str(path);
    const home = env.env.HOME ?? env.env.USERPROFILE;
    if (!home) throw new FunctionError("cannot expand ~: HOME is not set", 0);
    return str(home + path.slice(1));
  }),
  templatefile: fn([p("path", STRING), p("vars")], ([path, vars], env) => {
    if (!env.renderTemplate) throw new FunctionError("templatefile is not available here");
    if (vars!.isNull || !(vars!.type.kind === "object" || vars!.type.kind === "map")) {
      throw new FunctionError("invalid vars value: must be a map or an object", 1);
    }
    return env.renderTemplate(path!.str, vars!);
  }),
};
