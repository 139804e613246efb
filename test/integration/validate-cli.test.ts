// `kiln validate` as a user runs it, on problems it must catch before any build: run_command
// flags, the builder's tmpfs/device options. Exit 2, file:line:col, did-you-mean, and never the
// engine (DOCKER_HOST points nowhere).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runKiln, tempDir, type RunResult } from "../harness/kiln.js";

const NO_ENGINE = { DOCKER_HOST: "unix:///nonexistent/kiln-validate.sock" };

/** Writes `text` as `name` in a fresh directory and runs `kiln <args…> <file>` there. */
async function kiln(
  t: { after(fn: () => void): void },
  name: string,
  text: string,
  args: string[] = ["validate"],
  env: Record<string, string | undefined> = {},
): Promise<RunResult & { file: string }> {
  const dir = tempDir(t);
  const file = join(dir, name);
  writeFileSync(file, text);
  const r = await runKiln([...args, name], { cwd: dir, env: { ...NO_ENGINE, ...env } });
  return { ...r, file };
}

const show = (r: RunResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** The 1-based line and column of the first occurrence of `needle` in `text`. */
function at(text: string, needle: string): string {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${needle} in the template`);
  const before = text.slice(0, i).split("\n");
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

const JSON_RUN_COMMAND = `{
  "builders": [
    {
      "type": "docker",
      "image": "kiln-test/busybox:1",
      "commit": true,
      "run_command": ["-d", "--privilged", "--tmpfs", "run", "--device=dev/kvm", "{{.Image}}"],
      "tmpfs": ["/ok", "relative:size=1m"],
      "device": ["/dev/fuse:/dev/fuse:rwx"]
    }
  ]
}
`;

const HCL_RUN_COMMAND = `source "docker" "app" {
  image       = "kiln-test/busybox:1"
  commit      = true
  run_command = ["-d", "--privilged", "--tmpfs", "run", "--device=dev/kvm", "{{.Image}}"]
  tmpfs       = ["/ok", "relative:size=1m"]
  device      = ["/dev/fuse:/dev/fuse:rwx"]
}

build {
  sources = ["source.docker.app"]
}
`;

describe("kiln validate: run_command and the builder's tmpfs/device options", () => {
  for (const [format, name, text] of [
    ["JSON", "template.json", JSON_RUN_COMMAND],
    ["HCL2", "template.pkr.hcl", HCL_RUN_COMMAND],
  ] as const) {
    it(`${format}: a misspelt flag, a relative --tmpfs, a bad --device, bad tmpfs/device options: exit 2, positioned, did-you-mean`, async (t) => {
      const r = await kiln(t, name, text);
      assert.equal(r.code, 2, show(r));
      const line = (needle: string) => `${name}:${at(text, needle)}: error: `;
      const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      assert.match(
        r.stderr,
        new RegExp(`${escape(line(`"--privilged`))}.*--privilged.*did you mean "--privileged"`),
      );
      assert.match(r.stderr, new RegExp(`${escape(line(`"run"`))}.*tmpfs "run".*absolute`));
      assert.match(r.stderr, new RegExp(`${escape(line(`"--device=dev/kvm`))}.*dev/kvm.*absolute`));
      assert.match(r.stderr, new RegExp(`${escape(line(`"relative:size`))}.*tmpfs.*absolute`));
      assert.match(r.stderr, new RegExp(`${escape(line(`"/dev/fuse`))}.*bad mode "rwx"`));
      assert.match(r.stderr, /5 error\(s\) found/);
      assert.doesNotMatch(r.stderr, /nonexistent|engine|\n\s+at /);
    });
  }

  it("the default run_command, and arguments only known at run time, pass", async (t) => {
    const template = {
      variables: { flag: "--privileged", dir: "/run" },
      builders: [
        { type: "docker", image: "kiln-test/busybox:1", commit: true },
        {
          type: "docker",
          name: "templated",
          image: "kiln-test/busybox:1",
          commit: true,
          run_command: [
            "-d",
            "--tmpfs",
            "{{user `dir`}}",
            "{{user `flag`}}",
            "--bogus-after-unknown",
            "{{.Image}}",
          ],
        },
      ],
    };
    const r = await kiln(t, "template.json", JSON.stringify(template, null, 2));
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /The configuration is valid/);
  });

  it("a literal unknown flag before a templated argument is still reported", async (t) => {
    const template = {
      variables: { dir: "/run" },
      builders: [
        {
          type: "docker",
          image: "kiln-test/busybox:1",
          commit: true,
          run_command: ["--privilegd", "--tmpfs", "{{user `dir`}}", "{{.Image}}"],
        },
      ],
    };
    const r = await kiln(t, "template.json", JSON.stringify(template, null, 2));
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /template\.json:\d+:\d+: error: .*--privilegd.*did you mean "--privileged"/);
  });
});

const SECRET = "hunter2-s3cr3t-value";

const JSON_SECRET = `{
  "variables": { "flag": "${SECRET}" },
  "sensitive-variables": ["flag"],
  "builders": [
    { "type": "docker", "image": "kiln-test/busybox:1", "commit": "{{user \`flag\`}}", "tmpfs": "{{user \`flag\`}}" }
  ]
}
`;

const HCL_SECRET = `variable "flag" {
  type      = string
  default   = "${SECRET}"
  sensitive = true
}

source "docker" "app" {
  image  = "kiln-test/busybox:1"
  commit = var.flag
  tmpfs  = var.flag
}

build {
  sources = ["source.docker.app"]
}
`;

describe("sensitive values in validation errors", () => {
  for (const [format, name, text] of [
    ["JSON", "template.json", JSON_SECRET],
    ["HCL2", "template.pkr.hcl", HCL_SECRET],
  ] as const) {
    for (const command of ["validate", "build"]) {
      it(`${format}, kiln ${command}: the error names the option, masks the value`, async (t) => {
        const r = await kiln(t, name, text, [command]);
        assert.equal(r.code, 2, show(r));
        assert.match(r.stderr, /commit: expected boolean/);
        assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), show(r));
        assert.ok(!r.stderr.includes("hunter2") && !r.stderr.includes("s3cr3t"), show(r));
        assert.match(r.stderr, /<sensitive>/);
      });
    }
  }
});
