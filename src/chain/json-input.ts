// Reading chain files (IMAGES.json, the native chain file) from the position-carrying value tree:
// typed accessors that record a positioned diagnostic instead of throwing, so every problem of a
// file is reported at once.
import type { Diagnostic, SourcePos } from "../template/diagnostic.js";
import { describe } from "../template/validate-config.js";
import type { ObjectEntry, ValueNode } from "../template/value-tree.js";

export class Problems {
  readonly list: Diagnostic[] = [];

  error(pos: SourcePos | undefined, summary: string, detail?: string, suggestions?: string[]): void {
    this.list.push({
      severity: "error",
      ...(pos ? { pos } : {}),
      summary,
      ...(detail ? { detail } : {}),
      ...(suggestions?.length ? { suggestions } : {}),
    });
  }

  warning(pos: SourcePos | undefined, summary: string, detail?: string, suggestions?: string[]): void {
    this.list.push({
      severity: "warning",
      ...(pos ? { pos } : {}),
      summary,
      ...(detail ? { detail } : {}),
      ...(suggestions?.length ? { suggestions } : {}),
    });
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === "error");
  }
}

export function member(node: ValueNode, key: string): ObjectEntry | undefined {
  return node.kind === "object" ? node.entries.find((e) => e.key === key) : undefined;
}

/** A string member, or undefined when absent; a wrong type is reported. */
export function stringMember(
  node: ValueNode,
  key: string,
  where: string,
  problems: Problems,
): { value: string; pos?: SourcePos } | undefined {
  const e = member(node, key);
  if (!e) return undefined;
  if (e.value.kind === "string")
    return { value: e.value.value, ...(e.value.pos ? { pos: e.value.pos } : {}) };
  // Numbers are accepted where corpusops files write versions as numbers.
  if (e.value.kind === "number")
    return { value: String(e.value.value), ...(e.value.pos ? { pos: e.value.pos } : {}) };
  problems.error(e.value.pos, `${where}: ${key}: expected a string, got ${describe(e.value)}`);
  return undefined;
}

export function boolMember(
  node: ValueNode,
  key: string,
  where: string,
  problems: Problems,
): boolean | undefined {
  const e = member(node, key);
  if (!e) return undefined;
  if (e.value.kind === "bool") return e.value.value;
  problems.error(e.value.pos, `${where}: ${key}: expected true or false, got ${describe(e.value)}`);
  return undefined;
}

export function stringListMember(
  node: ValueNode,
  key: string,
  where: string,
  problems: Problems,
): { value: string; pos?: SourcePos }[] | undefined {
  const e = member(node, key);
  if (!e) return undefined;
  const items = e.value.kind === "array" ? e.value.items : e.value.kind === "string" ? [e.value] : undefined;
  if (!items) {
    problems.error(e.value.pos, `${where}: ${key}: expected a list of strings, got ${describe(e.value)}`);
    return undefined;
  }
  const out: { value: string; pos?: SourcePos }[] = [];
  for (const item of items) {
    if (item.kind === "string") out.push({ value: item.value, ...(item.pos ? { pos: item.pos } : {}) });
    else problems.error(item.pos, `${where}: ${key}: expected strings only, got ${describe(item)}`);
  }
  return out;
}

/** A map of strings (`vars`, `build_args`, `labels`); numbers and booleans print as JSON. */
export function stringMapMember(
  node: ValueNode,
  key: string,
  where: string,
  problems: Problems,
): { name: string; value: string; pos?: SourcePos }[] | undefined {
  const e = member(node, key);
  if (!e) return undefined;
  if (e.value.kind !== "object") {
    problems.error(
      e.value.pos,
      `${where}: ${key}: expected an object of name: value, got ${describe(e.value)}`,
    );
    return undefined;
  }
  const out: { name: string; value: string; pos?: SourcePos }[] = [];
  for (const m of e.value.entries) {
    const v = m.value;
    if (v.kind === "string" || v.kind === "number" || v.kind === "bool") {
      out.push({ name: m.key, value: String(v.value), ...(v.pos ? { pos: v.pos } : {}) });
    } else problems.error(v.pos, `${where}: ${key}.${m.key}: expected a string, got ${describe(v)}`);
  }
  return out;
}

/** Maps an offset inside a JSON string value to a position, when the literal has no escapes. */
export function offsetPosition(
  pos: SourcePos | undefined,
  raw: string | undefined,
  value: string,
): (offset: number) => SourcePos | undefined {
  return (offset) => {
    if (!pos) return undefined;
    if (raw === undefined || raw.length !== value.length + 2 || value.includes("\n")) return pos;
    return { ...pos, column: pos.column + 1 + offset };
  };
}
