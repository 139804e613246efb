// `kiln fmt [-check] [-diff] [-write] [-recursive] path…`: rewrites HCL files in Packer's
// canonical layout. As `packer fmt`, it prints the name of each file whose layout changed; with
// -check nothing is written and the exit code is 3 when a file is not formatted.
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError, formatDiagnostic } from "../diagnostic.js";
import { formatHcl } from "./format.js";

export interface FmtOptions {
  check: boolean;
  diff: boolean;
  write: boolean;
  recursive: boolean;
}

const HCL_FILE = /\.(pkr|pkrvars)\.hcl$/;

async function filesOf(path: string, recursive: boolean, top: boolean): Promise<string[]> {
  const st = await stat(path);
  if (!st.isDirectory()) return top || HCL_FILE.test(path) ? [path] : [];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      if (recursive && !entry.name.startsWith(".")) out.push(...(await filesOf(child, recursive, false)));
    } else if (HCL_FILE.test(entry.name)) {
      out.push(child);
    }
  }
  return out;
}

/** Returns the exit code: 0, 3 when -check found unformatted files, 2 on unreadable input. */
export async function fmtPaths(paths: string[], opts: FmtOptions, out: (s: string) => void): Promise<number> {
  const write = opts.write && !opts.check;
  let changed = 0;
  let failed = false;
  for (const p of paths) {
    let files: string[];
    try {
      files = await filesOf(p, opts.recursive, true);
    } catch (e) {
      out(
        `${p}: error: cannot read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}\n`,
      );
      failed = true;
      continue;
    }
    for (const file of files) {
      const src = await readFile(file, "utf8");
      let formatted: string;
      try {
        formatted = formatHcl(src, file);
      } catch (e) {
        if (!(e instanceof InvalidInputError)) throw e;
        out(e.diagnostics.map(formatDiagnostic).join("\n") + "\n");
        failed = true;
        continue;
      }
      if (formatted === src) continue;
      changed++;
      out(`${file}\n`);
      if (write) await writeFile(file, formatted);
      if (opts.diff) out(unifiedDiff(src, formatted, file));
    }
  }
  if (failed) return 2;
  return opts.check && changed > 0 ? 3 : 0;
}

/** A unified diff (3 lines of context) of two texts, for -diff. */
export function unifiedDiff(before: string, after: string, file: string): string {
  const a = before.split("\n");
  const b = after.split("\n");
  // Longest common subsequence table, from the end (files are small).
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  type Op = { kind: " " | "-" | "+"; text: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: " ", text: a[i]!, ai: i++, bi: j++ });
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removals before additions, as diff -u prints them.
      ops.push({ kind: "-", text: a[i]!, ai: i++, bi: j });
    } else {
      ops.push({ kind: "+", text: b[j]!, ai: i, bi: j++ });
    }
  }
  let outText = `--- old/${file}\n+++ new/${file}\n`;
  const context = 3;
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === " ") {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while changes are within 2×context lines of each other.
    for (let q = k; q < ops.length; q++) {
      if (ops[q]!.kind !== " ") end = q;
      else if (q - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    const hunk = ops.slice(start, stop);
    const aLen = hunk.filter((o) => o.kind !== "+").length;
    const bLen = hunk.filter((o) => o.kind !== "-").length;
    const aStart = aLen ? hunk.find((o) => o.kind !== "+")!.ai + 1 : hunk[0]!.ai;
    const bStart = bLen ? hunk.find((o) => o.kind !== "-")!.bi + 1 : hunk[0]!.bi;
    outText += `@@ -${aStart},${aLen} +${bStart},${bLen} @@\n`;
    for (const o of hunk) outText += `${o.kind}${o.text}\n`;
    k = stop;
  }
  return outText;
}
