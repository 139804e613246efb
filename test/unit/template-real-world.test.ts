// Behaviours public templates rely on (issue 11), checked on the loader and build selection. The
// same behaviours are built side by side with Packer 1.6.6 in test/parity/templates/43-46.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTemplate } from "../../src/template/load.js";
import { InvalidInputError, formatDiagnostic } from "../../src/template/diagnostic.js";
import { planBuilds } from "../../src/plan/select-builds.js";
import { fixTemplate } from "../../src/template/fix.js";
import type { LoadOptions, Template } from "../../src/template/types.js";

function setup(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "kiln-real-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function load(
  files: Record<string, string>,
  file = "t.json",
  opts: Partial<LoadOptions> = {},
): Promise<Template> {
  const dir = setup(files);
  return loadTemplate(file, {
    vars: [],
    varFiles: [],
    env: { HOME: "/home/me" },
    cwd: dir,
    startTime: new Date(Date.UTC(2026, 0, 1)),
    ...opts,
  });
}

async function errorsOf(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (e) {
    assert.ok(e instanceof InvalidInputError, String(e));
    return e.diagnostics.map(formatDiagnostic);
  }
  assert.fail("expected InvalidInputError");
}

const docker = (o: Record<string, unknown> = {}) => ({ type: "docker", image: "x", commit: true, ...o });

// 1. Builder names rendered from variables.

test("a builder name may use variables: builds use the rendered name, components the written one", async () => {
  const t = await load(
    {
      "t.json": JSON.stringify({
        variables: { prefix: "nm" },
        builders: [docker({ name: "{{user `prefix`}}-a" }), docker({ name: "{{user `prefix`}}-b" })],
        provisioners: [
          { type: "shell", inline: ["echo a"], only: ["{{user `prefix`}}-a"] },
          {
            type: "shell",
            inline: ["echo default"],
            override: { "{{user `prefix`}}-b": { inline: ["echo b"] } },
          },
        ],
        "post-processors": [{ type: "manifest", except: ["{{user `prefix`}}-a"] }],
      }),
    },
    "t.json",
    { vars: [["prefix", "kv"]] },
  );
  assert.deepEqual(
    t.builds.map((b) => b.name),
    ["kv-a", "kv-b"],
  );
  const [a, b] = t.builds;
  assert.deepEqual(
    a!.provisioners.map((p) => p.config.inline),
    [["echo a"], ["echo default"]],
  );
  assert.deepEqual(
    b!.provisioners.map((p) => p.config.inline),
    [["echo b"]],
  );
  assert.equal(a!.postProcessors.length, 0);
  assert.equal(b!.postProcessors.length, 1);
  assert.deepEqual(
    planBuilds(t, ["kv-b"], []).builds.map((x) => x.name),
    ["kv-b"],
  );
});

test("only/except naming what a builder renders to is an error that shows the name as written", async () => {
  const errors = await errorsOf(() =>
    load({
      "t.json": JSON.stringify({
        variables: { prefix: "nm" },
        builders: [docker({ name: "{{user `prefix`}}-a" })],
        provisioners: [{ type: "shell", inline: ["true"], only: ["nm-a"] }],
      }),
    }),
  );
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /only: no builder is named "nm-a"/);
  assert.match(errors[0]!, /"nm-a" is what builder "\{\{user `prefix`\}\}-a" renders to/);
});

test("two builders rendering to the same name are a duplicate", async () => {
  const errors = await errorsOf(() =>
    load({
      "t.json": JSON.stringify({
        variables: { v: "same" },
        builders: [docker({ name: "{{user `v`}}" }), docker({ name: "same" })],
      }),
    }),
  );
  assert.deepEqual(errors.length, 1);
  assert.match(errors[0]!, /duplicate builder name "same"/);
});

// 2. -only / -except leaving out a builder kiln does not implement.

const mixed = JSON.stringify({
  builders: [
    docker({ name: "deb" }),
    { type: "amazon-ebs", name: "ami", region: "us-east-1" },
    { type: "dokcer", name: "typo" },
  ],
  provisioners: [{ type: "shell", inline: ["sleep 30"], only: ["ami"] }],
});

test("an unsupported builder is an error when selected, with how to leave it out", async () => {
  const t = await load({ "t.json": mixed });
  const errors = await errorsOf(async () => planBuilds(t, [], []));
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /t\.json:\d+:\d+: error: the "amazon-ebs" builder is not supported by kiln/);
  assert.match(errors[0]!, /leave build "ami" out with -except=ami/);
  assert.match(errors[1]!, /unknown builder type "dokcer"; did you mean "docker"\?/);
  // Selected by -except that leaves only the other one out: still an error for it.
  assert.equal((await errorsOf(async () => planBuilds(t, [], ["typo"]))).length, 1);
});

test("an unsupported builder left out by -only/-except is a warning; the rest builds", async () => {
  const t = await load({ "t.json": mixed });
  for (const [only, except] of [
    [["deb"], []],
    [[], ["ami", "typo"]],
    [["d*"], []],
  ] as const) {
    const s = planBuilds(t, [...only], [...except]);
    assert.deepEqual(
      s.builds.map((b) => b.name),
      ["deb"],
    );
    assert.deepEqual(
      s.warnings.map((w) => [w.severity, w.summary]),
      [
        ["warning", 'build "ami" is skipped: the "amazon-ebs" builder is not supported by kiln'],
        ["warning", 'build "typo" is skipped: unknown builder type "dokcer"'],
      ],
    );
  }
});

test("HCL2: a Packer builder kiln lacks waits for the selection; an unknown source type is an error", async () => {
  const hcl = (extra: string) => ({
    "t.pkr.hcl": `source "docker" "deb" {
  image  = "x"
  commit = true
}
source "amazon-ebs" "ami" {
  region = "us-east-1"
}
${extra}
build {
  sources = ["source.docker.deb", "source.amazon-ebs.ami"]
}
`,
  });
  const t = await load(hcl(""), "t.pkr.hcl");
  assert.deepEqual(
    planBuilds(t, ["docker.deb"], []).warnings.map((w) => w.summary),
    ['build "amazon-ebs.ami" is skipped: the "amazon-ebs" builder is not supported by kiln'],
  );
  assert.match(
    (await errorsOf(async () => planBuilds(t, [], [])))[0]!,
    /"amazon-ebs" builder is not supported/,
  );
  // As Packer 1.6.6: an unknown source type fails whatever is selected.
  const errors = await errorsOf(() => load(hcl('source "incus" "x" {}'), "t.pkr.hcl"));
  assert.deepEqual(errors.length, 1);
  assert.match(errors[0]!, /unknown builder type "incus"/);
});

test("a post-processor kiln lacks: an error when it would run; -except (its name, its type, or one before it) makes it a warning", async () => {
  const json = await load({
    "t.json": JSON.stringify({
      builders: [docker()],
      "post-processors": [
        [
          { type: "docker-tag", repository: "x/y" },
          { type: "checksum", checksum_types: ["sha256"] },
        ],
        { type: "compress", name: "pack" },
        "manifest",
      ],
    }),
  });
  const hcl = await load(
    {
      "t.pkr.hcl": `source "docker" "a" {
  image  = "x"
  commit = true
}
build {
  sources = ["source.docker.a"]
  post-processors {
    post-processor "docker-tag" { repository = "x/y" }
    post-processor "checksum" { checksum_types = ["sha256"] }
  }
  post-processor "compress" { name = "pack" }
  post-processor "manifest" {}
}
`,
    },
    "t.pkr.hcl",
  );
  for (const t of [json, hcl]) {
    const errors = await errorsOf(async () => planBuilds(t, [], []));
    assert.equal(errors.length, 2, errors.join("\n"));
    assert.match(errors[0]!, /"checksum" post-processor is not supported by kiln[\s\S]*-except=checksum/);
    assert.match(errors[1]!, /"compress" post-processor is not supported by kiln[\s\S]*-except=pack/);
    // The type of a named post-processor is not its name; one error is left.
    assert.equal((await errorsOf(async () => planBuilds(t, [], ["checksum", "compress"]))).length, 1);
    for (const except of [
      ["checksum", "pack"],
      ["docker-tag", "p*"],
    ]) {
      const s = planBuilds(t, [], except);
      assert.deepEqual(
        s.warnings.map((w) => w.summary.replace(/ of build "[^"]+"/, "")),
        [
          'post-processor "checksum" is skipped: the "checksum" post-processor is not supported by kiln',
          'post-processor "pack" is skipped: the "compress" post-processor is not supported by kiln',
        ],
      );
      // What is left runs: docker-tag unless excepted, and manifest.
      assert.deepEqual(
        s.builds[0]!.postProcessors.map((seq) => seq.map((pp) => pp.type)),
        except[0] === "checksum" ? [["docker-tag"], ["manifest"]] : [["manifest"]],
      );
    }
  }
});

// 3. Comma-separated strings for list options (JSON).

test("JSON: a string for a list option is split on commas after rendering; empty is an empty list", async () => {
  const t = await load({
    "t.json": JSON.stringify({
      variables: { tags: "a,b", none: "", codes: "0,3" },
      builders: [docker({ changes: "LABEL a=1,LABEL b=2", cap_drop: "{{user `none`}}" })],
      provisioners: [
        {
          type: "shell",
          inline: "echo one,echo two",
          environment_vars: "A=1,B=2",
          valid_exit_codes: "{{user `codes`}}",
        },
      ],
      "post-processors": [
        { type: "docker-tag", repository: "r", tags: "{{user `tags`}}" },
        { type: "docker-tag", repository: "s", tags: "{{user `none`}}" },
        // Late fields are split too (Packer splits before rendering them at run time).
        { type: "shell-local", inline: ["true"], execute_command: ["sh", "-c", "{{.Script}}"] },
      ],
    }),
  });
  const b = t.builds[0]!;
  assert.deepEqual(b.builder.changes, ["LABEL a=1", "LABEL b=2"]);
  assert.deepEqual(b.builder.cap_drop, []);
  assert.deepEqual(b.provisioners[0]!.config.inline, ["echo one", "echo two"]);
  assert.deepEqual(b.provisioners[0]!.config.environment_vars, ["A=1", "B=2"]);
  assert.deepEqual(b.provisioners[0]!.config.valid_exit_codes, [0, 3]);
  assert.deepEqual(b.postProcessors[0]![0]!.config.tags, ["a", "b"]);
  assert.deepEqual(b.postProcessors[1]![0]!.config.tags, []);
  // docker-tag documents a string for tags: no warning there; the others say what they became.
  const shown = t.warnings.map(formatDiagnostic).join("\n");
  assert.match(shown, /inline: expected a list of strings; the string is split on commas, as Packer does/);
  assert.match(shown, /it becomes \["echo one", "echo two"\]/);
  assert.match(shown, /valid_exit_codes: .*\n.*it becomes \[0, 3\]/);
  assert.doesNotMatch(shown, /tags:/);
});

test("JSON: a late list option given as one string is split without rendering it", async () => {
  const t = await load({
    "t.json": JSON.stringify({
      builders: [docker({ run_command: "-d,-i,-t,{{.Image}}" })],
    }),
  });
  assert.deepEqual(t.builds[0]!.builder.run_command, ["-d", "-i", "-t", "{{.Image}}"]);
});

test("HCL2: a string for a list option stays one item (HCL is typed; kiln only warns)", async () => {
  const t = await load(
    {
      "t.pkr.hcl": `source "docker" "a" {
  image   = "x"
  commit  = true
  changes = "LABEL a=1,LABEL b=2"
}
build {
  sources = ["source.docker.a"]
}
`,
    },
    "t.pkr.hcl",
  );
  assert.deepEqual(t.builds[0]!.builder.changes, ["LABEL a=1,LABEL b=2"]);
});

// 5. Deprecated options name `kiln fix`.

test("options Packer deprecated say so and name kiln fix (JSON) instead of a did-you-mean", async () => {
  const errors = await errorsOf(() =>
    load({
      "t.json": JSON.stringify({
        builders: [docker({ login_email: "me@example.com" })],
        provisioners: [{ type: "ansible-local", playbook_file: "t.json", galaxycommand: "galaxy" }],
        "post-processors": [
          [
            { type: "docker-import", repository: "r", login_email: "me@example.com" },
            { type: "docker-push", login_email: "me@example.com" },
          ],
          { type: "manifest", filename: "m.json" },
        ],
      }),
    }),
  );
  assert.equal(errors.length, 5);
  for (const e of errors) {
    assert.match(e, /is deprecated and no longer supported/);
    assert.match(e, /`kiln fix t\.json` does it/);
    assert.doesNotMatch(e, /did you mean/);
  }
  assert.ok(errors.some((e) => /"galaxycommand"[^\n]*\n\s+Rename it to "galaxy_command"/.test(e)));
  assert.ok(errors.some((e) => /"filename"[^\n]*\n\s+Rename it to "output"/.test(e)));
});

test("kiln fix rewrites every option validation sends to it, and the result validates", async () => {
  const text = JSON.stringify({
    builders: [docker({ login_email: "me@example.com" })],
    provisioners: [{ type: "ansible-local", playbook_file: "t.json", galaxycommand: "galaxy" }],
    "post-processors": [
      [
        { type: "docker-tag", repository: "r", tag: "1" },
        { type: "docker-push", login_email: "me@example.com" },
      ],
      { type: "manifest", filename: "m.json" },
    ],
  });
  const fixed = fixTemplate(text, "t.json");
  assert.deepEqual(fixed.changes, [
    'provisioners[0] (ansible-local): "galaxycommand" renamed to "galaxy_command"',
    'builders[0] (docker): removed the obsolete "login_email"',
    'post-processors[0][0] (docker-tag): "tag" renamed to "tags"',
    'post-processors[0][1] (docker-push): removed the obsolete "login_email"',
    'post-processors[1] (manifest): "filename" renamed to "output"',
  ]);
  const t = await load({ "t.json": fixed.text });
  assert.deepEqual(t.warnings, []);
  assert.equal(t.builds[0]!.provisioners[0]!.config.galaxy_command, "galaxy");
  assert.equal(t.builds[0]!.postProcessors[1]![0]!.config.output, "m.json");
});

test("HCL2: a deprecated option's message does not send the user to kiln fix", async () => {
  const t = await load(
    {
      "t.pkr.hcl": `source "docker" "a" {
  image  = "x"
  commit = true
}
build {
  sources = ["source.docker.a"]
  post-processor "docker-tag" {
    repository = "r"
    tag        = ["1"]
  }
}
`,
    },
    "t.pkr.hcl",
  );
  const shown = t.warnings.map(formatDiagnostic).join("\n");
  assert.match(shown, /"tag" option has been replaced with "tags": rename it/);
  assert.doesNotMatch(shown, /kiln fix/);
});

// 6. Messages that must say what is true about the template at hand.

test('HCL2: an unknown or malformed source reference is one error, not also "Build without sources"', async () => {
  for (const ref of ['"source.docker.a.b"', '"source.docker.nope"', "42"]) {
    const errors = await errorsOf(() =>
      load(
        {
          "t.pkr.hcl": `source "docker" "a" {
  image  = "x"
  commit = true
}
build {
  sources = [${ref}]
}
`,
        },
        "t.pkr.hcl",
      ),
    );
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.doesNotMatch(errors[0]!, /Build without sources/);
  }
  const slip = await errorsOf(() =>
    load(
      {
        "t.pkr.hcl":
          'source "docker" "a" {\n  image = "x"\n  commit = true\n}\nbuild {\n  sources = ["source.docker.a.b"]\n}\n',
      },
      "t.pkr.hcl",
    ),
  );
  assert.match(slip[0]!, /did you mean "source\.docker\.a"\?/);
  // A build that names no source at all still gets it.
  const none = await errorsOf(() =>
    load(
      { "t.pkr.hcl": 'source "docker" "a" {\n  image = "x"\n  commit = true\n}\nbuild {}\n' },
      "t.pkr.hcl",
    ),
  );
  assert.match(none.join("\n"), /Build without sources/);
});

test('HCL2: "sources.docker.a" and "docker.a" name the source, as in Packer (any first of three parts)', async () => {
  for (const ref of ["sources.docker.a", "src.docker.a", "docker.a", "source.docker.a"]) {
    const t = await load(
      {
        "t.pkr.hcl": `source "docker" "a" {\n  image = "x"\n  commit = true\n}\nbuild {\n  sources = ["${ref}"]\n}\n`,
      },
      "t.pkr.hcl",
    );
    assert.deepEqual(
      t.builds.map((b) => b.name),
      ["docker.a"],
      ref,
    );
    assert.equal(t.warnings.length, 0, ref);
  }
});

test("HCL2: a var-file without .hcl or .json suffix is refused, as Packer 1.6.6 does", async () => {
  const errors = await errorsOf(() =>
    load(
      {
        "t.pkr.hcl":
          'source "docker" "a" {\n  image = "x"\n  commit = true\n}\nbuild {\n  sources = ["source.docker.a"]\n}\n',
        "vars.example": 'x = "1"\n',
      },
      "t.pkr.hcl",
      { varFiles: ["vars.example"] },
    ),
  );
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0]!, /Could not guess the format of var-file vars\.example/);
  assert.match(errors[0]!, /\.hcl .*\.json/);
});

test("HCL2: references to a refused data source are not reported a second time", async () => {
  const errors = await errorsOf(() =>
    load(
      {
        "t.pkr.hcl": `data "amazon-ami" "base" {
  region = "us-east-1"
}
locals {
  id = data.amazon-ami.base.id
}
source "docker" "a" {
  image  = data.amazon-ami.base.id
  commit = true
}
build {
  sources = ["source.docker.a"]
}
`,
      },
      "t.pkr.hcl",
    ),
  );
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0]!, /data sources are not supported by kiln/);
});

// 7. Accepted beyond Packer 1.6.6: each is a docs/compat.md row.

test("options from later Packer versions are accepted and each is listed in docs/compat.md", async () => {
  const t = await load(
    {
      "t.pkr.hcl": `variable "v" {
  default = "x"
}
source "docker" "a" {
  image    = "x"
  commit   = true
  platform = "linux/amd64"
}
build {
  name    = "b-\${var.v}"
  sources = ["source.docker.a"]
  hcp_packer_registry {
    bucket_name = "b"
  }
  provisioner "shell" {
    env    = { A = "1" }
    inline = ["true"]
  }
}
`,
    },
    "t.pkr.hcl",
  );
  assert.equal(t.builds[0]!.name, "b-x.docker.a");
  assert.equal(t.builds[0]!.builder.platform, "linux/amd64");
  const compat = readFileSync(fileURLToPath(new URL("../../docs/compat.md", import.meta.url)), "utf8");
  const section = compat.slice(compat.indexOf("## Options from later Packer versions"));
  for (const row of [
    /^\| `platform` \(docker builder, docker-tag, docker-import, docker-push\)/m,
    /^\| `hcp_packer_registry` block/m,
    /^\| `runtime` \(docker builder\)/m,
    /^\| shell `env`/m,
    /^\| A build block's `name` with variables or locals/m,
  ]) {
    assert.ok(
      row.test(section),
      `docs/compat.md, "Options from later Packer versions": no row matching ${row}`,
    );
  }
});
