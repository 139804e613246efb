// The HCL loader end to end: directories of files, variables and their precedence, build names,
// source overrides, only/except/override, dynamic blocks, post-processor sequences, build data,
// late rendering, sensitive values, and the shared entry point (src/template/load.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadTemplate } from "../../src/template/load.js";
import { loadHclTemplate } from "../../src/template/hcl/load.js";
import { buildDataSentinel, type BuildDef, type Template } from "../../src/template/types.js";
import { InvalidInputError } from "../../src/template/diagnostic.js";
import { fixture, loadOptions } from "./hcl-helpers.js";

const load = (path: string, over: Parameters<typeof loadOptions>[0] = {}): Promise<Template> =>
  loadHclTemplate(path, loadOptions(over));

const byName = (t: Template, name: string): BuildDef => {
  const b = t.builds.find((x) => x.name === name);
  assert.ok(b, `no build ${name} in ${t.builds.map((x) => x.name).join(", ")}`);
  return b;
};

const inlines = (b: BuildDef): unknown[] => b.provisioners.map((p) => (p.config.inline as string[])[0]);

describe("HCL loader: a directory of files", () => {
  it("reads every *.pkr.hcl in lexical order as one template", async () => {
    const t = await load("load/multi");
    assert.equal(t.format, "hcl");
    assert.equal(t.path, "load/multi");
    assert.equal(t.dir, fixture("load/multi"));
    assert.equal(t.description, "Builds the app image.");
    assert.deepEqual(
      t.builds.map((b) => [b.name, b.sourceName]),
      [
        ["demo.docker.app", "app"],
        ["demo.docker.exported", "exported"],
        ["demo.docker.variant", "variant"],
      ],
    );
    assert.deepEqual(
      t.variables.map((v) => v.name),
      ["image", "tag", "packages", "registry_password", "repo"],
    );
    const image = t.variables.find((v) => v.name === "image")!;
    assert.equal(image.description, "Base image.");
    assert.deepEqual(image.pos, { file: "load/multi/1-variables.pkr.hcl", line: 1, column: 1 });
  });

  it("merges a build's source block over the source (and renames it)", async () => {
    const t = await load("load/multi");
    assert.deepEqual(byName(t, "demo.docker.variant").builder.changes, ["ENV VARIANT=1"]);
    assert.deepEqual(byName(t, "demo.docker.app").builder.changes, []);
    assert.equal(byName(t, "demo.docker.exported").builder.export_path, "out/app.tar");
    assert.equal(byName(t, "demo.docker.app").builder.commit, true);
  });

  it("evaluates provisioners per source, with only/except/override and dynamic blocks", async () => {
    const t = await load("load/multi");
    const id = buildDataSentinel("ID");
    assert.deepEqual(inlines(byName(t, "demo.docker.app")), [
      `echo app docker demo ${id}`,
      "echo only-app",
      "echo not-exported",
      "apk add curl",
    ]);
    assert.deepEqual(inlines(byName(t, "demo.docker.exported")), [
      `echo exported docker demo ${id}`,
      "apk add curl",
    ]);
    assert.deepEqual(inlines(byName(t, "demo.docker.variant")), [
      `echo variant docker demo ${id}`,
      "echo overridden for variant",
      "apk add curl",
    ]);
    const first = byName(t, "demo.docker.app").provisioners[0]!;
    assert.deepEqual([first.pauseBeforeMs, first.maxRetries, first.timeoutMs], [2000, 3, 90_000]);
    assert.deepEqual(first.pos, { file: "load/multi/3-build.pkr.hcl", line: 11, column: 3 });
    const cleanup = byName(t, "demo.docker.app").errorCleanupProvisioner!;
    assert.equal(cleanup.type, "shell-local");
    assert.deepEqual(cleanup.config.inline, [`echo cleanup ${id}`]);
  });

  it("keeps post-processor sequences; unnamed ones are named after their type", async () => {
    const t = await load("load/multi");
    const seqs = byName(t, "demo.docker.app").postProcessors;
    assert.deepEqual(
      seqs.map((s) => s.map((p) => [p.type, p.name, p.named, p.keepInputArtifact])),
      [
        [
          ["docker-tag", "docker-tag", false, undefined],
          ["docker-push", "push", true, false],
        ],
        [["manifest", "manifest", false, undefined]],
      ],
    );
    assert.deepEqual(seqs[0]![0]!.config.tags, ["from-auto"]);
    // only/except drop post-processors per source; an emptied sequence disappears.
    assert.deepEqual(
      byName(t, "demo.docker.exported").postProcessors.map((s) => s.map((p) => p.type)),
      [["manifest"]],
    );
  });

  it("collects sensitive variable and local values for masking", async () => {
    const t = await load("load/multi");
    assert.deepEqual(t.sensitiveValues.sort(), ["s3cret-pw", "tok-from-auto"]);
    assert.equal(t.variables.find((v) => v.name === "registry_password")!.sensitive, true);
  });

  it("applies fix_upload_owner's documented default (true) in HCL too", async () => {
    const t = await load("load/multi");
    assert.equal(byName(t, "demo.docker.app").builder.fix_upload_owner, true);
  });
});

describe("HCL loader: variable precedence", () => {
  const tag = async (over: Parameters<typeof loadOptions>[0]): Promise<unknown> =>
    (await load("load/multi", over)).variables.find((v) => v.name === "tag")!.value;

  it("default < PKR_VAR_ < auto var-files < -var-file < -var", async () => {
    assert.equal(await tag({}), "from-auto");
    // The auto var-file beats the environment.
    assert.equal(await tag({ env: { PKR_VAR_tag: "from-env" } }), "from-auto");
    assert.equal(await tag({ varFiles: ["load/multi/extra.pkrvars.hcl"] }), "from-var-file");
    assert.equal(
      await tag({ varFiles: ["load/multi/extra.pkrvars.hcl", "load/multi/extra.pkrvars.json"] }),
      "from-json-var-file",
    );
    assert.equal(
      await tag({ varFiles: ["load/multi/extra.pkrvars.hcl"], vars: [["tag", "from-cli"]] }),
      "from-cli",
    );
    assert.equal(
      await tag({
        vars: [
          ["tag", "first"],
          ["tag", "second"],
        ],
      }),
      "second",
    );
  });

  it("reads PKR_VAR_ values by the variable's type", async () => {
    const t = await load("load/single/docker.pkr.hcl", { env: { PKR_VAR_name: "from-env" } });
    assert.equal(t.variables[0]!.value, "from-env");
    const m = await load("load/multi", { env: {}, vars: [["packages", '["a", "b"]']] });
    assert.deepEqual(m.variables.find((v) => v.name === "packages")!.value, ["a", "b"]);
    assert.deepEqual(inlines(byName(m, "demo.docker.app")).slice(-2), ["apk add a", "apk add b"]);
  });

  it("var-files set lists too; the dynamic block follows", async () => {
    const t = await load("load/multi", { varFiles: ["load/multi/extra.pkrvars.hcl"] });
    assert.deepEqual(inlines(byName(t, "demo.docker.app")).slice(-2), ["apk add curl", "apk add git"]);
  });

  it("rejects -var for an undeclared variable with a suggestion", async () => {
    await assert.rejects(load("load/multi", { vars: [["tga", "x"]] }), (e: unknown) => {
      assert.ok(e instanceof InvalidInputError);
      assert.match(e.diagnostics[0]!.summary, /^Undefined variable "tga"$/);
      assert.deepEqual(e.diagnostics[0]!.suggestions, ["tag"]);
      return true;
    });
  });
});

describe("HCL loader: a single file", () => {
  it("evaluates path.root, packer.version and templatefile()", async () => {
    const t = await load("load/single/docker.pkr.hcl");
    const b = byName(t, "docker.bb");
    assert.equal(b.sourceName, "bb");
    assert.deepEqual(b.builder.changes, ["LABEL root=load/single version=1.6.6"]);
    assert.deepEqual(b.provisioners[0]!.config.inline, ["Hello kiln!\n- a\n- b\n"]);
  });

  it("warns about what it accepts but ignores", async () => {
    const t = await load("load/single/docker.pkr.hcl");
    assert.deepEqual(
      t.warnings.map((w) => w.summary),
      ["plugin github.com/hashicorp/amazon is not available in kiln", "hcp_packer_registry is ignored"],
    );
  });

  it("renders late fields ({{.Image}}, {{ .Path }}) and leaves unknown placeholders alone", async () => {
    const t = await load("load/single/docker.pkr.hcl");
    const b = byName(t, "docker.bb");
    const run = b.builder.run_command.map((s) =>
      t.renderLate(s, { name: b.name, type: "docker" }, { Image: "busybox:latest" }),
    );
    assert.deepEqual(run.slice(-2), ["--", "busybox:latest"]);
    const exec = t.renderLate(
      b.provisioners[0]!.config.execute_command as string,
      { name: b.name, type: "docker" },
      { Path: "/tmp/s.sh", Vars: "A='1'" },
    );
    assert.equal(exec, "chmod +x /tmp/s.sh; A='1' /tmp/s.sh {{.Other}}");
  });

  it("only checks syntax with syntaxOnly", async () => {
    const t = await load("load/single/docker.pkr.hcl", { syntaxOnly: true });
    assert.deepEqual(t.builds, []);
    assert.deepEqual(
      t.variables.map((v) => [v.name, v.required]),
      [["name", false]],
    );
  });

  it("is reachable through the shared loadTemplate entry point", async () => {
    const t = await loadTemplate("load/single/docker.pkr.hcl", loadOptions());
    assert.equal(t.format, "hcl");
    const d = await loadTemplate("load/multi", loadOptions());
    assert.equal(d.builds.length, 3);
  });

  it("reports a missing path", async () => {
    await assert.rejects(
      load("load/nope.pkr.hcl"),
      /cannot read template load\/nope\.pkr\.hcl: no such file or directory/,
    );
  });
});
