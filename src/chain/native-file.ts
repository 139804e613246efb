// The native chain file (JSON, schema in native-schema.ts): nodes by name, each a Packer template
// or a Dockerfile, with what IMAGES.json cannot say (explicit depends_on, references to another
// node's result, push targets, intermediate nodes, the engine). docs/chains.md documents it.
import { dirname, resolve } from "node:path";
import type { SourcePos } from "../template/diagnostic.js";
import { parseJson } from "../template/json/parse-json.js";
import { suggest } from "../template/suggest.js";
import type { ValueNode } from "../template/value-tree.js";
import { ImageReference } from "../engine/reference.js";
import {
  boolMember,
  member,
  type Problems,
  stringListMember,
  stringMapMember,
  stringMember,
} from "./json-input.js";
import type { BuildArg, ChainNodeSpec, DeclaredEngine, NodeReference } from "./model.js";
import { chainSchema } from "./native-schema.js";
import { checkSchema } from "./schema-check.js";

export interface NativeOptions {
  /** Dockerfile nodes' squash default (true unless --no-squash / NO_SQUASH). */
  squash: boolean;
  /** Engine names a node may use. */
  engines: readonly string[];
}

/** `${node.NAME.image}` / `${node.NAME.id}`; `$${` is a literal `${`. */
const REFERENCE = /\$\$\{|\$\{node\.([^}]*)\}/g;

export function readNativeChain(
  file: string,
  text: string,
  opts: NativeOptions,
  problems: Problems,
  /** Filled with the file's `engines`. */
  engines: DeclaredEngine[] = [],
): ChainNodeSpec[] {
  const parsed = parseJson(text, file);
  const before = problems.list.length;
  checkSchema(parsed.root, chainSchema, "", problems);
  if (problems.list.slice(before).some((d) => d.severity === "error")) return [];
  engines.push(...readEngines(parsed.root, problems));
  const known = [...new Set([...opts.engines, ...engines.map((e) => e.name)])];
  const nodesEntry = member(parsed.root, "nodes")!;
  if (nodesEntry.value.kind !== "object") return [];
  const names = nodesEntry.value.entries.map((e) => e.key);
  const folder = dirname(file);
  const out: ChainNodeSpec[] = [];
  nodesEntry.value.entries.forEach((e, index) => {
    const node = readNode(e.key, e.value, index, {
      folder,
      names,
      opts: { ...opts, engines: known },
      problems,
      pos: e.keyPos,
    });
    if (node) out.push(node);
  });
  return out;
}

/** The top-level `engines` (the schema has checked the shapes). */
function readEngines(root: ValueNode, problems: Problems): DeclaredEngine[] {
  const entry = member(root, "engines");
  if (entry === undefined || entry.value.kind !== "object") return [];
  return entry.value.entries.map((e) => {
    const where = `engines.${e.key}`;
    const host = stringMember(e.value, "host", where, problems);
    const parallelEntry = member(e.value, "parallel");
    let parallel: number | undefined;
    if (parallelEntry?.value.kind === "number") {
      parallel = parallelEntry.value.value;
      if (!Number.isInteger(parallel) || parallel < 1)
        problems.error(
          parallelEntry.value.pos,
          `${where}: parallel: expected a whole number ≥ 1, got ${parallel}`,
        );
    }
    if (e.key === "default")
      problems.error(
        e.keyPos,
        `${where}: default is DOCKER_HOST and cannot be declared`,
        "give the engine another name",
      );
    return {
      name: e.key,
      host: host?.value ?? "",
      ...(parallel !== undefined ? { parallel } : {}),
      ...(e.keyPos ? { pos: e.keyPos } : {}),
    };
  });
}

interface NodeContext {
  folder: string;
  names: string[];
  opts: NativeOptions;
  problems: Problems;
  pos?: SourcePos;
}

function readNode(
  name: string,
  value: ValueNode,
  index: number,
  ctx: NodeContext,
): ChainNodeSpec | undefined {
  const { problems } = ctx;
  const where = `nodes.${name}`;
  const before = problems.list.length;
  const str = (key: string) => stringMember(value, key, where, problems);
  const list = (key: string) => stringListMember(value, key, where, problems) ?? [];
  const map = (key: string) => stringMapMember(value, key, where, problems) ?? [];
  const workingDir = resolve(ctx.folder, str("working_dir")?.value ?? ".");
  const references: NodeReference[] = [];
  const scan = (text: string, pos: SourcePos | undefined): void => {
    for (const m of text.matchAll(REFERENCE)) {
      if (m[0] === "$${") continue;
      const [target, field, ...rest] = (m[1] ?? "").split(".");
      if (!target || !ctx.names.includes(target)) {
        problems.error(
          pos,
          `${where}: ${m[0]} names no node`,
          `nodes: ${ctx.names.join(", ")}`,
          suggest(target ?? "", ctx.names),
        );
      } else if (target === name) {
        problems.error(pos, `${where}: ${m[0]}: a node cannot use its own result`);
      } else if ((field !== "image" && field !== "id") || rest.length > 0) {
        problems.error(
          pos,
          `${where}: ${m[0]}: expected \${node.${target}.image} or \${node.${target}.id}`,
          undefined,
          suggest(field ?? "", ["image", "id"]).map((f) => `\${node.${target}.${f}}`),
        );
      } else references.push({ node: target, field, ...(pos ? { pos } : {}) });
    }
  };
  const tags = list("tags");
  for (const t of tags) checkReference(t.value, t.pos, `${where}: tags`, problems);
  const push = list("push");
  for (const p of push) checkReference(p.value, p.pos, `${where}: push`, problems);
  const final = boolMember(value, "final", where, problems) ?? true;
  if (!final && push.length > 0) {
    problems.error(
      member(value, "push")?.value.pos,
      `${where}: an intermediate node (final: false) is never pushed`,
      'remove "push", or "final": false',
    );
  }
  const dependsOn = list("depends_on").flatMap((d) => {
    if (d.value === name) {
      problems.error(d.pos, `${where}: depends_on names the node itself`);
      return [];
    }
    if (!ctx.names.includes(d.value)) {
      problems.error(
        d.pos,
        `${where}: depends_on: no node named ${JSON.stringify(d.value)}`,
        `nodes: ${ctx.names.join(", ")}`,
        suggest(d.value, ctx.names),
      );
      return [];
    }
    return [{ node: d.value, ...(d.pos ? { pos: d.pos } : {}) }];
  });
  const engineEntry = str("engine");
  const engine = engineEntry?.value ?? "default";
  if (!ctx.opts.engines.includes(engine)) {
    problems.error(
      engineEntry?.pos,
      `${where}: engine ${JSON.stringify(engine)} is not known`,
      `engines: ${ctx.opts.engines.join(", ")}`,
      suggest(engine, ctx.opts.engines),
    );
  }
  const template = str("template");
  const dockerfile = str("dockerfile");
  const common = {
    name,
    index,
    file: template?.value ?? dockerfile?.value ?? "",
    ...((template ?? dockerfile)?.pos ? { filePos: (template ?? dockerfile)!.pos! } : {}),
    workingDir,
    tags: tags.map((t) => t.value),
    aliases: [],
    dependsOn,
    references,
    push: push.map((p) => p.value),
    final,
    engine,
    ...(ctx.pos ? { pos: ctx.pos } : {}),
  };
  const dockerOnly = [
    "context",
    "build_args",
    "target",
    "labels",
    "network",
    "platform",
    "no_cache",
    "pull",
    "squash",
  ];
  const packerOnly = ["vars", "var_files", "only", "except"];
  const misplaced = (keys: string[], kind: string): void => {
    for (const key of keys) {
      const e = member(value, key);
      if (e) problems.error(e.keyPos, `${where}: ${key} applies to ${kind} nodes only`);
    }
  };
  let node: ChainNodeSpec;
  if (template) {
    misplaced(dockerOnly, "Dockerfile");
    const vars = map("vars");
    for (const v of vars) scan(v.value, v.pos);
    node = {
      ...common,
      source: {
        kind: "packer",
        template: resolve(workingDir, template.value),
        vars: vars.map((v) => [v.name, v.value]),
        varFiles: list("var_files").map((f) => resolve(workingDir, f.value)),
        only: list("only").map((o) => o.value),
        except: list("except").map((o) => o.value),
      },
    };
  } else {
    misplaced(packerOnly, "Packer");
    const buildArgs: BuildArg[] = map("build_args").map((b) => ({
      name: b.name,
      value: b.value,
      ...(b.pos ? { pos: b.pos } : {}),
    }));
    for (const b of buildArgs) scan(b.value, b.pos);
    const target = str("target")?.value;
    const network = str("network")?.value;
    const platform = str("platform")?.value;
    node = {
      ...common,
      source: {
        kind: "dockerfile",
        dockerfile: resolve(workingDir, dockerfile!.value),
        context: resolve(workingDir, str("context")?.value ?? "."),
        buildArgs,
        labels: Object.fromEntries(map("labels").map((l) => [l.name, l.value])),
        noCache: boolMember(value, "no_cache", where, problems) ?? false,
        pull: boolMember(value, "pull", where, problems) ?? false,
        squash: boolMember(value, "squash", where, problems) ?? ctx.opts.squash,
        ...(target !== undefined ? { target } : {}),
        ...(network !== undefined ? { network } : {}),
        ...(platform !== undefined ? { platform } : {}),
      },
    };
    if (node.tags.length === 0) {
      problems.error(
        ctx.pos,
        `${where}: a Dockerfile node needs "tags"`,
        'the images it produces, e.g. "tags": ["mycorp/app:1.0"]',
      );
    }
  }
  if (problems.list.slice(before).some((d) => d.severity === "error")) return undefined;
  return node;
}

function checkReference(ref: string, pos: SourcePos | undefined, where: string, problems: Problems): void {
  try {
    const parsed = ImageReference.parse(ref);
    if (parsed.digest !== undefined)
      problems.error(pos, `${where}: ${ref}: a digest cannot be a tag`, "use repo:tag");
  } catch (e) {
    problems.error(pos, `${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Replaces `${node.X.field}` in `text` with `lookup(X, field)`; `$${` becomes `${`. */
export function substituteReferences(
  text: string,
  lookup: (node: string, field: "image" | "id") => string,
): string {
  return text.replace(REFERENCE, (whole, body: string | undefined) => {
    if (whole === "$${") return "${";
    const [node, field] = (body ?? "").split(".");
    return lookup(node!, field as "image" | "id");
  });
}
