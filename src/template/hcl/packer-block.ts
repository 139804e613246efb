// The `packer {}` block: `required_version` is checked for syntax (kiln implements Packer
// 1.6.6's docker behaviour plus later additions, so the constraint is not enforced) and
// `required_plugins` is accepted: kiln's docker support (builder, post-processors) and the
// ansible provisioners are built in, other plugins are not available.
import type { Block, SourceFile } from "./ast.js";
import { checkBody, expandBody, labelsOk } from "./body.js";
import { error, reportError, warning, type HclLoadContext } from "./context.js";
import { evaluate, type EvalContext } from "./evaluate.js";
import { isMapping } from "./value.js";

/** `packer.version` in HCL templates: the Packer release whose behaviour kiln follows. */
export const PACKER_VERSION = "1.6.6";

const CONSTRAINT = /^\s*(=|!=|>=|<=|>|<|~>)?\s*v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?\s*$/;
const BUILT_IN = ["github.com/hashicorp/docker", "github.com/hashicorp/ansible"];

export function readPackerBlocks(lctx: HclLoadContext, files: SourceFile[], ctx: EvalContext): void {
  for (const f of files) {
    for (const item of f.body.items) {
      if (item.kind === "block" && item.type === "packer") readOne(lctx, item, ctx);
    }
  }
}

function readOne(lctx: HclLoadContext, block: Block, ctx: EvalContext): void {
  if (!labelsOk(lctx, block, [], 'packer { required_version = ">= 1.6.6" }')) return;
  const items = checkBody(lctx, expandBody(lctx, block.body, ctx), {
    attributes: ["required_version"],
    blocks: ["required_plugins"],
    where: "the packer block",
  });
  for (const { item } of items) {
    if (item.kind === "attribute") {
      try {
        const v = evaluate(item.expr, ctx);
        const s = v.type.kind === "string" ? v.str : undefined;
        if (s === undefined || !s.split(",").every((c) => CONSTRAINT.test(c))) {
          error(
            lctx,
            item.expr.range,
            "Invalid version constraint",
            'required_version is a version constraint string such as ">= 1.6.0, < 2.0.0" or "~> 1.7".',
          );
        }
      } catch (e) {
        reportError(lctx, e);
      }
      continue;
    }
    for (const p of item.body.items) {
      if (p.kind === "block") {
        error(
          lctx,
          p.typeRange,
          "Unsupported block type",
          'required_plugins holds arguments: docker = { source = "github.com/hashicorp/docker", version = ">= 1.0.0" }.',
        );
        continue;
      }
      try {
        const v = evaluate(p.expr, ctx);
        let source: string | undefined;
        if (isMapping(v)) {
          const s = v.entries.get("source");
          source = s && s.type.kind === "string" ? s.str : undefined;
        } else if (v.type.kind !== "string") {
          error(
            lctx,
            p.expr.range,
            "Invalid required_plugins entry",
            'Each plugin is an object: { source = "github.com/hashicorp/docker", version = ">= 1.0.0" }.',
          );
          continue;
        }
        if (source && !BUILT_IN.includes(source.replace(/^(https?:\/\/)?/, ""))) {
          warning(
            lctx,
            p.nameRange,
            `plugin ${source} is not available in kiln`,
            "kiln has its docker builder, docker post-processors and provisioners built in; components of other plugins are unknown to it.",
          );
        }
      } catch (e) {
        reportError(lctx, e);
      }
    }
  }
}
