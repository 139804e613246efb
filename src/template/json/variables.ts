// User variables of a JSON template: declared defaults < -var-file values (files in order) <
// -var values (always, whatever the order on the command line, as Packer does). Every value is
// then rendered, as Packer renders them: `env` is allowed here, `user` may refer to other
// variables (resolved on demand, cycles reported), and `{{ .Field }}` actions are kept for later.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { InvalidInputError, type SourcePos } from "../diagnostic.js";
import { FuncError } from "../gotemplate/errors.js";
import { packerFuncs } from "../functions/packer-funcs.js";
import { makeRenderer, SuppressedError } from "../render.js";
import { suggest } from "../suggest.js";
import type { VariableDecl } from "../types.js";
import type { ObjectEntry, ValueNode } from "../value-tree.js";
import { error, mapOffset, report, warning, type JsonLoadContext } from "./context.js";
import { parseJson } from "./parse-json.js";
import { describe } from "../validate-config.js";

interface Source {
  raw: string;
  pos?: SourcePos;
  /** Where it was set, for messages about values without a position. */
  label: string;
}

/** Declared variables of the template, with their defaults (null default = required). */
function declarations(
  ctx: JsonLoadContext,
  node: ValueNode | undefined,
): Map<string, { decl: VariableDecl; source?: Source }> {
  const out = new Map<string, { decl: VariableDecl; source?: Source }>();
  if (!node) return out;
  if (node.kind !== "object") {
    error(ctx, node.pos, `variables: expected an object of name → default value, got ${describe(node)}`);
    return out;
  }
  for (const e of node.entries) {
    const decl: VariableDecl = {
      name: e.key,
      value: undefined,
      required: false,
      sensitive: false,
      pos: e.keyPos,
    };
    const v = e.value;
    let raw: string | undefined;
    if (v.kind === "null") decl.required = true;
    else if (v.kind === "string") raw = v.value;
    else if (v.kind === "number") raw = String(v.value);
    // Packer's weak decoding turns a boolean default into "1" / "0".
    else if (v.kind === "bool") raw = v.value ? "1" : "0";
    else {
      error(
        ctx,
        v.pos,
        `variable ${JSON.stringify(e.key)}: a default must be a string (or null for a required variable), got ${describe(v)}`,
      );
      ctx.broken.add(e.key);
    }
    out.set(e.key, {
      decl,
      source: raw === undefined ? undefined : { raw, pos: v.pos, label: `variable ${e.key}` },
    });
  }
  return out;
}

async function readVarFile(ctx: JsonLoadContext, path: string): Promise<ObjectEntry[]> {
  let text: string;
  try {
    text = await readFile(resolve(ctx.opts.cwd, path), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    error(
      ctx,
      undefined,
      `cannot read -var-file ${path}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
    return [];
  }
  let root: ValueNode;
  try {
    root = parseJson(text, path, ctx.raw).root;
  } catch (e) {
    if (e instanceof InvalidInputError) {
      report(ctx, ...e.diagnostics);
      return [];
    }
    throw e;
  }
  if (root.kind !== "object") {
    error(
      ctx,
      root.pos,
      `a var-file must be a JSON object of name → string value, got ${describe(root)}`,
      'e.g. {"region": "eu-west-1"}',
    );
    return [];
  }
  const out: ObjectEntry[] = [];
  for (const e of root.entries) {
    if (e.value.kind !== "string") {
      error(
        ctx,
        e.value.pos,
        `${e.key}: a var-file value must be a string, got ${describe(e.value)}`,
        e.value.kind === "number" || e.value.kind === "bool"
          ? `quote it: "${e.key}": "${String((e.value as { value: unknown }).value)}"`
          : undefined,
      );
      continue;
    }
    out.push(e);
  }
  return out;
}

export async function resolveVariables(
  ctx: JsonLoadContext,
  variables: ValueNode | undefined,
  sensitive: ValueNode | undefined,
): Promise<VariableDecl[]> {
  const decls = declarations(ctx, variables);
  const declared = [...decls.keys()];
  const sources = new Map<string, Source>();
  for (const [name, d] of decls) if (d.source) sources.set(name, d.source);

  const undeclared = (name: string, pos: SourcePos | undefined, where: string) => {
    if (decls.has(name)) return;
    warning(
      ctx,
      pos,
      `${where} sets ${JSON.stringify(name)}, which the template does not declare in "variables"`,
      "it is still available as {{user `" + name + "`}}",
      suggest(name, declared),
    );
  };
  for (const path of ctx.opts.varFiles) {
    for (const e of await readVarFile(ctx, path)) {
      undeclared(e.key, e.keyPos, `-var-file ${path}`);
      sources.set(e.key, {
        raw: (e.value as { value: string }).value,
        pos: e.value.pos,
        label: `-var-file ${path}: ${e.key}`,
      });
      ctx.broken.delete(e.key);
    }
  }
  for (const [name, value] of ctx.opts.vars) {
    undeclared(name, undefined, `-var ${name}=…`);
    sources.set(name, { raw: value, label: `-var ${name}` });
    ctx.broken.delete(name);
  }

  const missing = [...decls.values()].filter((d) => d.decl.required && !sources.has(d.decl.name));
  for (const { decl } of missing) {
    ctx.broken.add(decl.name);
    if (ctx.opts.allowUnsetRequired) continue;
    error(
      ctx,
      decl.pos,
      `required variable ${JSON.stringify(decl.name)} is not set`,
      `set it with -var ${decl.name}=… or in a -var-file (a JSON object such as {"${decl.name}": "…"})` +
        (missing.length > 1
          ? `; all unset required variables: ${missing.map((m) => m.decl.name).join(", ")}`
          : ""),
    );
  }

  resolveAll(ctx, sources);

  markSensitive(ctx, decls, sensitive);
  for (const { decl } of decls.values()) {
    if (!decl.sensitive) continue;
    const value = ctx.values.get(decl.name);
    if (value) ctx.opts.onSecret?.(value);
    // What was given, in case it did not render (a template is not itself the secret).
    const raw = sources.get(decl.name)?.raw;
    if (raw && !raw.includes("{{")) ctx.opts.onSecret?.(raw);
  }
  return [...decls.values()].map(({ decl }) => ({ ...decl, value: ctx.values.get(decl.name) ?? "" }));
}

/** Renders every value on demand, so `user` of another variable resolves it first. */
function resolveAll(ctx: JsonLoadContext, sources: Map<string, Source>): void {
  const stack: string[] = [];
  const resolveOne = (name: string): string => {
    const done = ctx.values.get(name);
    if (done !== undefined) return done;
    if (ctx.broken.has(name)) throw new SuppressedError(name);
    const src = sources.get(name);
    if (!src) {
      throw new FuncError(`undefined variable ${JSON.stringify(name)}`, {
        suggestions: suggest(name, sources.keys()),
        detail: "a variable used in another variable's value must be declared (or set with -var)",
      });
    }
    if (stack.includes(name)) {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      throw new FuncError(`variables refer to each other in a cycle: ${cycle.join(" → ")}`);
    }
    stack.push(name);
    try {
      const value = renderer.render(src.raw, src.pos);
      ctx.values.set(name, value);
      return value;
    } catch (e) {
      ctx.broken.add(name);
      if (e instanceof InvalidInputError) {
        // A -var value has no position: name the flag instead.
        report(
          ctx,
          ...e.diagnostics.map((d) => (d.pos ? d : { ...d, summary: `${src.label}: ${d.summary}` })),
        );
        throw new SuppressedError(name);
      }
      throw e;
    } finally {
      stack.pop();
    }
  };
  const opts = ctx.opts;
  const funcs = packerFuncs({
    inVariables: true,
    env: opts.env,
    startTime: opts.startTime,
    cwd: opts.cwd,
    templateDir: ctx.templateDir,
    user: resolveOne,
  });
  // Packer keeps `{{ .HTTPIP }}`-style actions in variables for the component to render later.
  const renderer = makeRenderer({ funcs, mapOffset: mapOffset(ctx), keepFieldActions: true });
  for (const name of sources.keys()) {
    try {
      resolveOne(name);
    } catch (e) {
      if (!(e instanceof SuppressedError)) throw e;
    }
  }
}

function markSensitive(
  ctx: JsonLoadContext,
  decls: Map<string, { decl: VariableDecl }>,
  node: ValueNode | undefined,
): void {
  if (!node) return;
  if (node.kind !== "array") {
    error(ctx, node.pos, `sensitive-variables: expected a list of variable names, got ${describe(node)}`);
    return;
  }
  for (const item of node.items) {
    if (item.kind !== "string") {
      error(ctx, item.pos, `sensitive-variables: expected a variable name, got ${describe(item)}`);
      continue;
    }
    const d = decls.get(item.value);
    if (!d) {
      warning(
        ctx,
        item.pos,
        `sensitive variable ${JSON.stringify(item.value)} is not declared in "variables"`,
        "nothing to mask",
        suggest(item.value, decls.keys()),
      );
      continue;
    }
    d.decl.sensitive = true;
  }
}
