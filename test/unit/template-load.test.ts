import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTemplate } from "../../src/template/load.js";
import { InvalidInputError, formatDiagnostic } from "../../src/template/diagnostic.js";
import { buildDataSentinel, type LoadOptions, type Template } from "../../src/template/types.js";

const START = new Date(Date.UTC(2026, 10, 22, 5, 17, 6));

function setup(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "kiln-load-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function load(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<Template> {
  const dir = setup(files);
  return loadTemplate("t.json", {
    vars: [],
    varFiles: [],
    env: { HOME: "/home/me" },
    cwd: dir,
    startTime: START,
    ...opts,
  });
}

async function loadErrors(files: Record<string, string>, opts: Partial<LoadOptions> = {}): Promise<string[]> {
  try {
    await load(files, opts);
  } catch (e) {
    assert.ok(e instanceof InvalidInputError, String(e));
    return e.diagnostics.map(formatDiagnostic);
  }
  assert.fail("expected the template to be refused");
}

const tpl = (o: Record<string, unknown>) =>
  JSON.stringify({ builders: [{ type: "docker", image: "{{user `image`}}", commit: true }], ...o }, null, 2);

test("variables: defaults < var-files (in order) < -var, whatever the order", async () => {
  const files = {
    "t.json": tpl({ variables: { image: "default", a: "A", b: "B", c: "C" } }),
    "one.json": '{"a": "file1", "b": "file1", "image": "from-file"}',
    "two.json": '{"b": "file2"}',
  };
  const t = await load(files, {
    varFiles: ["one.json", "two.json"],
    vars: [
      ["a", "cli"],
      ["image", "cli-image"],
    ],
  });
  const v = Object.fromEntries(t.variables.map((x) => [x.name, x.value]));
  assert.deepEqual(v, { image: "cli-image", a: "cli", b: "file2", c: "C" });
  assert.equal(t.builds[0]!.builder.image, "cli-image");
});

test("variables: env and user inside variables, resolved in any order", async () => {
  const t = await load({
    "t.json": tpl({
      variables: {
        image: "{{user `repo`}}:{{user `tag`}}",
        repo: "{{env `HOME` | lower}}/app",
        tag: "v{{user `n`}}",
        n: "1",
      },
    }),
  });
  assert.equal(t.builds[0]!.builder.image, "/home/me/app:v1");
});

test("variables: -var values are rendered too, boolean defaults become 1/0", async () => {
  const t = await load(
    { "t.json": tpl({ variables: { image: "x", flag: true } }) },
    { vars: [["image", "{{upper `abc`}}"]] },
  );
  assert.equal(t.builds[0]!.builder.image, "ABC");
  assert.equal(t.variables.find((v) => v.name === "flag")!.value, "1");
});

test("variables: every missing required variable is reported, with how to set it", async () => {
  const errors = await loadErrors({ "t.json": tpl({ variables: { image: null, region: null, ok: "x" } }) });
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /^t\.json:\d+:\d+: error: required variable "image" is not set/);
  assert.match(errors[0]!, /-var image=… or in a -var-file/);
  assert.match(errors[1]!, /required variable "region" is not set/);
  assert.match(errors[1]!, /all unset required variables: image, region/);
});

test("variables: a -var satisfies a required variable", async () => {
  const t = await load({ "t.json": tpl({ variables: { image: null } }) }, { vars: [["image", "debian"]] });
  assert.equal(t.builds[0]!.builder.image, "debian");
});

test("variables: cycles and undefined references are errors", async () => {
  const cycle = await loadErrors({
    "t.json": tpl({ variables: { image: "x", a: "{{user `b`}}", b: "{{user `a`}}" } }),
  });
  assert.equal(cycle.length, 1);
  assert.match(cycle[0]!, /cycle: (a → b → a|b → a → b)/);
  const undef = await loadErrors({ "t.json": tpl({ variables: { image: "{{user `imag`}}x" } }) });
  assert.match(undef[0]!, /undefined variable "imag"/);
});

test("variables: sensitive values are collected; undeclared -var warns", async () => {
  const t = await load(
    { "t.json": tpl({ variables: { image: "x", pw: "hunter2" }, "sensitive-variables": ["pw"] }) },
    { vars: [["extra", "1"]] },
  );
  assert.deepEqual(t.sensitiveValues, ["hunter2"]);
  assert.ok(t.variables.find((v) => v.name === "pw")!.sensitive);
  assert.ok(
    t.warnings.some((w) => /-var extra=… sets "extra", which the template does not declare/.test(w.summary)),
  );
});

test("{{user}} of an undefined variable outside variables is a hard error with did-you-mean", async () => {
  const errors = await loadErrors({ "t.json": tpl({ variables: { imagee: "x" } }) });
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /undefined variable "image"; did you mean "imagee"\?/);
});

test("post-processors: string, object and sequence forms normalise to sequences", async () => {
  const t = await load({
    "t.json": tpl({
      variables: { image: "x" },
      "post-processors": [
        "docker-push",
        { type: "docker-save", path: "a.tar" },
        [{ type: "docker-tag", repository: "r", tags: ["1"], name: "tagit" }, "docker-push"],
      ],
    }),
  });
  const seqs = t.builds[0]!.postProcessors;
  assert.deepEqual(
    seqs.map((s) => s.map((p) => `${p.type}/${p.name}/${p.named}`)),
    [
      ["docker-push/docker-push/false"],
      ["docker-save/docker-save/false"],
      ["docker-tag/tagit/true", "docker-push/docker-push/false"],
    ],
  );
});

test("post-processors: keep_input_artifact renders and coerces", async () => {
  const t = await load({
    "t.json": tpl({
      variables: { image: "x", keep: "true" },
      "post-processors": [
        { type: "docker-save", path: "a.tar", keep_input_artifact: "{{user `keep`}}" },
        "docker-push",
      ],
    }),
  });
  assert.equal(t.builds[0]!.postProcessors[0]![0]!.keepInputArtifact, true);
  assert.equal(t.builds[0]!.postProcessors[1]![0]!.keepInputArtifact, undefined);
});

test("only/except filter provisioners and post-processors per build", async () => {
  const t = await load({
    "t.json": JSON.stringify({
      builders: [
        { type: "docker", name: "a", image: "x", commit: true },
        { type: "docker", name: "b", image: "x", commit: true },
      ],
      provisioners: [
        { type: "shell", inline: ["all"] },
        { type: "shell", inline: ["only-a"], only: ["a"] },
        { type: "shell", inline: ["not-a"], except: ["a"] },
      ],
      "post-processors": [
        [{ type: "docker-tag", repository: "r", only: ["b"] }, "docker-push"],
        [{ type: "docker-save", path: "x", except: ["b"] }],
      ],
    }),
  });
  const inline = (i: number) => t.builds[i]!.provisioners.map((p) => (p.config.inline as string[])[0]);
  assert.deepEqual(inline(0), ["all", "only-a"]);
  assert.deepEqual(inline(1), ["all", "not-a"]);
  const pps = (i: number) => t.builds[i]!.postProcessors.map((s) => s.map((p) => p.type));
  assert.deepEqual(pps(0), [["docker-push"], ["docker-save"]]);
  assert.deepEqual(pps(1), [["docker-tag", "docker-push"]]);
});

test("override merges per-build options before validation; core options coerce", async () => {
  const t = await load({
    "t.json": JSON.stringify({
      builders: [
        { type: "docker", name: "a", image: "x", commit: true },
        { type: "docker", name: "b", image: "x", commit: true },
      ],
      provisioners: [
        {
          type: "shell",
          inline: ["echo {{build_name}}"],
          override: { b: { inline: ["echo override"], skip_clean: true } },
          pause_before: "2s",
          max_retries: "3",
          timeout: "1m",
        },
      ],
    }),
  });
  const [a, b] = t.builds.map((x) => x.provisioners[0]!);
  assert.deepEqual(a!.config.inline, ["echo a"]);
  assert.equal(a!.config.skip_clean, false);
  assert.deepEqual(b!.config.inline, ["echo override"]);
  assert.equal(b!.config.skip_clean, true);
  assert.deepEqual([a!.pauseBeforeMs, a!.maxRetries, a!.timeoutMs], [2000, 3, 60_000]);
});

test("build data renders as sentinels; late fields stay for renderLate", async () => {
  const t = await load({
    "t.json": JSON.stringify({
      builders: [
        { type: "docker", image: "x", commit: true, run_command: ["-d", "{{.Image}}", "{{user `v`}}"] },
      ],
      variables: { v: "val" },
      provisioners: [{ type: "shell-local", inline: ["docker exec {{ build `ID` }} true"] }],
      "post-processors": [{ type: "shell-local", inline: ["echo {{build `ImageSha256`}}"] }],
    }),
  });
  const b = t.builds[0]!;
  assert.deepEqual(b.provisioners[0]!.config.inline, [`docker exec ${buildDataSentinel("ID")} true`]);
  assert.deepEqual(b.postProcessors[0]![0]!.config.inline, [`echo ${buildDataSentinel("ImageSha256")}`]);
  assert.deepEqual(b.builder.run_command, ["-d", "{{.Image}}", "{{user `v`}}"]);
  assert.deepEqual(b.provisioners[0]!.config.execute_command, ["/bin/sh", "-c", "{{.Vars}} {{.Script}}"]);
  const r = (s: string) => t.renderLate(s, { name: b.name, type: "docker" }, { Image: "debian:12" });
  assert.equal(r("{{.Image}}"), "debian:12");
  assert.equal(r("{{user `v`}}-{{build_name}}-{{build `ID`}}"), `val-docker-${buildDataSentinel("ID")}`);
  assert.throws(
    () => r("{{ .Imag }}"),
    (e: unknown) => e instanceof InvalidInputError && /did you mean ".Image"/.test(e.message),
  );
});

test("error-cleanup-provisioner is validated and attached to each build", async () => {
  const t = await load({
    "t.json": tpl({
      variables: { image: "x" },
      "error-cleanup-provisioner": { type: "shell-local", inline: ["echo cleanup"] },
    }),
  });
  assert.equal(t.builds[0]!.errorCleanupProvisioner?.type, "shell-local");
});

test("root: comments, description, min_packer_version accepted; push warns", async () => {
  const t = await load({
    "t.json": tpl({
      variables: { image: "x" },
      _comment: "hi",
      description: "d",
      min_packer_version: "1.5.0",
      push: { name: "x" },
    }),
  });
  assert.equal(t.description, "d");
  assert.ok(t.warnings.some((w) => /push.*obsolete/.test(w.summary)));
});

test("docker-tag deprecated tag warns; builder name may use functions", async () => {
  const t = await load({
    "t.json": JSON.stringify({
      builders: [{ type: "docker", name: "b-{{isotime `2006`}}", image: "x", commit: true }],
      "post-processors": [{ type: "docker-tag", repository: "r", tag: "1.0" }],
    }),
  });
  assert.equal(t.builds[0]!.name, "b-2026");
  assert.deepEqual(t.builds[0]!.postProcessors[0]![0]!.config.tag, ["1.0"]);
  assert.ok(t.warnings.some((w) => /"tag" option has been replaced with "tags"/.test(w.summary)));
});

test("errors inside a string point at the action, past JSON escapes", async () => {
  const text = '{"builders": [{"type": "docker", "commit": true,\n  "image": "a\\"b\\\\ {{ usr `x` }}"}]}';
  const errors = await loadErrors({ "t.json": text });
  // line 2: `  "image": "a\"b\\ {{ usr` — the action starts at column 20, the unknown name at 23.
  assert.match(errors[0]!, /^t\.json:2:23: error: function "usr" not defined; did you mean "user"\?/);
});

test("a problem in a provisioner applied to several builds is reported once", async () => {
  const errors = await loadErrors({
    "t.json": JSON.stringify({
      builders: [
        { type: "docker", name: "a", image: "x", commit: true },
        { type: "docker", name: "b", image: "x", commit: true },
      ],
      provisioners: [{ type: "shell", inline: ["x"], bogus: 1 }],
    }),
  });
  assert.equal(errors.length, 1);
});

test("file provisioner sources and shell scripts are checked relative to the cwd", async () => {
  const dir = setup({
    "t.json": JSON.stringify({
      builders: [{ type: "docker", image: "x", commit: true }],
      provisioners: [
        { type: "file", source: "present.txt", destination: "/tmp/" },
        { type: "shell", script: "run.sh" },
        { type: "file", source: "later.txt", destination: "/tmp/", generated: true },
      ],
    }),
    "present.txt": "x",
    "run.sh": "true",
  });
  const opts = { vars: [], varFiles: [], env: {}, cwd: dir, startTime: START };
  const t = await loadTemplate("t.json", opts);
  assert.equal(t.builds[0]!.provisioners.length, 3);
  // From another directory, the same relative paths are missing, and the message says where they are.
  try {
    await loadTemplate(join(dir, "t.json"), { ...opts, cwd: tmpdir() });
    assert.fail("expected errors");
  } catch (e) {
    assert.ok(e instanceof InvalidInputError);
    assert.equal(e.diagnostics.length, 2);
    assert.match(e.diagnostics[0]!.summary, /bad source "present.txt": no such file or directory/);
    assert.match(e.diagnostics[0]!.detail!, /exists next to the template/);
    assert.match(e.diagnostics[1]!.summary, /bad script "run.sh"/);
  }
});

test("syntax-only stops after the structure", async () => {
  const t = await load({ "t.json": tpl({ variables: { image: null } }) }, { syntaxOnly: true });
  assert.equal(t.builds.length, 0);
  assert.equal(t.variables[0]!.required, true);
});

test("a missing template file is an InvalidInputError", async () => {
  await assert.rejects(
    loadTemplate("nope.json", { vars: [], varFiles: [], env: {}, cwd: tmpdir(), startTime: START }),
    (e: unknown) => e instanceof InvalidInputError && /cannot read template nope.json/.test(e.message),
  );
});

test("a file without .json extension whose content starts with { is JSON", async () => {
  const dir = setup({ template: tpl({ variables: { image: "x" } }) });
  const t = await loadTemplate("template", { vars: [], varFiles: [], env: {}, cwd: dir, startTime: START });
  assert.equal(t.format, "json");
});

test("shell-local execute_command: one string means `sh -c` for the post-processor (as Packer), too short for the provisioner", async () => {
  const t = await load({
    "t.json": tpl({
      variables: { image: "x" },
      "post-processors": [
        { type: "shell-local", inline: ["true"], execute_command: "{{.Vars}} bash {{.Script}}" },
      ],
    }),
  });
  assert.deepEqual(t.builds[0]!.postProcessors[0]![0]!.config.execute_command, [
    "sh",
    "-c",
    "{{.Vars}} bash {{.Script}}",
  ]);
  const errors = await loadErrors({
    "t.json": tpl({
      variables: { image: "x" },
      provisioners: [{ type: "shell-local", inline: ["true"], execute_command: "bash {{.Script}}" }],
    }),
  });
  assert.equal(errors.length, 1);
  assert.match(
    errors[0]!,
    /execute_command needs the program and its arguments as a list of at least two strings/,
  );
});
