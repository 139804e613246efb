// Shared helpers of the HCL tests: evaluating snippets in a fixed context, the reference parser
// (@cdktn/hcl2json, HashiCorp's parser compiled to WebAssembly; test-only), loader options.
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LoadOptions } from "../../src/template/types.js";
import type { Body } from "../../src/template/hcl/ast.js";
import { evaluate, type EvalContext } from "../../src/template/hcl/evaluate.js";
import { FUNCTIONS } from "../../src/template/hcl/functions/index.js";
import { parseFile } from "../../src/template/hcl/parser.js";
import { fromJS, objectOf, str, toJS, type Value } from "../../src/template/hcl/value.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/hcl", import.meta.url));
export const fixture = (...parts: string[]): string => path.join(FIXTURES, ...parts);

export const START = new Date("2024-03-05T06:07:08Z");

export const VARS = {
  name: "kiln",
  n: 3,
  list: ["a", "b", "c"],
  map: { x: 1, y: 2 },
  obj: { name: "o", tags: ["t1", "t2"] },
  empty: "",
  nothing: null,
  flag: true,
  users: [
    { name: "ann", groups: ["adm"] },
    { name: "bob", groups: [] },
  ],
};

export function context(extra: Record<string, unknown> = {}): EvalContext {
  const variables = new Map<string, Value>([
    ["var", fromJS(VARS)],
    ["local", fromJS({ greeting: "hello", answer: 42 })],
    [
      "path",
      objectOf([
        ["root", str(".")],
        ["cwd", str("/work")],
      ]),
    ],
    ["packer", objectOf([["version", str("1.6.6")]])],
  ]);
  for (const [k, v] of Object.entries(extra)) variables.set(k, fromJS(v));
  return {
    variables,
    functions: FUNCTIONS,
    env: { cwd: FIXTURES, startTime: START, env: { HOME: "/home/kiln" } },
  };
}

/** Parses `src` (must be valid) and evaluates every top-level attribute, in order. */
export function evalSnippet(
  src: string,
  ctx: EvalContext = context(),
): { values: Record<string, unknown>; body: Body } {
  const r = parseFile(src, "snippet.pkr.hcl");
  if (r.errors[0]) throw r.errors[0];
  const values: Record<string, unknown> = {};
  for (const item of r.file.body.items) {
    if (item.kind === "attribute") values[item.name] = toJS(evaluate(item.expr, ctx));
  }
  return { values, body: r.file.body };
}

type Hcl2Json = (filename: string, contents: string) => Promise<Record<string, unknown>>;
let oracle: Hcl2Json | undefined;

/** HashiCorp's parser, via @cdktn/hcl2json (loaded lazily: its WebAssembly start takes ~100 ms). */
export async function referenceParse(src: string): Promise<Record<string, unknown>> {
  if (!oracle) {
    const mod = (await import("@cdktn/hcl2json")) as { parse: Hcl2Json };
    oracle = mod.parse;
  }
  return oracle("snippet.hcl", src);
}

/** Whether hcl2json left an expression unevaluated (it only evaluates literals). */
export function hasExpression(x: unknown): boolean {
  if (typeof x === "string") return x.includes("${") || x.includes("%{");
  if (Array.isArray(x)) return x.some(hasExpression);
  if (x && typeof x === "object")
    return Object.entries(x).some(([k, v]) => hasExpression(k) || hasExpression(v));
  return false;
}

export function loadOptions(over: Partial<LoadOptions> = {}): LoadOptions {
  return { vars: [], varFiles: [], env: {}, cwd: FIXTURES, startTime: START, ...over };
}
