// Both loaders start from the path the user gave: say plainly when it cannot be read.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { InvalidInputError } from "./diagnostic.js";

/** Resolves `path` against `cwd` and stats it; an unreadable path is invalid input (exit 2). */
export async function statTemplatePath(
  path: string,
  cwd: string,
  expected: string,
): Promise<{ abs: string; isDir: boolean }> {
  const abs = resolve(cwd, path);
  try {
    return { abs, isDir: (await stat(abs)).isDirectory() };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvalidInputError([
      {
        severity: "error",
        summary: `cannot read template ${path}: ${code === "ENOENT" ? "no such file or directory" : (e as Error).message}`,
        detail: expected,
      },
    ]);
  }
}
