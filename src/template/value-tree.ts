// A neutral, position-carrying value tree. The JSON loader builds it from momoa's AST (strings
// still holding Go templates); the HCL evaluator builds it from evaluated expressions. Both then
// validate component configs through the same `validateConfig` (template/validate-config.ts).
import type { SourcePos } from "./diagnostic.js";

export type ValueNode =
  | { kind: "string"; value: string; pos?: SourcePos }
  | { kind: "number"; value: number; pos?: SourcePos }
  | { kind: "bool"; value: boolean; pos?: SourcePos }
  | { kind: "null"; pos?: SourcePos }
  | { kind: "array"; items: ValueNode[]; pos?: SourcePos }
  | { kind: "object"; entries: ObjectEntry[]; pos?: SourcePos };

export interface ObjectEntry {
  key: string;
  keyPos?: SourcePos;
  value: ValueNode;
}

export function entry(node: ValueNode, key: string): ObjectEntry | undefined {
  return node.kind === "object" ? node.entries.find((e) => e.key === key) : undefined;
}

/** Plain JS value of a node (positions dropped). */
export function plain(node: ValueNode): unknown {
  switch (node.kind) {
    case "null":
      return null;
    case "array":
      return node.items.map(plain);
    case "object":
      return Object.fromEntries(node.entries.map((e) => [e.key, plain(e.value)]));
    default:
      return node.value;
  }
}
