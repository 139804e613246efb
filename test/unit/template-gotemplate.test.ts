import { test } from "node:test";
import assert from "node:assert/strict";
import { renderTemplate } from "../../src/template/gotemplate/exec.js";
import { parseTemplate } from "../../src/template/gotemplate/parser.js";
import { TemplateError } from "../../src/template/gotemplate/errors.js";
import { goBuiltins } from "../../src/template/gotemplate/builtins.js";
import { fn, type FuncMap } from "../../src/template/gotemplate/func.js";

const funcs: FuncMap = {
  ...goBuiltins,
  user: fn('{{ user "x" }}', ["string"], (k: string) => ({ name: "World", empty: "" })[k] ?? ""),
  lower: fn("", ["string"], (s: string) => s.toLowerCase()),
  upper: fn("", ["string"], (s: string) => s.toUpperCase()),
  replace: fn("", ["string", "string", "int", "string"], (o: string, n: string, c: number, s: string) =>
    c < 0 ? s.split(o).join(n) : s.replace(o, n),
  ),
  split: fn("", ["string", "string", "int"], (s: string, sep: string, i: number) => s.split(sep)[i]),
};

const render = (text: string, data?: Record<string, unknown>) => renderTemplate(text, { funcs, data });

function errorAt(text: string): TemplateError {
  try {
    render(text);
  } catch (e) {
    assert.ok(e instanceof TemplateError, String(e));
    return e;
  }
  assert.fail(`expected ${JSON.stringify(text)} to fail`);
}

test("text without actions is returned unchanged", () => {
  assert.equal(render("plain {text} }}"), "plain {text} }}");
});

test("backtick and double-quoted strings, with Go escapes", () => {
  assert.equal(render("{{ user `name` }}"), "World");
  assert.equal(render('{{ user "name" }}'), "World");
  assert.equal(render('{{ "a\\tb\\n\\"q\\" \\x41\\u00e9\\101" }}'), 'a\tb\n"q" AéA');
  assert.equal(render("{{ `raw \\n stays` }}"), "raw \\n stays");
});

test("pipes pass the value as the last argument", () => {
  assert.equal(render('{{ user "name" | lower }}'), "world");
  assert.equal(render('{{ user "name" | replace "o" "0" -1 | upper }}'), "W0RLD");
  assert.equal(render('{{ "a" | printf "%s-%s" "b" }}'), "b-a");
});

test("parenthesised calls", () => {
  assert.equal(render('{{ upper (user "name") }}'), "WORLD");
  assert.equal(render('{{ split (lower "A-B") "-" 1 }}'), "b");
});

test("trim markers remove adjacent white space", () => {
  assert.equal(render("a  {{- `b` -}}  c"), "abc");
  assert.equal(render("a \n {{- `b` }} c"), "ab c");
  assert.equal(render("{{-3}}"), "-3");
});

test("comments are dropped", () => {
  assert.equal(render("a{{/* note */}}b"), "ab");
  assert.equal(render("a {{- /* note */ -}} b"), "ab");
});

test(".Field access on data, with did-you-mean for missing fields", () => {
  assert.equal(render("{{ .Path }} {{.Vars}}", { Path: "/tmp/s.sh", Vars: "A=1" }), "/tmp/s.sh A=1");
  assert.equal(render("{{ .A.B }}", { A: { B: "deep" } }), "deep");
  let err: unknown;
  try {
    render("x {{ .Paht }}", { Path: "p" });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof TemplateError);
  assert.equal(err.offset, 5);
  assert.deepEqual(err.extras.suggestions, [".Path"]);
});

test("if / else / else if / with", () => {
  assert.equal(render('{{ if user "name" }}yes{{ else }}no{{ end }}'), "yes");
  assert.equal(render('{{ if user "empty" }}yes{{ else }}no{{ end }}'), "no");
  assert.equal(render("{{ if eq 1 2 }}a{{ else if eq 2 2 }}b{{ else }}c{{ end }}"), "b");
  assert.equal(render('{{ with user "name" }}[{{ . }}]{{ end }}'), "[World]");
});

test("Go builtins: printf, len, index, and/or/not, comparisons", () => {
  assert.equal(render('{{ printf "%s-%03d-%q-%v" "a" 7 "b" true }}'), 'a-007-"b"-true');
  assert.equal(render('{{ len "héllo" }}'), "6");
  assert.equal(render('{{ or "" "fallback" }}'), "fallback");
  assert.equal(render('{{ and "x" "" }}'), "");
  assert.equal(render("{{ not true }}"), "false");
  assert.equal(render("{{ lt 1 2 }} {{ ge 1 2 }}"), "true false");
  assert.equal(render('{{ print "a" 1 2 "b" }}'), "a1 2b");
});

test("unknown functions are reported at their offset, with did-you-mean", () => {
  const e = errorAt("ab {{ usr `x` }}");
  assert.match(e.message, /function "usr" not defined/);
  assert.equal(e.offset, 6);
  assert.deepEqual(e.extras.suggestions, ["user"]);
});

test("function names are checked even in branches not taken", () => {
  const e = errorAt("{{ if false }}{{ lowr `x` }}{{ end }}");
  assert.match(e.message, /lowr/);
  assert.deepEqual(e.extras.suggestions, ["lower"]);
});

test("argument count and types are checked as Go does", () => {
  assert.match(errorAt("{{ user }}").message, /wrong number of arguments for user: want 1, got 0/);
  assert.match(
    errorAt('{{ split "a" "b" "0" }}').message,
    /split: argument 3 must be an integer, got string "0"/,
  );
  assert.match(errorAt("{{ user 3 }}").message, /argument 1 must be a string/);
});

test("syntax errors: unclosed action, unterminated strings, stray end", () => {
  assert.match(errorAt("a {{ user `x` ").message, /unclosed action/);
  assert.equal(errorAt("a {{ user `x` ").offset, 2);
  assert.match(errorAt("{{ user `x }}").message, /unterminated raw quoted string/);
  assert.match(errorAt('{{ user "x }}').message, /unterminated quoted string/);
  assert.match(errorAt("{{ end }}").message, /unexpected \{\{end\}\}/);
  assert.match(errorAt("{{ if true }}x").message, /missing its \{\{end\}\}/);
  assert.match(errorAt("{{ range .X }}{{ end }}").message, /not supported/);
  assert.match(errorAt("{{ }}").message, /empty command/);
  assert.match(errorAt('{{ "a\\q" }}').message, /unknown escape/);
});

test("parser records the offsets of actions", () => {
  const t = parseTemplate("x{{ a }}yy{{ b | c }}");
  const actions = t.nodes.filter((n) => n.k === "action");
  assert.deepEqual(
    actions.map((a) => [a.pos, a.end]),
    [
      [1, 8],
      [10, 21],
    ],
  );
});

test("bare .Field actions can be kept verbatim (variables pass)", () => {
  assert.equal(
    renderTemplate("{{ .HTTPIP }}:{{ user `name` }}", { funcs, keepFieldActions: true }),
    "{{ .HTTPIP }}:World",
  );
});
