// The one place that knows a step's inputs: rendered config (build data in, volatile options out)
// and content digests that change with one byte or one mode bit, and not with times.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { defaultRegistry } from "../../src/components/registry.js";
import { initialBuildData } from "../../src/core/build-data.js";
import { canonicalJson, digestPath } from "../../src/cache/digest.js";
import { stepInputs } from "../../src/run/step-inputs.js";
import { loadInline } from "../fakes/run-harness.js";

const fresh = () => mkdtempSync(path.join(os.tmpdir(), "kiln-inputs-"));

async function inputsOf(provisioner: object, dir: string, data: Record<string, string> = {}) {
  const t = await loadInline(
    { builders: [{ type: "docker", image: "x", commit: true }], provisioners: [provisioner] },
    dir,
  );
  const buildData = { ...initialBuildData(), ...data };
  return stepInputs(t.builds[0]!.provisioners[0]!, { registry: defaultRegistry(), buildData, cwd: dir });
}

describe("step inputs", () => {
  it("shell: the rendered config with build data, scripts digested, pauses and retry windows left out", async () => {
    const dir = fresh();
    writeFileSync(path.join(dir, "a.sh"), "echo a\n");
    const inputs = await inputsOf(
      {
        type: "shell",
        script: "a.sh",
        pause_after: "5s",
        start_retry_timeout: "1m",
        environment_vars: ["ID={{ build `ID` }}"],
      },
      dir,
      { ID: "abc123" },
    );
    assert.equal(inputs.type, "shell");
    assert.deepEqual(inputs.config.environment_vars, ["ID=abc123"]);
    assert.ok(!("pause_after" in inputs.config));
    assert.ok(!("start_retry_timeout" in inputs.config));
    assert.equal(inputs.files.length, 1);
    assert.equal(inputs.files[0]!.role, "script");
    assert.equal(inputs.files[0]!.kind, "file");
    assert.equal(inputs.changesContainer, true);
    assert.equal(inputs.notCacheable, undefined);
  });

  it("a directory digest changes with one byte or one mode bit, not with times; walk order is fixed", async () => {
    const dir = fresh();
    const src = path.join(dir, "src");
    mkdirSync(path.join(src, "sub"), { recursive: true });
    writeFileSync(path.join(src, "b.txt"), "bbb");
    writeFileSync(path.join(src, "a.txt"), "aaa");
    writeFileSync(path.join(src, "sub", "c.txt"), "ccc");
    symlinkSync("a.txt", path.join(src, "link"));
    const d0 = await digestPath(src);
    assert.equal(d0.kind, "dir");
    assert.equal(d0.entries, 6);
    utimesSync(path.join(src, "a.txt"), new Date(2000, 1, 1), new Date(2000, 1, 1));
    assert.equal((await digestPath(src)).digest, d0.digest, "mtime ignored");
    writeFileSync(path.join(src, "sub", "c.txt"), "ccd");
    const d1 = await digestPath(src);
    assert.notEqual(d1.digest, d0.digest, "one byte");
    chmodSync(path.join(src, "b.txt"), 0o755);
    const d2 = await digestPath(src);
    assert.notEqual(d2.digest, d1.digest, "one mode bit");
  });

  it("file: uploads declare their sources; downloads run every time and leave the chain", async () => {
    const dir = fresh();
    writeFileSync(path.join(dir, "f.txt"), "x");
    const up = await inputsOf({ type: "file", source: "f.txt", destination: "/tmp/f.txt" }, dir);
    assert.deepEqual(
      up.files.map((f) => [f.role, f.path, f.kind]),
      [["source", "f.txt", "file"]],
    );
    const down = await inputsOf(
      { type: "file", source: "/etc/hostname", destination: "out", direction: "download" },
      dir,
    );
    assert.equal(down.notCacheable?.reason, "download");
    assert.equal(down.changesContainer, false);
  });

  it("shell-local and breakpoint act on the host: not cacheable, the container unchanged", async () => {
    const dir = fresh();
    for (const p of [{ type: "shell-local", inline: ["true"] }, { type: "breakpoint" }]) {
      const inputs = await inputsOf(p, dir);
      assert.equal(inputs.notCacheable?.reason, "host");
      assert.equal(inputs.changesContainer, false);
    }
  });

  it("ansible: playbook, its folder, roles, galaxy file, @file extra vars and the ansible version", async () => {
    const dir = fresh();
    mkdirSync(path.join(dir, "play", "roles", "r"), { recursive: true });
    writeFileSync(path.join(dir, "play", "site.yml"), "- hosts: all\n");
    writeFileSync(path.join(dir, "vars.yml"), "a: 1\n");
    const t = await loadInline(
      {
        builders: [{ type: "docker", image: "x", commit: true }],
        provisioners: [
          { type: "ansible", playbook_file: "play/site.yml", extra_arguments: ["-e", "@vars.yml"] },
        ],
      },
      dir,
    );
    const inputs = await stepInputs(t.builds[0]!.provisioners[0]!, {
      registry: defaultRegistry(),
      buildData: initialBuildData(),
      cwd: dir,
      toolVersion: async (tool) => `${tool} [core 2.14.18]`,
    });
    assert.deepEqual(
      inputs.files.map((f) => [f.role, f.path]),
      [
        ["playbook", "play/site.yml"],
        ["playbook_dir", "play"],
        ["extra_vars_file", "vars.yml"],
      ],
    );
    assert.deepEqual(inputs.tools, { "ansible-playbook": "ansible-playbook [core 2.14.18]" });
  });

  it("canonical JSON: key order never changes the document", () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
    assert.equal(canonicalJson({ a: undefined, b: null }), '{"b":null}');
  });
});
