// Benchmark: parse and evaluate a generated ~2,000-line HCL2 template (variables, locals with
// for expressions and functions, sources, a build with many provisioners, heredocs and
// post-processors). Prints the median time after warm-up for (1) parsing, (2) parsing plus
// evaluating every expression, (3) the whole loader (files, variables, schema validation).
// Usage: node --import tsx bench/hcl-parse.ts [--runs N]     Budget: (2) under 50 ms.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Body } from "../src/template/hcl/ast.js";
import { evaluate, type EvalContext } from "../src/template/hcl/evaluate.js";
import { FUNCTIONS } from "../src/template/hcl/functions/index.js";
import { loadHclTemplate } from "../src/template/hcl/load.js";
import { parseFile } from "../src/template/hcl/parser.js";
import { buildDataSentinel } from "../src/template/types.js";
import { fromJS, objectOf, str } from "../src/template/hcl/value.js";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;

function generate(): string {
  const out: string[] = [];
  for (let i = 0; i < 40; i++) {
    out.push(
      `variable "v${i}" {`,
      `  type        = string`,
      `  default     = "value-${i}"`,
      `  description = "Variable number ${i}."`,
      `  validation {`,
      `    condition     = length(var.v${i}) > 0`,
      `    error_message = "v${i} must not be empty."`,
      `  }`,
      `}`,
      ``,
    );
  }
  out.push(
    `variable "packages" {`,
    `  type    = list(string)`,
    `  default = ["curl", "git", "jq", "make"]`,
    `}`,
    ``,
    `locals {`,
  );
  for (let i = 0; i < 60; i++) {
    out.push(
      `  l${i} = {`,
      `    name   = upper("\${var.v${i % 40}}-${i}")`,
      `    tags   = [for p in var.packages : "\${p}:${i}" if p != "make"]`,
      `    joined = join(",", [for k, v in { a = 1, b = 2 } : "\${k}=\${v + ${i}}"])`,
      `    flag   = ${i} % 2 == 0 ? "even" : "odd"`,
      `  }`,
    );
  }
  out.push(`}`, ``);
  for (let i = 0; i < 20; i++) {
    out.push(
      `source "docker" "s${i}" {`,
      `  image   = "debian:12"`,
      `  commit  = true`,
      `  changes = ["LABEL n=\${local.l${i}.name}", "ENV FLAG=\${local.l${i}.flag}"]`,
      `  volumes = {`,
      `    "/tmp/${i}" = "/data/${i}"`,
      `  }`,
      `}`,
      ``,
    );
  }
  out.push(
    `build {`,
    `  name    = "bench"`,
    `  sources = [${Array.from({ length: 20 }, (_, i) => `"source.docker.s${i}"`).join(", ")}]`,
    ``,
  );
  for (let i = 0; i < 110; i++) {
    out.push(
      `  provisioner "shell" {`,
      `    inline = [`,
      `      "echo step ${i} on \${source.name} in \${build.ID}",`,
      `      <<-EOT`,
      `        set -eu`,
      `        echo \${local.l${i % 60}.joined}`,
      `      EOT`,
      `      ,`,
      `    ]`,
      `    environment_vars = ["STEP=${i}", "TAGS=\${join(" ", local.l${i % 60}.tags)}"]`,
      `  }`,
    );
  }
  out.push(
    `  post-processors {`,
    `    post-processor "docker-tag" {`,
    `      repository = "example/\${source.name}"`,
    `      tags       = ["1.0", "latest"]`,
    `    }`,
    `  }`,
    `}`,
  );
  return out.join("\n") + "\n";
}

function evaluateAll(body: Body, ctx: EvalContext): number {
  let n = 0;
  const visit = (b: Body): void => {
    for (const item of b.items) {
      if (item.kind === "block") {
        visit(item.body);
        continue;
      }
      try {
        evaluate(item.expr, ctx);
        n++;
      } catch {
        // var.x inside validation refers to one variable; fine for a timing loop.
      }
    }
  };
  visit(body);
  return n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const text = generate();
const lines = text.split("\n").length;
const locals = objectOf(
  Array.from({ length: 60 }, (_, i) => [
    `l${i}`,
    fromJS({ name: `N${i}`, tags: ["curl", "git"], joined: "a=1,b=2", flag: "even" }),
  ]),
);
const ctx: EvalContext = {
  variables: new Map([
    [
      "var",
      fromJS({
        ...Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`v${i}`, `value-${i}`])),
        packages: ["curl", "git", "jq", "make"],
      }),
    ],
    ["local", locals],
    [
      "source",
      objectOf([
        ["name", str("s0")],
        ["type", str("docker")],
      ]),
    ],
    [
      "build",
      objectOf([
        ["ID", str(buildDataSentinel("ID"))],
        ["name", str("bench")],
      ]),
    ],
  ]),
  functions: FUNCTIONS,
  env: { cwd: process.cwd(), startTime: new Date(), env: {} },
};

const dir = mkdtempSync(join(tmpdir(), "kiln-hcl-bench-"));
try {
  writeFileSync(join(dir, "bench.pkr.hcl"), text);
  const opts = { vars: [], varFiles: [], env: {}, cwd: dir, startTime: new Date() };
  const parse: number[] = [];
  const parseEval: number[] = [];
  const load: number[] = [];
  let expressions = 0;
  let builds = 0;
  for (let r = 0; r < RUNS + 5; r++) {
    const t0 = performance.now();
    const parsed = parseFile(text, "bench.pkr.hcl");
    const t1 = performance.now();
    expressions = evaluateAll(parsed.file.body, ctx);
    const t2 = performance.now();
    const t = await loadHclTemplate("bench.pkr.hcl", opts);
    const t3 = performance.now();
    builds = t.builds.length;
    if (r >= 5) {
      parse.push(t1 - t0);
      parseEval.push(t2 - t0);
      load.push(t3 - t2);
    }
  }
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  process.stdout.write(
    `HCL template: ${lines} lines, ${expressions} top-level expressions, ${builds} builds; median of ${RUNS} runs after 5 warm-up runs\n` +
      `  parse:                 ${ms(median(parse))}\n` +
      `  parse + evaluate:      ${ms(median(parseEval))}   (budget: 50 ms)\n` +
      `  whole loader:          ${ms(median(load))}   (reads the file, variables, locals, ${builds} builds × 110 provisioners, schema validation)\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
