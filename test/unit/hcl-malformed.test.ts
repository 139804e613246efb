// Malformed HCL templates (test/fixtures/hcl/malformed): each must fail to load with an
// InvalidInputError (the CLI's exit 2) whose diagnostic names the file, line and column, says
// what is wrong, quotes the line with a caret and, where it can, suggests the fix.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidInputError, type Diagnostic } from "../../src/template/diagnostic.js";
import { loadHclTemplate } from "../../src/template/hcl/load.js";
import type { LoadOptions } from "../../src/template/types.js";
import { readFileSync } from "node:fs";
import { fixture, loadOptions, referenceParse } from "./hcl-helpers.js";

interface Case {
  file: string;
  /** Expected position of the (first) error; null: a command-line problem without one. */
  at: [line: number, column: number] | null;
  summary: RegExp;
  suggestions?: string[];
  detail?: RegExp;
  opts?: Partial<LoadOptions>;
  /** Reliability-bar row this case covers (docs/reference/reliability-bar.md §2.5). */
  bar?: string;
}

const CASES: Case[] = [
  { file: "syntax-unclosed-block", at: [6, 7], summary: /^Unclosed configuration block$/, bar: "H1" },
  {
    file: "syntax-missing-equals",
    at: [2, 20],
    summary: /^Invalid block definition$/,
    detail: /add an equals sign: image = …/,
  },
  { file: "syntax-unterminated-string", at: [2, 22], summary: /^Unterminated template string/ },
  {
    file: "syntax-bad-escape",
    at: [2, 15],
    summary: /^Invalid escape sequence$/,
    detail: /"i" is not a valid escape/,
  },
  { file: "syntax-missing-comma", at: [3, 24], summary: /^Missing item separator$/ },
  { file: "syntax-unterminated-heredoc", at: [3, 15], summary: /^Unterminated heredoc/ },
  {
    file: "syntax-single-quotes",
    at: [2, 11],
    summary: /^Invalid character "'"; strings are quoted with double quotes/,
  },
  {
    file: "syntax-attribute-redefined",
    at: [4, 3],
    summary: /^Attribute redefined$/,
    detail: /already set at .*:3:3/,
  },
  { file: "syntax-endif-without-if", at: [2, 19], summary: /^Unexpected endif directive$/ },
  {
    file: "syntax-missing-close-paren",
    at: [3, 1],
    summary: /^Missing closing parenthesis$/,
    detail: /"upper" that starts at line 2, column 10/,
  },
  {
    file: "unknown-argument",
    at: [3, 3],
    summary: /^unknown key "comit"$/,
    suggestions: ["commit"],
    bar: "H2",
  },
  { file: "wrong-type", at: [3, 12], summary: /^commit: expected boolean, got string "yes"$/, bar: "H3" },
  {
    file: "unset-variable",
    at: [1, 1],
    summary: /^Unset variable "region"$/,
    detail: /-var region=…/,
    bar: "H4",
  },
  {
    file: "undeclared-variable",
    at: [6, 12],
    summary: /^Reference to undeclared input variable$/,
    suggestions: ["var.image"],
    bar: "H5",
  },
  {
    file: "unknown-builder-type",
    at: [1, 8],
    summary: /^unknown builder type "dokcer"$/,
    suggestions: ["docker"],
    bar: "H6",
  },
  {
    file: "unknown-function",
    at: [2, 12],
    summary: /^Call to unknown function$/,
    suggestions: ["upper"],
    bar: "H7",
  },
  {
    file: "unknown-source-reference",
    at: [7, 33],
    summary: /^Unknown source docker\.b$/,
    suggestions: ["source.docker.a"],
    detail: /Sources defined in this template: source\.docker\.a/,
    bar: "H9",
  },
  {
    file: "validation-failed",
    at: [3, 13],
    summary: /^Invalid value for variable "tag"$/,
    detail: /The tag must not be empty\.[\s\S]*validation rule at .*validation-failed\.pkr\.hcl:5:21/,
    bar: "H10",
  },
  {
    file: "locals-cycle",
    at: [2, 3],
    summary: /^Cycle in local values$/,
    detail: /local\.a → local\.b → local\.c → local\.a/,
  },
  { file: "unknown-block-type", at: [6, 1], summary: /^Unsupported block type$/, suggestions: ["build"] },
  {
    file: "unknown-provisioner-type",
    at: [9, 15],
    summary: /^unknown provisioner type "shel"$/,
    suggestions: ["shell", "shell-local"],
  },
  {
    file: "env-outside-defaults",
    at: [2, 10],
    summary: /^Call to unknown function$/,
    detail: /only allowed in variable defaults/,
  },
  {
    file: "vault-not-supported",
    at: [2, 13],
    summary: /^Function not supported$/,
    detail: /kiln does not support "vault"/,
  },
  {
    file: "bad-function-argument",
    at: [2, 17],
    summary: /^Invalid function argument$/,
    detail: /"str" parameter: a string is required/,
  },
  {
    file: "variable-default-type",
    at: [3, 13],
    summary: /^Invalid value for variable "retries"$/,
    detail: /"three" is not a number/,
  },
  {
    file: "only-unknown-source",
    at: [11, 14],
    summary: /^only: no source of this build is named "docker\.ap"$/,
    suggestions: ["docker.app"],
  },
  {
    file: "undeclared-in-var-file",
    at: [1, 1],
    summary: /^Undefined variable "imgae"$/,
    suggestions: ["image"],
    opts: { varFiles: ["undeclared-in-var-file.pkrvars.hcl"] },
  },
  {
    file: "interpolate-list",
    at: [7, 20],
    summary: /^Invalid template interpolation value$/,
    detail: /jsonencode\(\) or join\(\)/,
  },
  { file: "index-out-of-range", at: [3, 24], summary: /^Invalid index$/ },
  { file: "missing-required-option", at: [9, 3], summary: /^missing required option "repository"$/ },
  { file: "build-without-sources", at: [1, 1], summary: /^Build without sources$/ },
  {
    file: "duplicate-source",
    at: [6, 1],
    summary: /^Duplicate source "docker\.app"$/,
    detail: /already defined at .*duplicate-source\.pkr\.hcl:1:1/,
  },
  {
    file: "undeclared-local",
    at: [8, 32],
    summary: /^Reference to undeclared local value$/,
    suggestions: ["local.greeting"],
  },
  { file: "data-source", at: [1, 1], summary: /^data sources are not supported by kiln$/ },
  { file: "inconsistent-conditional", at: [2, 11], summary: /^Inconsistent conditional result types$/ },
  { file: "wrong-label-count", at: [1, 1], summary: /^Missing name for source$/ },
  {
    file: "bad-var-type-cli",
    at: null,
    summary: /^Invalid value for variable "retries"$/,
    detail: /"abc" is not a number/,
    opts: { vars: [["retries", "abc"]] },
  },
];

async function diagnosticsOf(c: Case): Promise<Diagnostic[]> {
  try {
    await loadHclTemplate(`${c.file}.pkr.hcl`, loadOptions({ cwd: fixture("malformed"), ...c.opts }));
  } catch (e) {
    assert.ok(e instanceof InvalidInputError, `expected InvalidInputError, got ${String(e)}`);
    return e.diagnostics;
  }
  assert.fail(`${c.file} loaded without error`);
}

describe("malformed HCL templates", () => {
  it(`covers at least 25 inputs (${CASES.length})`, () => {
    assert.ok(CASES.length >= 25);
  });

  for (const c of CASES) {
    it(`${c.file}${c.bar ? ` (${c.bar})` : ""}`, async () => {
      const diags = (await diagnosticsOf(c)).filter((d) => d.severity === "error");
      assert.equal(
        diags.length,
        1,
        `exactly one error expected, got:\n${diags.map((d) => d.summary).join("\n")}`,
      );
      const d = diags[0]!;
      assert.match(d.summary, c.summary);
      if (c.at) {
        assert.deepEqual(d.pos, {
          file: `${c.file}.pkr.hcl`.replace(
            /^undeclared-in-var-file\.pkr\.hcl$/,
            "undeclared-in-var-file.pkrvars.hcl",
          ),
          line: c.at[0],
          column: c.at[1],
        });
        // The excerpt: the line, then a caret under the column.
        const lines = (d.detail ?? "").split("\n");
        const i = lines.findIndex((l) => l.startsWith(`${c.at![0]} | `));
        assert.ok(i >= 0, `no excerpt of line ${c.at[0]} in:\n${d.detail}`);
        const caretLine = lines[i + 1] ?? "";
        const gutter = `${c.at[0]} | `.length;
        assert.equal(
          caretLine.indexOf("^"),
          gutter + c.at[1] - 1,
          `caret misplaced:\n${lines[i]}\n${caretLine}`,
        );
      } else {
        assert.equal(d.pos, undefined);
      }
      if (c.suggestions) assert.deepEqual(d.suggestions, c.suggestions);
      if (c.detail) assert.match(d.detail ?? "", c.detail);
    });
  }
});

describe("syntax errors agree with HashiCorp's parser", () => {
  // kiln points an unterminated heredoc at its opener; HCL points at the end of the file.
  const OWN_POSITION = new Set(["syntax-unterminated-heredoc"]);
  for (const c of CASES.filter((x) => x.file.startsWith("syntax-"))) {
    it(`${c.file}: the reference parser rejects it${OWN_POSITION.has(c.file) ? "" : " at the same line and column"}`, async () => {
      const src = readFileSync(fixture("malformed", `${c.file}.pkr.hcl`), "utf8");
      let message = "";
      try {
        await referenceParse(src);
      } catch (e) {
        message = String((e as Error).message ?? e);
      }
      const m = /:(\d+),(\d+)-/.exec(message);
      assert.ok(m, `the reference parser accepted ${c.file}: ${message}`);
      if (!OWN_POSITION.has(c.file)) assert.deepEqual([Number(m[1]), Number(m[2])], c.at);
    });
  }
});
