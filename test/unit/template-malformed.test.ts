// Every template in test/fixtures/malformed/json must be refused (by the loader, or by build
// selection as `kiln validate` runs it) with positioned diagnostics.
// Each `<name>.expected` lists `file:line:col: fragment` lines: every line must match an error
// (same position, fragment in the formatted message), and every error must be expected, so a
// multi-problem fixture proves all problems are reported in one pass and nothing spurious is.
// `<name>.args.json` (optional) holds extra load options, e.g. {"varFiles": ["x.varfile.json"]}.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTemplate } from "../../src/template/load.js";
import { planBuilds } from "../../src/plan/select-builds.js";
import { InvalidInputError, formatDiagnostic, type Diagnostic } from "../../src/template/diagnostic.js";

const dir = fileURLToPath(new URL("../fixtures/malformed/json/", import.meta.url));
const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".expected"))
  .map((f) => f.slice(0, -".expected".length))
  .sort();

interface Expectation {
  file: string;
  line: number;
  column: number;
  fragment: string;
}

function expectations(name: string): Expectation[] {
  return readFileSync(join(dir, `${name}.expected`), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => {
      const m = /^(.+?):(\d+):(\d+): (.+)$/.exec(l);
      assert.ok(m, `bad expectation line in ${name}.expected: ${l}`);
      return { file: m[1]!, line: Number(m[2]), column: Number(m[3]), fragment: m[4]! };
    });
}

const matches = (d: Diagnostic, e: Expectation) =>
  d.pos?.file === e.file &&
  d.pos.line === e.line &&
  d.pos.column === e.column &&
  formatDiagnostic(d).includes(e.fragment);

test("the corpus has at least 35 malformed templates", () => {
  assert.ok(cases.length >= 35, `only ${cases.length} cases`);
  for (const name of cases) assert.ok(existsSync(join(dir, `${name}.json`)), `${name}.json missing`);
});

for (const name of cases) {
  test(`malformed: ${name}`, async () => {
    const argsFile = join(dir, `${name}.args.json`);
    const args = existsSync(argsFile) ? (JSON.parse(readFileSync(argsFile, "utf8")) as object) : {};
    let err: unknown;
    try {
      // As `kiln validate` does: load, then select the builds (unsupported builders fail there).
      const t = await loadTemplate(`${name}.json`, {
        vars: [],
        varFiles: [],
        env: { HOME: "/home/test", USER: "test" },
        cwd: dir,
        startTime: new Date(Date.UTC(2026, 0, 1)),
        ...args,
      });
      planBuilds(t, [], []);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof InvalidInputError, `expected InvalidInputError, got ${String(err)}`);
    const errors = err.diagnostics.filter((d) => d.severity === "error");
    const shown = errors.map(formatDiagnostic).join("\n");
    for (const e of expectations(name)) {
      assert.ok(
        errors.some((d) => matches(d, e)),
        `no error at ${e.file}:${e.line}:${e.column} containing ${JSON.stringify(e.fragment)}; got:\n${shown}`,
      );
    }
    for (const d of errors) {
      assert.ok(d.pos, `error without a position: ${formatDiagnostic(d)}`);
      assert.ok(
        expectations(name).some((e) => matches(d, e)),
        `unexpected error (add it to ${name}.expected if intended):\n${formatDiagnostic(d)}`,
      );
    }
  });
}

test("src/template never imports the engine or the runner", () => {
  const root = fileURLToPath(new URL("../../src/template/", import.meta.url));
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith(".ts") ? [join(d, e.name)] : [],
    );
  for (const file of walk(root)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/from "([^"]+)"/g)) {
      const spec = m[1]!;
      assert.ok(!/\/(engine|run|auth|ui|cli)\//.test(spec), `${relative(root, file)} imports ${spec}`);
    }
  }
});
