import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig, type ValidateConfigOptions } from "../../src/template/validate-config.js";
import { f, type ComponentSpec } from "../../src/template/schema.js";
import { parseJson } from "../../src/template/json/parse-json.js";
import { InvalidInputError } from "../../src/template/diagnostic.js";
import { componentSpec } from "../../src/template/components.js";
import { commitChanges, nonBlankChanges } from "../../src/builders/docker/commit-changes.js";

const spec: ComponentSpec = {
  type: "demo",
  schema: {
    name: f.string("A name."),
    flag: f.bool("A flag.").default(false),
    count: f.int("A count.").default(1),
    wait: f.duration("A wait.").default(0),
    list: f.strings("A list.").default([]),
    one: f.strings("Accepts one.").acceptSingle(),
    codes: f.ints("Codes.").default([0]),
    env: f.map("Env.").default({}),
    mode: f.string("Mode.").default("a").choices(["upload", "download"]),
    cmd: f.string("Late.").lateRender(),
    old: f.string("Old.").deprecate("old is replaced by name"),
    skip: f.string("Skipped.").ignore("kiln does not need it"),
    must: f.string("Required.").need(),
  },
  check(c) {
    return c.name === "conflict"
      ? [
          ["name", "name conflicts with flag"],
          ["list[1]", "second item is bad"],
        ]
      : [];
  },
};

function run(json: string, opts: Partial<ValidateConfigOptions> = {}) {
  const { root } = parseJson(json, "t.json");
  return validateConfig(spec, root, {
    format: "json",
    render: (s) => s.replace("{{x}}", "rendered"),
    file: "t.json",
    templateDir: "/tpl",
    blockPos: root.pos,
    ...opts,
  });
}

const at = (d: { pos?: { line: number; column: number } }) => (d.pos ? `${d.pos.line}:${d.pos.column}` : "-");

test("weak coercion: bool/int/duration from strings, numbers to strings", () => {
  const { config, diagnostics } = run(
    '{"must": "m", "flag": "true", "count": "3", "wait": "1m30s", "name": 42, "codes": ["0", 2], "env": {"A": "{{x}}", "B": 1}}',
  );
  assert.deepEqual(diagnostics, []);
  assert.equal(config.flag, true);
  assert.equal(config.count, 3);
  assert.equal(config.wait, 90_000);
  assert.equal(config.name, "42");
  assert.deepEqual(config.codes, [0, 2]);
  assert.deepEqual(config.env, { A: "rendered", B: "1" });
});

test("bool accepts Go's ParseBool spellings and 0/1", () => {
  for (const [v, want] of [
    ['"1"', true],
    ['"F"', false],
    ['"False"', false],
    ["1", true],
    ["0", false],
  ] as const) {
    assert.equal(run(`{"must": "m", "flag": ${v}}`).config.flag, want, v);
  }
});

test("durations: numbers are seconds", () => {
  assert.equal(run('{"must": "m", "wait": 2}').config.wait, 2000);
  assert.equal(run('{"must": "m", "wait": "500ms"}').config.wait, 500);
});

test("defaults fill in; required is reported at the block", () => {
  const r = run("{}");
  assert.equal(r.config.flag, false);
  assert.deepEqual(r.config.codes, [0]);
  assert.equal(r.config.mode, "a");
  assert.deepEqual(
    r.diagnostics.map((d) => [at(d), d.summary]),
    [["1:1", 'missing required option "must"']],
  );
});

test("wrong types name the expected and actual type at the value", () => {
  const r = run(
    '{"must": "m",\n "flag": "yes", "count": 1.5, "list": {"a": 1}, "env": ["x"], "name": true, "wait": "soon"}',
  );
  assert.deepEqual(
    r.diagnostics.map((d) => `${at(d)} ${d.summary}`),
    [
      '2:10 flag: expected boolean, got string "yes"',
      "2:26 count: expected integer, got number 1.5",
      "2:39 list: expected a list of strings, got an object",
      "2:56 env: expected an object of strings, got a list",
      "2:71 name: expected string, got boolean true",
      '2:85 wait: expected a duration such as "30s", "1m30s" or a number of seconds, got string "soon"',
    ],
  );
});

test("a single string for a list: silent when the field accepts it, else a warning", () => {
  const r = run('{"must": "m", "one": "a", "list": "b"}');
  assert.deepEqual(r.config.one, ["a"]);
  assert.deepEqual(r.config.list, ["b"]);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.severity, d.summary]),
    [["warning", "list: expected a list of strings; treating the string as a one-element list"]],
  );
});

test("unknown keys get did-you-mean; choices too", () => {
  const r = run('{"must": "m", "nmae": "x", "mode": "uplaod"}');
  assert.deepEqual(
    r.diagnostics.map((d) => [at(d), d.summary, d.suggestions]),
    [
      ["1:15", 'unknown key "nmae"', ["name"]],
      ["1:36", 'mode: "uplaod" is not one of upload, download', ["upload"]],
    ],
  );
});

test("deprecated and ignored options warn", () => {
  const r = run('{"must": "m", "old": "x", "skip": "y"}');
  assert.deepEqual(
    r.diagnostics.map((d) => [d.severity, d.summary]),
    [
      ["warning", "old is replaced by name"],
      ["warning", "skip is ignored: kiln does not need it"],
    ],
  );
  assert.equal(r.config.old, "x");
});

test("late fields are kept unrendered but syntax-checked", () => {
  const seen: string[] = [];
  const r = run('{"must": "m", "cmd": "{{x}} {{ .Path }}"}', {
    checkLate: (s) => {
      seen.push(s);
    },
  });
  assert.equal(r.config.cmd, "{{x}} {{ .Path }}");
  assert.deepEqual(seen, ["{{x}} {{ .Path }}"]);
  const bad = run('{"must": "m", "cmd": "{{ nope }}"}', {
    checkLate: (_s, pos) => {
      throw new InvalidInputError([{ severity: "error", pos, summary: "bad late" }]);
    },
  });
  assert.deepEqual(
    bad.diagnostics.map((d) => [at(d), d.summary]),
    [["1:22", "bad late"]],
  );
});

test("render failures are collected, not thrown", () => {
  const r = run('{"must": "m", "name": "a", "list": ["b", "c"]}', {
    render: (s, pos) => {
      if (s === "a" || s === "c")
        throw new InvalidInputError([{ severity: "error", pos, summary: `cannot render ${s}` }]);
      return s;
    },
  });
  assert.deepEqual(
    r.diagnostics.map((d) => [at(d), d.summary]),
    [
      ["1:23", "cannot render a"],
      ["1:42", "cannot render c"],
    ],
  );
});

test("check problems are positioned at the field, or at a list item", () => {
  const r = run('{"must": "m", "name": "conflict", "list": ["a", "b"]}');
  assert.deepEqual(
    r.diagnostics.map((d) => [at(d), d.summary]),
    [
      ["1:15", "name conflicts with flag"],
      ["1:49", "second item is bad"],
    ],
  );
});

test('docker builder and docker-import: blank changes are ignored, as the daemon ignores Packer\'s --change ""', () => {
  for (const type of ["docker", "docker-import"] as const) {
    const spec = componentSpec(type === "docker" ? "builder" : "post-processor", type)!;
    const body = type === "docker" ? '"image": "x", "commit": true' : '"repository": "r/x"';
    const { root } = parseJson(`{${body}, "changes": ["", "  ", "LABEL rw=1"]}`, "t.json");
    const r = validateConfig(spec, root, {
      format: "json",
      render: (s) => s,
      file: "t.json",
      templateDir: "/",
    });
    assert.deepEqual(
      r.diagnostics.map((d) => d.summary),
      [],
      type,
    );
  }
  assert.deepEqual(nonBlankChanges(["", "WORKDIR /x", " \t", "LABEL a=1"]), ["WORKDIR /x", "LABEL a=1"]);
  assert.deepEqual(commitChanges(["", "LABEL a=1"], null, false).changes, ["LABEL a=1"]);
});

test("docker-tag: an empty tag is refused at validate, positioned at the item", () => {
  const spec = componentSpec("post-processor", "docker-tag")!;
  const { root } = parseJson('{"repository": "rw/x", "tags": ["latest", ""]}', "t.json");
  const r = validateConfig(spec, root, {
    format: "json",
    render: (s) => s,
    file: "t.json",
    templateDir: "/",
  });
  assert.deepEqual(
    r.diagnostics.map((d) => [at(d), d.severity, d.summary]),
    [["1:43", "error", "empty tag: remove it from tags, or give the variable that fills it a value"]],
  );
});

test("docker builder: a volumes mapping with an empty side is refused at validate", () => {
  const spec = componentSpec("builder", "docker")!;
  const { root } = parseJson('{"image": "x", "discard": true, "volumes": {"": "", "/a": "/b"}}', "t.json");
  const r = validateConfig(spec, root, {
    format: "json",
    render: (s) => s,
    file: "t.json",
    templateDir: "/",
  });
  assert.equal(r.diagnostics.length, 1);
  assert.match(r.diagnostics[0]!.summary, /^volumes: "" = "" needs a host path and a container path/);
  assert.equal(r.diagnostics[0]!.severity, "error");
});

test("identity render (HCL) works the same", () => {
  const r = run('{"must": "{{x}}"}', { render: (s) => s });
  assert.equal(r.config.must, "{{x}}");
});

test("docker builder: changes are checked statically", () => {
  const docker = componentSpec("builder", "docker")!;
  const { root } = parseJson(
    '{"image": "x", "commit": true, "changes": ["ENTRYPIONT [\\"a\\"]", "MAINTAINER me", "ENV", "LABEL x", "expose 80"]}',
    "t.json",
  );
  const r = validateConfig(docker, root, {
    format: "json",
    render: (s) => s,
    file: "t.json",
    templateDir: "/",
  });
  assert.deepEqual(
    r.diagnostics.map((d) => [at(d), d.summary, d.suggestions]),
    [
      ["1:44", '"ENTRYPIONT" is not an instruction docker commit accepts', ["ENTRYPOINT"]],
      ["1:66", '"MAINTAINER" is not an instruction docker commit accepts', undefined],
      ["1:83", "ENV needs an argument", undefined],
      ["1:90", "LABEL needs key=value pairs", undefined],
    ],
  );
});
