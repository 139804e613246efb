#!/usr/bin/env node
// Mutation check of the option table in test/OPTIONS.md: for each row, kiln is built with that
// one option ignored (reset to its default, or removed when it has none, right after the schema
// validated it), and the row's test is run; the row holds only if that test then fails.
//
//   node scripts/option-mutants.mjs [--list] [word…]    (rows whose option or test contains a word)
//
// Integration rows need the engine: run it like the integration tests (inside the same
// environment, e.g. `/work/scratch/iso NAME node scripts/option-mutants.mjs shell`). Nothing in
// the checkout changes: the mutant is a copy (under the temp dir, node_modules linked) whose
// src/template/validate-config.ts gets a hook reading KILN_MUTANT=<kind>:<type>.<option>.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
const listOnly = args.includes("--list");
const words = args.filter((a) => !a.startsWith("--"));

/** Rows of the tables in test/OPTIONS.md: | component | `option` | `file` › test name | mutant `id` | verified | */
function rows() {
  const out = [];
  for (const line of readFileSync(path.join(ROOT, "test/OPTIONS.md"), "utf8").split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 7 || !/^`[\w-]+`$/.test(cells[2] ?? "")) continue;
    const [, component, option, test, mutant] = cells;
    const m = /^`([^`]+)` › (.+)$/.exec(test);
    const id = /mutant `([^`]+)`/.exec(mutant)?.[1];
    if (!m || !id) continue;
    out.push({ component, option: option.slice(1, -1), file: m[1], name: m[2], id });
  }
  return out.filter((r) => words.length === 0 || words.some((w) => r.id.includes(w) || r.file.includes(w)));
}

const HOOK_ANCHOR = "    this.check(config, node);\n    return { config, diagnostics: this.diagnostics };";
const HOOK = `    this.check(config, node);
    const mutant = process.env.KILN_MUTANT;
    if (mutant) {
      const what = this.opts.what ?? "";
      const kind = /post-processor/.test(what) ? "post-processor" : /provisioner/.test(what) ? "provisioner" : "builder";
      for (const [key, field] of Object.entries(schema)) {
        if (mutant !== \`\${kind}:\${this.spec.type}.\${key}\`) continue;
        if (field.hasDefault && field.defaultValue !== undefined) config[key] = structuredClone(field.defaultValue);
        else delete config[key];
      }
    }
    return { config, diagnostics: this.diagnostics };`;

function makeMutantCopy() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-mutants-"));
  for (const entry of [
    "bin",
    "src",
    "test",
    "scripts",
    "examples",
    "docs",
    "package.json",
    "tsconfig.json",
    "tsconfig.build.json",
  ])
    if (existsSync(path.join(ROOT, entry)))
      cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  const file = path.join(dir, "src/template/validate-config.ts");
  const text = readFileSync(file, "utf8");
  if (!text.includes(HOOK_ANCHOR))
    throw new Error("validate-config.ts changed: update HOOK_ANCHOR in option-mutants.mjs");
  writeFileSync(file, text.replace(HOOK_ANCHOR, HOOK));
  const built = spawnSync("npm", ["run", "build"], { cwd: dir, stdio: "inherit" });
  if (built.status !== 0) throw new Error("building the mutant copy failed");
  return dir;
}

function harnessEnv(dir) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "test/harness/setup.ts", "setup"], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) throw new Error("harness setup failed");
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function runTest(dir, row, env) {
  const argv = [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=tap",
    "--test-timeout=600000",
    "--test-force-exit",
  ];
  if (row.name) argv.push(`--test-name-pattern=^${escape(row.name)}$`);
  argv.push(row.file);
  // The parity suite's tests are its templates: load only the row's one.
  const rowEnv = row.file.startsWith("test/parity/") ? { ...env, KILN_PARITY_FILTER: row.name } : env;
  const r = spawnSync(process.execPath, argv, {
    cwd: dir,
    env: rowEnv,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, "m").exec(r.stdout)?.[1] ?? "0");
  return { status: r.status, pass: count("pass"), fail: count("fail") };
}

const selected = rows();
if (listOnly) {
  for (const r of selected) process.stdout.write(`${r.id}\t${r.file}\t${r.name ?? ""}\n`);
  process.exit(0);
}
if (selected.length === 0) {
  process.stderr.write("no rows selected\n");
  process.exit(2);
}
const dir = makeMutantCopy();
let survivors = 0;
try {
  const needsEngine = selected.some((r) => !r.file.startsWith("test/unit/"));
  const base = { ...process.env, ...(needsEngine ? harnessEnv(dir) : {}) };
  const controls = new Map();
  for (const row of selected) {
    // The row's test must pass without the mutant (run once per test) and fail with it.
    const key = `${row.file} ${row.name ?? ""}`;
    if (!controls.has(key)) controls.set(key, runTest(dir, row, base));
    const control = controls.get(key);
    const mutant = runTest(dir, row, { ...base, KILN_MUTANT: row.id });
    const ran = control.pass + control.fail > 0;
    const killed = ran && control.fail === 0 && mutant.fail > 0;
    if (!killed) survivors += 1;
    process.stdout.write(
      `${killed ? "killed  " : "SURVIVED"} ${row.id}  (${row.file}${row.name ? ` › ${row.name}` : ""}; ` +
        `without mutant: ${control.pass} pass ${control.fail} fail; with: ${mutant.pass} pass ${mutant.fail} fail)\n`,
    );
  }
} finally {
  if (!process.env.KILN_MUTANTS_KEEP) rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${selected.length} mutant(s), ${survivors} survived\n`);
process.exit(survivors === 0 ? 0 : 1);
