// `kiln hcl2_upgrade`: a Packer JSON template rewritten as an equivalent HCL2 template. Go
// template actions become HCL expressions (`{{user "x"}}` → `${var.x}`, `{{build "ID"}}` →
// `${build.ID}`, `{{timestamp}}` → `${local.timestamp}`…); per-call placeholders such as
// run_command's `{{.Image}}` stay as they are, because they are rendered at run time in HCL too.
import { InvalidInputError } from "../diagnostic.js";
import type { Operand, Pipeline, TemplateNode } from "../gotemplate/ast.js";
import { parseTemplate } from "../gotemplate/parser.js";
import { formatHcl } from "./format.js";
import { componentSpec, type ComponentKind } from "../components.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

class Untranslatable extends Error {}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A Go-template-free string as an HCL quoted string. */
export function hclString(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      default: {
        const cp = ch.codePointAt(0)!;
        out += cp < 0x20 ? `\\u${cp.toString(16).padStart(4, "0")}` : ch;
      }
    }
  }
  // `${` and `%{` start template sequences in HCL; doubling the sigil makes them literal.
  return (out + '"').replace(/([$%])\{/g, (_m, sigil: string) => `${sigil}${sigil}{`);
}

interface Upgrader {
  needsTimestamp: boolean;
  /** Variables whose default uses other variables: they become locals. */
  derived: Set<string>;
  /** Builder name → its source's type and name (for only/except/override). */
  sourceNames: Map<string, { type: string; name: string }>;
  notes: string[];
}

function varRef(u: Upgrader, name: string): string {
  const root = u.derived.has(name) ? "local" : "var";
  return IDENT.test(name) ? `${root}.${name}` : `${root}[${hclString(name)}]`;
}

function operand(u: Upgrader, op: Operand, piped?: string): string {
  switch (op.k) {
    case "string":
      return hclString(op.value);
    case "number":
      return String(op.value);
    case "bool":
      return String(op.value);
    case "nil":
      return "null";
    case "pipe":
      return pipeline(u, op.pipe);
    case "func":
      return call(u, op.name, [], piped);
    default:
      throw new Untranslatable();
  }
}

function stringArg(op: Operand | undefined): string {
  if (op?.k !== "string") throw new Untranslatable();
  return op.value;
}

function call(u: Upgrader, name: string, argOps: Operand[], piped?: string): string {
  const args = argOps.map((a) => operand(u, a));
  if (piped !== undefined) args.push(piped);
  const arity = (n: number): void => {
    if (args.length !== n) throw new Untranslatable();
  };
  switch (name) {
    case "user":
      arity(1);
      return varRef(u, stringArg(argOps[0]));
    case "env":
      arity(1);
      return `env(${args[0]})`;
    case "build": {
      arity(1);
      const key = stringArg(argOps[0]);
      return IDENT.test(key) ? `build.${key}` : `build[${hclString(key)}]`;
    }
    case "timestamp":
      arity(0);
      u.needsTimestamp = true;
      return "local.timestamp";
    case "isotime":
      if (args.length === 0) return "timestamp()";
      arity(1);
      return `legacy_isotime(${args[0]})`;
    case "strftime":
      arity(1);
      return `legacy_strftime(${args[0]})`;
    case "uuid":
      arity(0);
      return "uuidv4()";
    case "pwd":
      arity(0);
      return "path.cwd";
    case "template_dir":
      arity(0);
      return "path.root";
    case "build_name":
      arity(0);
      return "source.name";
    case "build_type":
      arity(0);
      return "source.type";
    case "packer_version":
      arity(0);
      return "packer.version";
    case "lower":
    case "upper":
      arity(1);
      return `${name}(${args[0]})`;
    case "split":
      arity(3);
      return `element(split(${args[1]}, ${args[0]}), ${args[2]})`;
    case "replace":
      arity(4);
      if (argOps[2]?.k === "number" && argOps[2].value >= 0) {
        u.notes.push(`replace with a count (${argOps[2].value}) became a replace of every occurrence`);
      }
      return `replace(${args[3]}, ${args[0]}, ${args[1]})`;
    case "replace_all":
      arity(3);
      return `replace(${args[2]}, ${args[0]}, ${args[1]})`;
    case "consul_key":
    case "vault":
    case "aws_secretsmanager":
      return `${name}(${args.join(", ")})`;
    default:
      throw new Untranslatable();
  }
}

function pipeline(u: Upgrader, p: Pipeline): string {
  let acc: string | undefined;
  for (const cmd of p.cmds) {
    const [head, ...rest] = cmd.args;
    if (!head) throw new Untranslatable();
    if (head.k === "func") acc = call(u, head.name, rest, acc);
    else if (rest.length === 0 && acc === undefined) acc = operand(u, head);
    else throw new Untranslatable();
  }
  if (acc === undefined) throw new Untranslatable();
  return acc;
}

/** Per-call data (`{{.Image}}`, `{{ .Path }}`) that HCL templates keep as text. */
function isDataPlaceholder(n: TemplateNode): boolean {
  if (n.k !== "action" || n.pipe.cmds.length !== 1) return false;
  const args = n.pipe.cmds[0]!.args;
  return args.length === 1 && (args[0]!.k === "field" || args[0]!.k === "dot");
}

/** A JSON string (maybe a Go template) as an HCL expression. */
function templateExpr(u: Upgrader, s: string): string {
  if (!s.includes("{{")) return hclString(s);
  let nodes: TemplateNode[];
  try {
    nodes = parseTemplate(s).nodes;
  } catch {
    u.notes.push(`kept ${JSON.stringify(s)} as text: it is not a valid Go template`);
    return hclString(s);
  }
  const source = s;
  try {
    if (nodes.length === 1 && nodes[0]!.k === "action" && !isDataPlaceholder(nodes[0]!)) {
      return pipeline(u, nodes[0]!.pipe);
    }
    let out = "";
    for (const n of nodes) {
      if (n.k === "text") out += hclString(n.text).slice(1, -1);
      else if (isDataPlaceholder(n)) out += hclString(source.slice(n.pos, n.end)).slice(1, -1);
      else if (n.k === "action") out += "${" + pipeline(u, n.pipe) + "}";
      else throw new Untranslatable();
    }
    return `"${out}"`;
  } catch (e) {
    if (!(e instanceof Untranslatable)) throw e;
    u.notes.push(`kept ${JSON.stringify(s)} as text: kiln cannot translate it to HCL`);
    return hclString(s);
  }
}

function usesUser(s: string): boolean {
  return /\{\{[^}]*\buser\b/.test(s);
}

function value(u: Upgrader, v: Json, indent: string): string {
  if (v === null) return "null";
  if (typeof v === "string") return templateExpr(u, v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) {
    const items = v.map((x) => value(u, x, indent + "  "));
    const inline = `[${items.join(", ")}]`;
    if (inline.length <= 80 && !inline.includes("\n")) return inline;
    return `[\n${items.map((i) => `${indent}  ${i},`).join("\n")}\n${indent}]`;
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, x]) => `${indent}  ${mapKey(u, k)} = ${value(u, x, indent + "  ")}`).join("\n")}\n${indent}}`;
}

/** A key of a map value (e.g. `volumes`): Packer renders Go templates in keys too. */
function mapKey(u: Upgrader, k: string): string {
  if (!k.includes("{{")) return objectKey(k);
  const expr = templateExpr(u, k);
  // A quoted template is a valid key; any other expression must be parenthesised to be one.
  return expr.startsWith('"') ? expr : `(${expr})`;
}

function asList(v: Json | undefined): Json[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function objectKey(k: string): string {
  return IDENT.test(k) ? k : hclString(k);
}

/**
 * Options of `kind`/`type` that take a list: Packer's JSON decoder splits a string given for one
 * on commas (after rendering), while HCL2 needs a list. `type` unknown to kiln: none.
 */
function listOptions(kind: ComponentKind, type: Json | undefined): Set<string> {
  const spec = typeof type === "string" ? componentSpec(kind, type) : undefined;
  const out = new Set<string>();
  for (const [k, f] of Object.entries(spec?.schema ?? {}))
    if (f.kind === "strings" || f.kind === "ints") out.add(k);
  return out;
}

/** A JSON string given for a list option, as the HCL list Packer's JSON decoder makes of it. */
function listFromString(u: Upgrader, s: string, ints: boolean): string {
  if (!s.includes("{{")) {
    const parts = s === "" ? [] : s.split(",");
    return `[${parts.map((p) => (ints && /^-?\d+$/.test(p.trim()) ? p.trim() : hclString(p))).join(", ")}]`;
  }
  // A template (which may render to several comma-separated items): split after rendering; an
  // empty string is an empty list in Packer (HCL's split would give [""]).
  const e = templateExpr(u, s);
  return `${e} == "" ? [] : split(",", ${e})`;
}

function attributes(
  u: Upgrader,
  obj: JsonObject,
  skip: string[],
  indent: string,
  lists: Set<string> = new Set(),
  ints: Set<string> = new Set(),
): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (skip.includes(k) || k.startsWith("_")) continue;
    const expr =
      typeof v === "string" && lists.has(k) ? listFromString(u, v, ints.has(k)) : value(u, v, indent);
    out.push(`${indent}${objectKey(k)} = ${expr}`);
  }
  return out;
}

function intOptions(kind: ComponentKind, type: Json | undefined): Set<string> {
  const spec = typeof type === "string" ? componentSpec(kind, type) : undefined;
  return new Set(Object.entries(spec?.schema ?? {}).flatMap(([k, f]) => (f.kind === "ints" ? [k] : [])));
}

function refsFor(u: Upgrader, names: Json | undefined): string[] {
  if (!Array.isArray(names)) return [];
  return names.map((n) => {
    const name = text(n);
    const source = u.sourceNames.get(name);
    return source ? `${source.type}.${source.name}` : name;
  });
}

function provisionerBlock(u: Upgrader, p: JsonObject, kind: string, indent: string): string {
  const type = text(p.type);
  const lines = attributes(
    u,
    p,
    ["type", "only", "except", "override", "max_retries"],
    indent + "  ",
    listOptions("provisioner", p.type),
    intOptions("provisioner", p.type),
  );
  if (p.max_retries !== undefined) {
    const n = Number(p.max_retries);
    lines.push(`${indent}  max_retries = ${Number.isFinite(n) ? n : value(u, p.max_retries, indent + "  ")}`);
  }
  for (const key of ["only", "except"] as const) {
    if (p[key] !== undefined)
      lines.push(`${indent}  ${key} = ${value(u, refsFor(u, p[key]), indent + "  ")}`);
  }
  if (p.override && typeof p.override === "object" && !Array.isArray(p.override)) {
    const renamed: JsonObject = {};
    for (const [k, v] of Object.entries(p.override)) renamed[u.sourceNames.get(k)?.name ?? k] = v;
    lines.push(`${indent}  override = ${value(u, renamed, indent + "  ")}`);
  }
  return `${indent}${kind} ${hclString(type)} {${lines.length ? `\n${lines.join("\n")}\n${indent}` : ""}}`;
}

function postProcessorBlock(u: Upgrader, p: Json, indent: string): string {
  let obj: JsonObject = typeof p === "string" ? { type: p } : (p as JsonObject);
  const lists = listOptions("post-processor", obj.type);
  let merged: string | undefined;
  if (obj.type === "docker-tag" && obj.tag !== undefined) {
    // `tag` is the deprecated `tags`; Packer appends its values after those of `tags`.
    const { tag, ...rest } = obj;
    const parts = [rest.tags, tag].filter((x) => x !== undefined);
    if (parts.every((x) => typeof x !== "string" || !x.includes("{{"))) {
      obj = {
        ...rest,
        tags: parts.flatMap((x) => (typeof x === "string" ? (x === "" ? [] : x.split(",")) : asList(x))),
      };
    } else {
      const exprs = parts.map((x) =>
        typeof x === "string" ? listFromString(u, x, false) : value(u, asList(x), indent + "  "),
      );
      merged = exprs.length === 1 ? exprs[0] : `concat(${exprs.join(", ")})`;
      obj = rest;
    }
    u.notes.push('docker-tag\'s deprecated "tag" became "tags"');
  }
  const lines = attributes(
    u,
    obj,
    ["type", "only", "except", ...(merged ? ["tags"] : [])],
    indent + "  ",
    lists,
  );
  if (merged) lines.push(`${indent}  tags = ${merged}`);
  for (const key of ["only", "except"] as const) {
    if (obj[key] !== undefined)
      lines.push(`${indent}  ${key} = ${value(u, refsFor(u, obj[key]), indent + "  ")}`);
  }
  return `${indent}post-processor ${hclString(text(obj.type))} {${lines.length ? `\n${lines.join("\n")}\n${indent}` : ""}}`;
}

/** Converts the text of a Packer JSON template; throws InvalidInputError on bad JSON. */
export function hcl2Upgrade(jsonTemplateText: string, fileName: string): string {
  let root: Json;
  try {
    root = JSON.parse(jsonTemplateText) as Json;
  } catch (e) {
    throw new InvalidInputError([
      {
        severity: "error",
        pos: { file: fileName, line: 1, column: 1 },
        summary: `not a JSON template: ${(e as Error).message}`,
      },
    ]);
  }
  if (root === null || typeof root !== "object" || Array.isArray(root)) {
    throw new InvalidInputError([
      {
        severity: "error",
        pos: { file: fileName, line: 1, column: 1 },
        summary: "a template must be a JSON object",
      },
    ]);
  }
  const t = root;
  const u: Upgrader = { needsTimestamp: false, derived: new Set(), sourceNames: new Map(), notes: [] };
  const variables =
    t.variables && typeof t.variables === "object" && !Array.isArray(t.variables) ? t.variables : {};
  const sensitive = new Set(
    Array.isArray(t["sensitive-variables"]) ? t["sensitive-variables"].map(String) : [],
  );
  for (const [k, v] of Object.entries(variables)) {
    if (typeof v !== "string" || !usesUser(v)) continue;
    // HCL variable defaults cannot refer to other variables; a local value can.
    u.derived.add(k);
    u.notes.push(
      `variable "${k}" became local.${k} because its default uses other variables; -var cannot set it any more`,
    );
  }

  const builders = (Array.isArray(t.builders) ? t.builders : []) as JsonObject[];
  builders.forEach((b, i) => {
    const name =
      typeof b.name === "string" && b.name !== b.type
        ? b.name.replace(/[.\s]/g, "_")
        : `autogenerated_${i + 1}`;
    u.sourceNames.set(typeof b.name === "string" ? b.name : text(b.type), { type: text(b.type), name });
  });

  const sections: string[] = [];
  if (typeof t.min_packer_version === "string") {
    sections.push(`packer {\n  required_version = ${hclString(`>= ${t.min_packer_version}`)}\n}`);
  }
  for (const [k, v] of Object.entries(variables)) {
    if (u.derived.has(k)) continue;
    const lines = ["  type = string"];
    if (v !== null) lines.push(`  default = ${value(u, v, "  ")}`);
    if (sensitive.has(k)) lines.push("  sensitive = true");
    sections.push(`variable ${hclString(k)} {\n${lines.join("\n")}\n}`);
  }
  const sourceBlocks = builders.map((b) => {
    const name = u.sourceNames.get(typeof b.name === "string" ? b.name : text(b.type))!.name;
    const lines = attributes(u, b, ["type", "name"], "  ", listOptions("builder", b.type));
    return `source ${hclString(text(b.type))} ${hclString(name)} {${lines.length ? `\n${lines.join("\n")}\n` : ""}}`;
  });

  const buildLines: string[] = [];
  if (typeof t.description === "string") buildLines.push(`  description = ${hclString(t.description)}`);
  const refs = builders.map(
    (b) =>
      `source.${text(b.type)}.${u.sourceNames.get(typeof b.name === "string" ? b.name : text(b.type))!.name}`,
  );
  buildLines.push(`  sources = ${value(u, refs, "  ")}`);
  for (const p of (Array.isArray(t.provisioners) ? t.provisioners : []) as JsonObject[]) {
    buildLines.push("", provisionerBlock(u, p, "provisioner", "  "));
  }
  if (t["error-cleanup-provisioner"] && typeof t["error-cleanup-provisioner"] === "object") {
    buildLines.push(
      "",
      provisionerBlock(u, t["error-cleanup-provisioner"] as JsonObject, "error-cleanup-provisioner", "  "),
    );
  }
  for (const pp of Array.isArray(t["post-processors"]) ? t["post-processors"] : []) {
    if (Array.isArray(pp)) {
      buildLines.push(
        "",
        `  post-processors {\n${pp.map((x) => postProcessorBlock(u, x, "    ")).join("\n")}\n  }`,
      );
    } else {
      buildLines.push("", postProcessorBlock(u, pp, "  "));
    }
  }

  const localLines: string[] = [];
  if (u.needsTimestamp) localLines.push('  timestamp = regex_replace(timestamp(), "[- TZ:]", "")');
  for (const k of u.derived) localLines.push(`  ${objectKey(k)} = ${value(u, variables[k]!, "  ")}`);

  const out: string[] = [
    `# Converted from ${fileName} by kiln hcl2_upgrade; review it before relying on it.`,
    "# Go template actions were translated to HCL expressions.",
  ];
  if (u.needsTimestamp) {
    out.push("# {{timestamp}} became local.timestamp: a compact UTC date-time, not Unix seconds.");
  }
  for (const n of [...new Set(u.notes)]) out.push(`# Note: ${n}.`);
  out.push("", "");
  const body = [...sections];
  if (localLines.length) body.push(`locals {\n${localLines.join("\n")}\n}`);
  body.push(...sourceBlocks, `build {\n${buildLines.join("\n")}\n}`);
  return formatHcl(out.join("\n") + body.join("\n\n") + "\n", fileName + ".pkr.hcl");
}

/** A JSON value used as a name (a type, a builder name): strings as they are, others as JSON. */
function text(v: Json | undefined): string {
  return typeof v === "string" ? v : JSON.stringify(v ?? null);
}
