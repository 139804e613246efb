// The `builders` section: each needs a `type` kiln supports, `name` defaults to the type and
// must be unique, and the rest is the builder's config, validated per its schema.
import type { SourcePos } from "../diagnostic.js";
import { lookupComponent } from "../components.js";
import type { ComponentSpec } from "../schema.js";
import type { ValueNode } from "../value-tree.js";
import { describe } from "../validate-config.js";
import { componentRenderer, error, tryRender, type JsonLoadContext } from "./context.js";
import { splitEntries } from "./entries.js";

export interface RawBuilder {
  name: string;
  type: string;
  spec?: ComponentSpec;
  config: ValueNode;
  pos?: SourcePos;
}

const EXAMPLE = '"builders": [{"type": "docker", "image": "debian:12", "commit": true}]';

/** `misspelt`: an unknown root key was already reported with "did you mean builders". */
export function readBuilders(
  ctx: JsonLoadContext,
  node: ValueNode | undefined,
  rootPos: SourcePos | undefined,
  misspelt = false,
): RawBuilder[] {
  if (!node && misspelt) return [];
  if (!node || (node.kind === "array" && node.items.length === 0)) {
    error(ctx, node?.pos ?? rootPos, "at least one builder must be defined", `e.g. ${EXAMPLE}`);
    return [];
  }
  if (node.kind !== "array") {
    error(
      ctx,
      node.pos,
      `builders: expected a list of builder objects, got ${describe(node)}`,
      `e.g. ${EXAMPLE}`,
    );
    return [];
  }
  const out: RawBuilder[] = [];
  const byName = new Map<string, number>();
  node.items.forEach((item, i) => {
    if (item.kind !== "object") {
      error(ctx, item.pos, `builder ${i + 1}: expected an object, got ${describe(item)}`, `e.g. ${EXAMPLE}`);
      return;
    }
    const { core, config } = splitEntries(item, ["type", "name"]);
    const typeEntry = core.get("type");
    if (!typeEntry) {
      error(ctx, item.pos, `builder ${i + 1}: missing "type"`, 'kiln builds with "type": "docker"');
      return;
    }
    if (typeEntry.value.kind !== "string") {
      error(
        ctx,
        typeEntry.value.pos,
        `builder ${i + 1}: type: expected string, got ${describe(typeEntry.value)}`,
      );
      return;
    }
    const type = typeEntry.value.value;
    const found = lookupComponent("builder", type, typeEntry.value.pos);
    if (found.diagnostic)
      error(
        ctx,
        found.diagnostic.pos,
        found.diagnostic.summary,
        found.diagnostic.detail,
        found.diagnostic.suggestions,
      );

    let name = type;
    let namePos = typeEntry.value.pos;
    const nameEntry = core.get("name");
    if (nameEntry) {
      if (nameEntry.value.kind !== "string") {
        error(
          ctx,
          nameEntry.value.pos,
          `builder ${i + 1}: name: expected string, got ${describe(nameEntry.value)}`,
        );
        return;
      }
      const rendered = tryRender(ctx, componentRenderer(ctx), nameEntry.value.value, nameEntry.value.pos);
      if (rendered === undefined) return;
      name = rendered;
      namePos = nameEntry.value.pos;
    }
    const first = byName.get(name);
    if (first !== undefined) {
      error(
        ctx,
        namePos,
        `duplicate builder name ${JSON.stringify(name)}`,
        `builder ${first + 1} has the same name; give each builder a distinct "name"`,
      );
      return;
    }
    byName.set(name, i);
    out.push({ name, type, spec: found.spec, config, pos: item.pos });
  });
  return out;
}
