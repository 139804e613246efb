// `only` / `except` on provisioners and post-processors: lists of builder names (JSON templates
// match the builder's name), checked against the builders the template defines.
import { suggest } from "../suggest.js";
import type { ObjectEntry } from "../value-tree.js";
import { describe } from "../validate-config.js";
import { error, type JsonLoadContext } from "./context.js";

export interface OnlyExcept {
  only?: string[];
  except?: string[];
}

function names(ctx: JsonLoadContext, e: ObjectEntry, builders: string[]): string[] | undefined {
  if (e.value.kind !== "array") {
    error(
      ctx,
      e.value.pos,
      `${e.key}: expected a list of builder names, got ${describe(e.value)}`,
      `e.g. "${e.key}": ["${builders[0] ?? "docker"}"]`,
    );
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  for (const item of e.value.items) {
    if (item.kind !== "string") {
      error(ctx, item.pos, `${e.key}: expected a builder name, got ${describe(item)}`);
      ok = false;
    } else if (!builders.includes(item.value)) {
      error(
        ctx,
        item.pos,
        `${e.key}: no builder is named ${JSON.stringify(item.value)}`,
        `builders in this template: ${builders.join(", ") || "none"}`,
        suggest(item.value, builders),
      );
      ok = false;
    } else {
      out.push(item.value);
    }
  }
  return ok ? out : undefined;
}

/** Reads `only`/`except` from `entries`; undefined when they are invalid (already reported). */
export function readOnlyExcept(
  ctx: JsonLoadContext,
  only: ObjectEntry | undefined,
  except: ObjectEntry | undefined,
  builders: string[],
): OnlyExcept | undefined {
  if (only && except) {
    error(ctx, except.keyPos, "only one of only and except may be set");
    return undefined;
  }
  const r: OnlyExcept = {};
  if (only) r.only = names(ctx, only, builders);
  if (except) r.except = names(ctx, except, builders);
  if ((only && !r.only) || (except && !r.except)) return undefined;
  return r;
}

export function appliesTo(oe: OnlyExcept, buildName: string): boolean {
  if (oe.only) return oe.only.includes(buildName);
  if (oe.except) return !oe.except.includes(buildName);
  return true;
}
