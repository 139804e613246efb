// Local files Packer checks at validate time (scripts, upload sources, playbooks). Relative paths
// resolve from the current directory, as in Packer (not from the template's directory); when the
// file exists next to the template instead, the message says so.
import { statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { CheckContext, CheckProblem } from "./schema.js";

type Kind = "file" | "dir" | "any";

function statKind(p: string): "file" | "dir" | "missing" | "other" {
  try {
    const st = statSync(p);
    return st.isFile() ? "file" : st.isDirectory() ? "dir" : "other";
  } catch {
    return "missing";
  }
}

/** What a local path option names, resolved as Packer does; undefined when only known at run time. */
export function localKind(value: string, ctx: CheckContext): ReturnType<typeof statKind> | undefined {
  if (!value || value.includes("\u0001") || value.includes("{{")) return undefined;
  return statKind(resolve(ctx.cwd ?? process.cwd(), value));
}

/** Checks one local path option; `label` is Packer's word for it ("source", "script"). */
export function checkLocalPath(
  field: string,
  label: string,
  value: string | undefined,
  kind: Kind,
  ctx: CheckContext,
): CheckProblem[] {
  // Values holding build data or unrendered actions are only known at run time.
  if (!value || value.includes("\u0001") || value.includes("{{")) return [];
  const cwd = ctx.cwd ?? process.cwd();
  const abs = resolve(cwd, value);
  const found = statKind(abs);
  if (found === "missing") {
    const nextToTemplate = !isAbsolute(value) && statKind(join(ctx.templateDir, value)) !== "missing";
    const detail = nextToTemplate
      ? `relative paths are resolved from the current directory (${cwd}), as Packer does; ${JSON.stringify(value)} exists next to the template: run kiln from ${ctx.templateDir} or write "{{template_dir}}/${value}"`
      : `looked for ${abs}; relative paths are resolved from the current directory, as Packer does`;
    return [[field, `bad ${label} ${JSON.stringify(value)}: no such file or directory`, { detail }]];
  }
  if (kind === "file" && found !== "file")
    return [[field, `bad ${label} ${JSON.stringify(value)}: not a file`]];
  if (kind === "dir" && found !== "dir")
    return [[field, `bad ${label} ${JSON.stringify(value)}: not a directory`]];
  return [];
}

export function checkLocalPaths(
  field: string,
  label: string,
  values: readonly string[] | undefined,
  kind: Kind,
  ctx: CheckContext,
): CheckProblem[] {
  return (values ?? []).flatMap((v, i) => checkLocalPath(`${field}[${i}]`, label, v, kind, ctx));
}
