// Bad input: a property-based fuzzer (fast-check) mutates valid JSON and HCL2 templates and their
// var-files (text edits, and value-tree edits for JSON). Every case must end in success or in an
// InvalidInputError whose every error carries file:line:col (kiln exits 2); anything else (a
// TypeError, a stack overflow, an error without a position) is a crash. In-process through the
// loader, then a smaller share through the CLI (`kiln validate`: exit 0 or 2, no stack trace).
// KILN_FUZZ_RUNS=N runs N in-process cases (default 300) and N/10 CLI cases (at least 30);
// KILN_FUZZ_SEED=S replays a run.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe } from "node:test";
import fc from "fast-check";
import { checkPushSequences } from "../../src/post-processors/sequence-check.js";
import { InvalidInputError, formatDiagnostic } from "../../src/template/diagnostic.js";
import { loadTemplate } from "../../src/template/load.js";
import { scenario } from "./support/scenario.js";

const RUNS = Number(process.env.KILN_FUZZ_RUNS ?? 300);
const CLI_RUNS = Math.max(30, Math.round(RUNS / 10));
const SEED = Number(process.env.KILN_FUZZ_SEED ?? Date.now() % 2 ** 31);

const JSON_SEED = {
  variables: {
    image: "kiln-test/busybox:1",
    tag: "1.0",
    secret: "s3cr3t-value",
    region: "{{env `AWS_REGION`}}",
  },
  "sensitive-variables": ["secret"],
  builders: [
    {
      type: "docker",
      image: "{{user `image`}}",
      commit: true,
      pull: false,
      changes: ["ENV A=1", "LABEL version={{user `tag`}}"],
      run_command: ["-d", "-i", "-t", "--entrypoint=/bin/sh", "--", "{{.Image}}"],
    },
  ],
  provisioners: [
    { type: "shell", inline: ["echo {{user `tag`}}"], environment_vars: ["SECRET={{user `secret`}}"] },
    { type: "file", content: "hello {{timestamp}}", destination: "/tmp/x" },
    {
      type: "shell",
      script: "setup.sh",
      only: ["docker"],
      pause_before: "1s",
      max_retries: 2,
      timeout: "5m",
    },
  ],
  "post-processors": [
    [
      { type: "docker-tag", repository: "kiln-rel/fuzz", tags: ["{{user `tag`}}", "latest"] },
      { type: "docker-save", path: "out/{{user `tag`}}.tar" },
    ],
    { type: "manifest", output: "manifest.json" },
  ],
};
const JSON_VARS = '{\n  "tag": "2.0",\n  "image": "other/image:1"\n}\n';

const HCL_SEED = `variable "image" {
  type    = string
  default = "kiln-test/busybox:1"
}

variable "tag" {
  type    = string
  default = "1.0"
}

variable "secret" {
  type      = string
  default   = "s3cr3t-value"
  sensitive = true
}

variable "replicas" {
  type    = number
  default = 2
}

locals {
  name   = "app-\${var.tag}"
  labels = { a = "b", list = [1, 2] }
}

source "docker" "bb" {
  image   = var.image
  commit  = true
  pull    = false
  changes = ["ENV A=1", "LABEL version=\${var.tag}"]
}

build {
  name    = "main"
  sources = ["source.docker.bb"]

  provisioner "shell" {
    inline           = ["echo \${local.name}", "echo \${upper(var.tag)}"]
    environment_vars = ["SECRET=\${var.secret}"]
  }

  provisioner "file" {
    content     = "x \${var.replicas}"
    destination = "/tmp/x"
  }

  post-processors {
    post-processor "docker-tag" {
      repository = "kiln-rel/fuzz"
      tags       = [var.tag, "latest"]
    }
    post-processor "docker-save" {
      path = "out/\${var.tag}.tar"
    }
  }
}
`;
const HCL_VARS = 'tag   = "2.0"\nimage = "other/image:1"\n';

const TOKENS = [
  "{", "}", "[", "]", '"', ",", ":", "=", "\n", "\\", "\u0000", "é", "💥", "${", "}}", "{{", "%{",
  "{{user `nope`}}", "{{ usr `x` }}", "{{env `HOME`}}", "{{ build `ID` }}", "{{ .Image }}", "{{ split \"a,b\" \",\" 9 }}",
  "${var.nope}", "${local.nope}", "${upper()}", "${substr(\"abc\", 5, 10)}", "${file(\"nope\")}", "${[for x in [1]: x]}",
  "${var.replicas + \"a\"}", "<<EOF\nx\nEOF\n", "%{ if true }x%{ endif }", "null", "true", "-1", "1e309", "0x10",
  "source", "build", "variable", "locals", "provisioner", "post-processor", "type", "inline", "image", "commit",
]; // prettier-ignore
const KEYS = [
  "type", "image", "imgae", "commit", "discard", "export_path", "pull", "changes", "inline", "script", "scripts",
  "environment_vars", "destination", "source", "direction", "repository", "tags", "tag", "path", "only", "except",
  "timeout", "max_retries", "pause_before", "variables", "builders", "bulders", "provisioners", "post-processors",
  "sensitive-variables", "login", "login_password", "ecr_login", "keep_input_artifact", "run_command", "name",
]; // prettier-ignore
const TEMPLATE_VALUES = [
  "{{user `nope`}}", "{{ usr `x` }}", "{{user `secret`}}", "{{", "}}", "{{ timestamp }}", "{{ isotime \"2006\" }}",
  "{{ build `ID` }}", "{{ build_name }}", "{{ uuid }}", "{{ replace_all `a` `b` `c` }}", "{{ split `a` }}",
  "{{ env }}", "{{ .Path }}", "{{ template_dir }}/x", "{{ user `tag` | upper }}", "ENV X={{user `secret`}}", "FROBNICATE x",
]; // prettier-ignore

type TextEdit =
  | { kind: "delete"; at: number; len: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "duplicate"; at: number; len: number }
  | { kind: "truncate"; at: number }
  | { kind: "swapLines"; a: number; b: number };

type TreeEdit = {
  path: number[];
  op: "delete" | "retype" | "rename" | "add" | "template";
  key: string;
  value: unknown;
  template: string;
};

interface Case {
  format: "json" | "hcl";
  template: string;
  vars: string;
}

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 24 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom(...TOKENS),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: "binary", maxLength: 4 }),
    ),
  }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swapLines" as const), a: fc.nat(), b: fc.nat() }),
);

const treeEdit: fc.Arbitrary<TreeEdit> = fc.record({
  path: fc.array(fc.nat(), { maxLength: 6 }),
  op: fc.constantFrom("delete", "retype", "rename", "add", "template"),
  key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })),
  value: fc.jsonValue({ maxDepth: 2 }),
  template: fc.constantFrom(...TEMPLATE_VALUES),
});

function applyText(text: string, edits: TextEdit[]): string {
  let t = text;
  for (const e of edits) {
    const at = (n: number) => n % (t.length + 1);
    switch (e.kind) {
      case "delete":
        t = t.slice(0, at(e.at)) + t.slice(at(e.at) + e.len);
        break;
      case "insert":
        t = t.slice(0, at(e.at)) + e.text + t.slice(at(e.at));
        break;
      case "duplicate":
        t = t.slice(0, at(e.at) + e.len) + t.slice(at(e.at), at(e.at) + e.len) + t.slice(at(e.at) + e.len);
        break;
      case "truncate":
        t = t.slice(0, at(e.at));
        break;
      case "swapLines": {
        const lines = t.split("\n");
        const a = e.a % lines.length;
        const b = e.b % lines.length;
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        t = lines.join("\n");
        break;
      }
    }
  }
  return t;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: Json): v is { [k: string]: Json } {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function applyTree(root: Json, e: TreeEdit): Json {
  const copy = structuredClone(root);
  let parent: Json = null;
  let slot: string | number | undefined;
  let node: Json = copy;
  for (const step of e.path) {
    if (Array.isArray(node) && node.length > 0) {
      parent = node;
      slot = step % node.length;
      node = node[slot]!;
    } else if (isObject(node) && Object.keys(node).length > 0) {
      const obj = node;
      const keys = Object.keys(obj);
      parent = obj;
      slot = keys[step % keys.length]!;
      node = obj[slot]!;
    } else break;
  }
  const set = (v: Json): void => {
    if (parent === null || slot === undefined) return;
    (parent as Record<string | number, Json>)[slot] = v;
  };
  switch (e.op) {
    case "delete":
      if (Array.isArray(parent) && typeof slot === "number") parent.splice(slot, 1);
      else if (isObject(parent) && typeof slot === "string") delete parent[slot];
      break;
    case "retype":
      set(e.value as Json);
      break;
    case "rename":
      if (isObject(parent) && typeof slot === "string") {
        const value = parent[slot]!;
        delete parent[slot];
        parent[e.key] = value;
      }
      break;
    case "add":
      if (node !== null && typeof node === "object" && !Array.isArray(node)) node[e.key] = e.value as Json;
      else if (Array.isArray(node)) node.push(e.value as Json);
      break;
    case "template":
      if (typeof node === "string") set(e.template);
      else if (Array.isArray(node)) node.push(e.template);
      break;
  }
  return copy;
}

const jsonCase: fc.Arbitrary<Case> = fc
  .record({
    tree: fc.array(treeEdit, { maxLength: 3 }),
    text: fc.array(textEdit, { maxLength: 2 }),
    vars: fc.array(textEdit, { maxLength: 1 }),
  })
  .map(({ tree, text, vars }) => ({
    format: "json" as const,
    template: applyText(
      JSON.stringify(
        tree.reduce<Json>((t, e) => applyTree(t, e), JSON_SEED as unknown as Json),
        null,
        2,
      ),
      text,
    ),
    vars: applyText(JSON_VARS, vars),
  }));

const hclCase: fc.Arbitrary<Case> = fc
  .record({
    text: fc.array(textEdit, { minLength: 1, maxLength: 3 }),
    vars: fc.array(textEdit, { maxLength: 1 }),
  })
  .map(({ text, vars }) => ({
    format: "hcl" as const,
    template: applyText(HCL_SEED, text),
    vars: applyText(HCL_VARS, vars),
  }));

const anyCase = fc.oneof(jsonCase, hclCase);

let caseCounter = 0;

function writeCase(root: string, c: Case): { dir: string; template: string; varFile: string } {
  const dir = path.join(root, `case-${++caseCounter}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, "setup.sh"), "#!/bin/sh\necho setup\n", { mode: 0o755 });
  const template = path.join(dir, c.format === "json" ? "template.json" : "template.pkr.hcl");
  const varFile = path.join(dir, c.format === "json" ? "vars.json" : "vars.pkrvars.hcl");
  writeFileSync(template, c.template);
  writeFileSync(varFile, c.vars);
  return { dir, template, varFile };
}

type Outcome = { kind: "valid" } | { kind: "positioned"; errors: number } | { kind: "crash"; why: string };

async function loadCase(root: string, c: Case): Promise<Outcome> {
  const files = writeCase(root, c);
  try {
    const t = await loadTemplate(files.template, {
      vars: [],
      varFiles: [files.varFile],
      env: { AWS_REGION: "eu-west-1", HOME: "/root" },
      cwd: files.dir,
      startTime: new Date(),
    });
    const problems = checkPushSequences(t).filter((d) => d.severity === "error");
    if (problems.length > 0) throw new InvalidInputError(problems);
    return { kind: "valid" };
  } catch (e) {
    if (!(e instanceof InvalidInputError)) {
      return { kind: "crash", why: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) };
    }
    const errors = e.diagnostics.filter((d) => d.severity === "error");
    if (errors.length === 0) return { kind: "crash", why: "InvalidInputError without an error diagnostic" };
    const unpositioned = errors.filter((d) => d.pos === undefined || !(d.pos.line >= 1 && d.pos.column >= 1));
    if (unpositioned.length > 0)
      return { kind: "crash", why: `error without file:line:col: ${formatDiagnostic(unpositioned[0]!)}` };
    for (const d of errors) formatDiagnostic(d); // must not throw
    return { kind: "positioned", errors: errors.length };
  }
}

function describeCase(c: Case): string {
  return `--- ${c.format} template\n${c.template}\n--- var-file\n${c.vars}\n---`;
}

describe("bad input never crashes kiln", () => {
  scenario(
    `fuzzed JSON + HCL templates and var-files through the loader (${RUNS} cases)`,
    "each case: success, or errors that all carry file:line:col; 0 crashes",
    async (s) => {
      const root = mkdtempSync(path.join(s.dir, "fuzz-"));
      const counts = { valid: 0, positioned: 0, json: 0, hcl: 0 };
      await fc.assert(
        fc.asyncProperty(anyCase, async (c) => {
          counts[c.format]++;
          const outcome = await loadCase(root, c);
          if (outcome.kind === "crash") throw new Error(`${outcome.why}\n${describeCase(c)}`);
          counts[outcome.kind]++;
        }),
        { numRuns: RUNS, seed: SEED },
      );
      const cases = counts.json + counts.hcl;
      assert.ok(counts.valid > 0 && counts.positioned > 0, "the fuzzer reaches both outcomes");
      s.observe(
        `${cases} cases (${counts.json} JSON, ${counts.hcl} HCL; seed ${SEED}): ${counts.valid} valid, ${counts.positioned} positioned errors, 0 crashes`,
      );
    },
    { timeoutMs: 300_000 },
  );

  scenario(
    `fuzzed templates through the CLI: kiln validate (${CLI_RUNS} cases)`,
    "exit 0, or exit 2 with file:line:col errors; no stack trace; 0 crashes",
    async (s) => {
      const root = mkdtempSync(path.join(s.dir, "fuzz-cli-"));
      const cases = fc.sample(anyCase, { numRuns: CLI_RUNS, seed: SEED + 1 });
      const counts = { 0: 0, 2: 0 } as Record<number, number>;
      const crashes: string[] = [];
      // Four at a time: each case is a process start.
      for (let i = 0; i < cases.length; i += 4) {
        await Promise.all(
          cases.slice(i, i + 4).map(async (c) => {
            const files = writeCase(root, c);
            const r = await s.kiln(["validate", `-var-file=${files.varFile}`, files.template], {
              cwd: files.dir,
              timeoutMs: 30_000,
            });
            const positioned = /^\S.*:\d+:\d+: error: /m.test(r.stderr);
            const stack = /^\s+at .+:\d+:\d+\)?$/m.test(r.output) || /internal error/.test(r.output);
            if (r.code === 0 && !stack) counts[0]!++;
            else if (r.code === 2 && positioned && !stack) counts[2]!++;
            else crashes.push(`exit ${r.code ?? r.signal}: ${r.output.slice(0, 2000)}\n${describeCase(c)}`);
          }),
        );
      }
      assert.deepEqual(crashes, [], `${crashes.length} crash(es); the first:\n${crashes[0]}`);
      s.observe(
        `${cases.length} CLI cases (seed ${SEED + 1}): ${counts[0]} exit 0, ${counts[2]} exit 2 positioned, 0 crashes`,
      );
    },
    { timeoutMs: 300_000 },
  );
});
