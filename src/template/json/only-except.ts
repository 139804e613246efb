// `only` / `except` on provisioners and post-processors: lists of builder names, checked against
// the builders the template defines. As in Packer 1.6.6 (template.go OnlyExcept.Validate, core.go
// `rawName`), they name a builder as written: `{{user \`prefix\`}}-deb`, not what it renders to.
import { suggest } from "../suggest.js";
import type { ObjectEntry } from "../value-tree.js";
import { describe } from "../validate-config.js";
import { error, type JsonLoadContext } from "./context.js";

/** Each builder's name as written → its rendered name. */
export type BuilderNames = ReadonlyMap<string, string>;

/** The detail for a name that is no builder's (written) name. */
export function unknownBuilderDetail(name: string, builders: BuilderNames): string {
  const written = [...builders].find(([raw, rendered]) => rendered === name && raw !== name)?.[0];
  if (written !== undefined)
    return `${JSON.stringify(name)} is what builder ${JSON.stringify(written)} renders to; name the builder as written in the template: ${JSON.stringify(written)} (as Packer does)`;
  return `builders in this template: ${[...builders.keys()].join(", ") || "none"}`;
}

export interface OnlyExcept {
  only?: string[];
  except?: string[];
}

function names(ctx: JsonLoadContext, e: ObjectEntry, builders: BuilderNames): string[] | undefined {
  if (e.value.kind !== "array") {
    error(
      ctx,
      e.value.pos,
      `${e.key}: expected a list of builder names, got ${describe(e.value)}`,
      `e.g. "${e.key}": ["${[...builders.keys()][0] ?? "docker"}"]`,
    );
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  for (const item of e.value.items) {
    if (item.kind !== "string") {
      error(ctx, item.pos, `${e.key}: expected a builder name, got ${describe(item)}`);
      ok = false;
    } else if (!builders.has(item.value)) {
      const detail = unknownBuilderDetail(item.value, builders);
      error(
        ctx,
        item.pos,
        `${e.key}: no builder is named ${JSON.stringify(item.value)}`,
        detail,
        detail.startsWith("builders in") ? suggest(item.value, [...builders.keys()]) : undefined,
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
  builders: BuilderNames,
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

/** `rawName`: the builder's name as written in the template. */
export function appliesTo(oe: OnlyExcept, rawName: string): boolean {
  if (oe.only) return oe.only.includes(rawName);
  if (oe.except) return !oe.except.includes(rawName);
  return true;
}
