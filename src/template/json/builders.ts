// The `builders` section: each needs a `type` kiln supports, `name` defaults to the type and
// must be unique, and the rest is the builder's config, validated per its schema. A name may use
// template functions (`{{user \`prefix\`}}-deb`): as in Packer, -only/-except and the build's
// output use the rendered name, while provisioners' and post-processors' only/except/override
// name the builder as written (Packer 1.6.6 core.go: `rawName`).
import type { Diagnostic, SourcePos } from "../diagnostic.js";
import { lookupComponent } from "../components.js";
import type { ComponentSpec } from "../schema.js";
import type { ValueNode } from "../value-tree.js";
import { describe } from "../validate-config.js";
import { componentRenderer, error, tryRender, type JsonLoadContext } from "./context.js";
import { splitEntries } from "./entries.js";

export interface RawBuilder {
  /** The rendered name: the build's name, matched by -only/-except. */
  name: string;
  /** The name as written in the template: what only/except/override in components refer to. */
  rawName: string;
  type: string;
  spec?: ComponentSpec;
  /** Set when kiln cannot run this builder: an error only if -only/-except select it. */
  unsupported?: Diagnostic;
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
  const byRawName = new Map<string, number>();
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
    // Not reported here: Packer 1.6.6 only fails for a builder it is asked to run, so whether
    // this is an error depends on -only/-except (plan/select-builds.ts).
    const found = lookupComponent("builder", type, typeEntry.value.pos);

    let name = type;
    let rawName = type;
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
      rawName = nameEntry.value.value;
      namePos = nameEntry.value.pos;
      // -syntax-only resolves no variables: the name stays as written.
      const rendered = ctx.opts.syntaxOnly
        ? rawName
        : tryRender(ctx, componentRenderer(ctx), rawName, nameEntry.value.pos);
      if (rendered === undefined) return;
      name = rendered;
    }
    const first = byName.get(name) ?? byRawName.get(rawName);
    if (first !== undefined) {
      error(
        ctx,
        namePos,
        `duplicate builder name ${JSON.stringify(name)}`,
        `builder ${first + 1} has the same name${name === rawName ? "" : ` (${JSON.stringify(rawName)} renders to it)`}; give each builder a distinct "name"`,
      );
      return;
    }
    byName.set(name, i);
    byRawName.set(rawName, i);
    out.push({ name, rawName, type, spec: found.spec, unsupported: found.diagnostic, config, pos: item.pos });
  });
  return out;
}
