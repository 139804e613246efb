// Why a step's key is not the one it had: the differences between the key document recorded with
// the step's last entry (cache/local-index.ts) and the one computed now. Pure; each difference is
// a record for -json and a sentence for people. Values are digests (a key document holds no
// option values, so nothing secret is ever shown).
import type { KeyDocument } from "../cache/key.js";

export type KeyChange =
  | { what: "base-image" | "parent-image"; old: string; new: string }
  | { what: "parent-key"; old?: string; new?: string }
  | { what: "settings"; old?: string; new?: string }
  | { what: "build"; old: string; new: string }
  | { what: "type"; old: string; new: string }
  | { what: "option"; name: string; old?: string; new?: string }
  | { what: "file"; role: string; path: string; old?: string; new?: string }
  | { what: "tool"; name: string; old?: string; new?: string }
  | { what: "format"; old: number; new: number };

export function diffKeyDocuments(old: KeyDocument, now: KeyDocument): KeyChange[] {
  const changes: KeyChange[] = [];
  if (old.v !== now.v) changes.push({ what: "format", old: old.v, new: now.v });
  if (old.parent.image !== now.parent.image) {
    const what = now.parent.key === undefined ? "base-image" : "parent-image";
    changes.push({ what, old: old.parent.image, new: now.parent.image });
  }
  if (old.parent.key !== now.parent.key) {
    changes.push({ what: "parent-key", ...opt("old", old.parent.key), ...opt("new", now.parent.key) });
  }
  if (old.settings !== now.settings) {
    changes.push({ what: "settings", ...opt("old", old.settings), ...opt("new", now.settings) });
  }
  const build = (b: KeyDocument["build"]) => `${b.name} (${b.type})`;
  if (build(old.build) !== build(now.build)) {
    changes.push({ what: "build", old: build(old.build), new: build(now.build) });
  }
  if (old.type !== now.type) changes.push({ what: "type", old: old.type, new: now.type });
  for (const name of union(Object.keys(old.config), Object.keys(now.config))) {
    const [a, b] = [old.config[name], now.config[name]];
    if (a !== b) changes.push({ what: "option", name, ...opt("old", a), ...opt("new", b) });
  }
  const files = (doc: KeyDocument) => new Map(doc.files.map((f) => [`${f.role}\0${f.path}`, f]));
  const [oldFiles, newFiles] = [files(old), files(now)];
  for (const id of union([...oldFiles.keys()], [...newFiles.keys()])) {
    const [a, b] = [oldFiles.get(id), newFiles.get(id)];
    const f = (b ?? a)!;
    if (a?.digest !== b?.digest || a?.kind !== b?.kind) {
      changes.push({
        what: "file",
        role: f.role,
        path: f.path,
        ...opt("old", a && (a.kind === "missing" ? "missing" : a.digest)),
        ...opt("new", b && (b.kind === "missing" ? "missing" : b.digest)),
      });
    }
  }
  for (const name of union(Object.keys(old.tools), Object.keys(now.tools))) {
    const [a, b] = [old.tools[name], now.tools[name]];
    if (a !== b) changes.push({ what: "tool", name, ...opt("old", a), ...opt("new", b) });
  }
  return changes;
}

function opt<K extends string>(k: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: string };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

const short = (d: string | undefined) =>
  d === undefined ? "none" : d === "missing" ? "missing" : d.replace(/^sha256:/, "").slice(0, 12);

/** One sentence per change: `file app.conf (source) changed: 1a2b3c4d5e6f → 6f5e4d3c2b1a`. */
export function describeChange(c: KeyChange): string {
  switch (c.what) {
    case "base-image":
      return `the base image ID changed: ${short(c.old)} → ${short(c.new)}`;
    case "parent-image":
      return `the image it starts from changed: ${short(c.old)} → ${short(c.new)}`;
    case "parent-key":
      return `the step before it has another key: ${short(c.old)} → ${short(c.new)}`;
    case "settings":
      return `the builder's container settings changed (run_command, volumes, environment, user, privileged, …)`;
    case "build":
      return `the build changed: ${c.old} → ${c.new}`;
    case "type":
      return `the provisioner type changed: ${c.old} → ${c.new}`;
    case "option":
      return c.old === undefined
        ? `option ${c.name} was added (a variable or setting it uses)`
        : c.new === undefined
          ? `option ${c.name} was removed`
          : `option ${c.name} changed (its value, or a variable it uses): ${short(c.old)} → ${short(c.new)}`;
    case "file":
      return c.old === undefined
        ? `file ${c.path} (${c.role}) is a new input: ${short(c.new)}`
        : c.new === undefined
          ? `file ${c.path} (${c.role}) is no longer an input`
          : `file ${c.path} (${c.role}) changed: ${short(c.old)} → ${short(c.new)}`;
    case "tool":
      return `${c.name} version changed: ${c.old ?? "none"} → ${c.new ?? "none"}`;
    case "format":
      return `kiln's key format changed: ${c.old} → ${c.new}`;
  }
}
