// `kiln fix`: rewrites deprecated options of a JSON template to their current form, as
// `packer fix` does for docker templates: docker-tag `tag` → `tags` (merged after existing
// tags), the obsolete `login_email` dropped from the docker builder, docker-push and
// docker-import, manifest `filename` → `output`, ansible-local `galaxycommand` →
// `galaxy_command`. Everything else keeps its meaning and key order; output is 2-space JSON.
// The options it handles are the schemas' `obsolete` keys (validation points here).
import { parse, type ValueNode as MomoaNode } from "@humanwhocodes/momoa";
import { parseJson } from "./json/parse-json.js";

/** Order-preserving JSON: numbers and literals keep their source text. */
type J =
  | { t: "obj"; entries: [string, J][] }
  | { t: "arr"; items: J[] }
  | { t: "str"; v: string }
  | { t: "lit"; v: string };

export interface FixResult {
  text: string;
  /** One line per rewrite, e.g. `post-processors[0][1] (docker-tag): "tag" merged into "tags"`. */
  changes: string[];
}

/** Throws InvalidInputError when `text` is not valid JSON (or repeats a key). */
export function fixTemplate(text: string, file = "template.json"): FixResult {
  const { text: src } = parseJson(text, file); // positioned syntax / duplicate-key errors
  const root = toJ(parse(src, { mode: "json", ranges: true }).body, src);
  const changes: string[] = [];
  if (root.t === "obj") {
    const provisioners = get(root, "provisioners");
    if (provisioners?.t === "arr") {
      provisioners.items.forEach((p, i) => {
        if (typeOf(p) === "ansible-local")
          rename(p, "galaxycommand", "galaxy_command", `provisioners[${i}] (ansible-local)`, changes);
      });
    }
    const builders = get(root, "builders");
    if (builders?.t === "arr") {
      builders.items.forEach((b, i) => {
        if (typeOf(b) === "docker") dropLoginEmail(b, `builders[${i}] (docker)`, changes);
      });
    }
    const pps = get(root, "post-processors");
    if (pps?.t === "arr") {
      pps.items.forEach((el, i) => {
        if (el.t === "arr")
          el.items.forEach((pp, j) => fixPostProcessor(pp, `post-processors[${i}][${j}]`, changes));
        else fixPostProcessor(el, `post-processors[${i}]`, changes);
      });
    }
  }
  return { text: print(root, "") + "\n", changes };
}

function toJ(n: MomoaNode, src: string): J {
  switch (n.type) {
    case "Object":
      return {
        t: "obj",
        entries: n.members.map((m) => [
          m.name.type === "String" ? m.name.value : m.name.name,
          toJ(m.value, src),
        ]),
      };
    case "Array":
      return { t: "arr", items: n.elements.map((e) => toJ(e.value, src)) };
    case "String":
      return { t: "str", v: n.value };
    default:
      return { t: "lit", v: src.slice(n.range![0], n.range![1]) };
  }
}

function get(o: Extract<J, { t: "obj" }>, key: string): J | undefined {
  return o.entries.find(([k]) => k === key)?.[1];
}

function typeOf(j: J): string | undefined {
  if (j.t !== "obj") return undefined;
  const t = get(j, "type");
  return t?.t === "str" ? t.v : undefined;
}

function dropLoginEmail(j: J, where: string, changes: string[]): void {
  if (j.t !== "obj") return;
  const i = j.entries.findIndex(([k]) => k === "login_email");
  if (i < 0) return;
  j.entries.splice(i, 1);
  changes.push(`${where}: removed the obsolete "login_email"`);
}

/** `from` → `to`, in place; an existing `to` wins (as packer fix's galaxy_command fixer), `from` is dropped. */
function rename(j: J, from: string, to: string, where: string, changes: string[]): void {
  if (j.t !== "obj") return;
  const i = j.entries.findIndex(([k]) => k === from);
  if (i < 0) return;
  if (j.entries.some(([k]) => k === to)) {
    j.entries.splice(i, 1);
    changes.push(`${where}: removed "${from}" ("${to}" is set)`);
  } else {
    j.entries[i] = [to, j.entries[i]![1]];
    changes.push(`${where}: "${from}" renamed to "${to}"`);
  }
}

function fixPostProcessor(pp: J, where: string, changes: string[]): void {
  const type = typeOf(pp);
  if (pp.t !== "obj") return;
  if (type === "docker-push" || type === "docker-import") dropLoginEmail(pp, `${where} (${type})`, changes);
  if (type === "manifest") rename(pp, "filename", "output", `${where} (manifest)`, changes);
  if (type !== "docker-tag") return;
  const tagAt = pp.entries.findIndex(([k]) => k === "tag");
  if (tagAt < 0) return;
  const tag = pp.entries[tagAt]![1];
  const asList = (j: J): J[] | undefined =>
    j.t === "arr" ? j.items : j.t === "str" || j.t === "lit" ? [j] : undefined;
  const extra = asList(tag);
  if (!extra) return; // not something Packer would accept either: leave it for validate to report
  const tagsAt = pp.entries.findIndex(([k]) => k === "tags");
  if (tagsAt >= 0) {
    const existing = asList(pp.entries[tagsAt]![1]);
    if (!existing) return;
    pp.entries[tagsAt] = ["tags", { t: "arr", items: [...existing, ...extra] }];
    pp.entries.splice(tagAt, 1);
    changes.push(`${where} (docker-tag): "tag" merged into "tags"`);
  } else {
    pp.entries[tagAt] = ["tags", { t: "arr", items: extra }];
    changes.push(`${where} (docker-tag): "tag" renamed to "tags"`);
  }
}

function print(j: J, indent: string): string {
  const inner = indent + "  ";
  switch (j.t) {
    case "str":
      return JSON.stringify(j.v);
    case "lit":
      return j.v;
    case "arr":
      if (j.items.length === 0) return "[]";
      return `[\n${j.items.map((x) => inner + print(x, inner)).join(",\n")}\n${indent}]`;
    case "obj":
      if (j.entries.length === 0) return "{}";
      return `{\n${j.entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${print(v, inner)}`).join(",\n")}\n${indent}}`;
  }
}
