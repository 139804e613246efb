// The CLI's edges: -on-error modes with an error-cleanup-provisioner, -debug without a terminal,
// inspect, validate -syntax-only, --help for every command, version, and usage errors.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, BUSYBOX, describeRun, removeProduced } from "./support/build.js";
import { runKiln, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers, kilnContainers } from "../harness/leaks.js";
import { removeLeftovers } from "../harness/run-leaks.js";

const failing = {
  builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
  provisioners: [{ type: "shell", inline: ["echo about-to-fail", "exit 3"] }],
  "error-cleanup-provisioner": {
    type: "shell",
    inline: ["echo cleanup-provisioner-ran-in-$PACKER_BUILD_NAME"],
  },
};

describe("CLI edges", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after CLI edge tests" });
  });

  it("-on-error=cleanup (default) runs the error-cleanup-provisioner, then removes the container", async (t) => {
    const r = await build(t, failing);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /Provisioning step had errors: Running the cleanup provisioner, if present\.\.\./);
    assert.match(r.stdout, /cleanup-provisioner-ran-in-docker/);
    assert.match(r.stdout, /Killing the container/);
    assert.equal((await kilnContainers()).length, 0);
  });

  it("-on-error=run-cleanup-provisioner runs it and keeps the container; -on-error=abort keeps it without", async (t) => {
    const r = await build(t, failing, { args: ["-on-error=run-cleanup-provisioner"], expectLeftovers: true });
    t.after(() => removeLeftovers(r.leftovers));
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /cleanup-provisioner-ran-in-docker/);
    const id = /docker rm -f ([0-9a-f]{12})/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.deepEqual(
      r.leftovers.map((l) => [l.kind, l.id.slice(0, 12)]),
      [["container", id]],
    );
    const a = await build(t, failing, { args: ["--on-error", "abort"], expectLeftovers: true });
    t.after(() => removeLeftovers(a.leftovers));
    assert.equal(a.code, 1, describeRun(a));
    assert.doesNotMatch(a.stdout, /cleanup-provisioner-ran/);
    const kept = /docker rm -f ([0-9a-f]{12})/.exec(a.stdout)?.[1];
    assert.ok(kept, a.stdout);
    assert.deepEqual(
      a.leftovers.map((l) => [l.kind, l.id.slice(0, 12)]),
      [["container", kept]],
    );
  });

  it("-on-error=ask without a terminal says so and cleans up", async (t) => {
    const r = await build(t, failing, { args: ["-on-error=ask"] });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /-on-error=ask needs a terminal; not interactive, so cleaning up/);
    assert.match(r.stdout, /Killing the container/);
  });

  it("-debug without a terminal: no parallelism, notes that it cannot pause, builds", async (t) => {
    const r = await build(
      t,
      {
        builders: [{ type: "docker", image: BUSYBOX, pull: false, discard: true }],
        provisioners: [{ type: "shell", inline: ["true"] }],
      },
      { args: ["-debug"] },
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /Debug mode enabled\. Builds will not be parallelized\./);
    assert.match(r.stdout, /-debug: not interactive, so not pausing between steps/);
  });

  it("inspect lists variables, builds, provisioners and post-processors; validate -syntax-only", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "t.json");
    writeFileSync(
      file,
      JSON.stringify({
        description: "an example",
        variables: { repo: "kiln-it/x", region: null, token: "s3cr3t-value" },
        "sensitive-variables": ["token"],
        builders: [{ type: "docker", name: "app", image: BUSYBOX, commit: true }],
        provisioners: [
          { type: "shell", inline: ["true"] },
          { type: "file", content: "x", destination: "/tmp/x" },
        ],
        "post-processors": [
          [
            { type: "docker-tag", repository: "{{user `repo`}}" },
            { type: "docker-save", path: "x.tar" },
          ],
        ],
      }),
    );
    const i = await runKiln(["inspect", file], { env: { DOCKER_HOST: "unix:///nonexistent.sock" } });
    assert.equal(i.code, 0, i.stdout + i.stderr);
    assert.match(i.stdout, /Description:\n\nan example/);
    assert.match(i.stdout, /repo = "kiln-it\/x"/);
    assert.match(i.stdout, /token = <sensitive>/);
    assert.match(i.stdout, /Required variables:\n\n {2}region/);
    assert.match(i.stdout, /Builders:\n\n {2}app \(docker\)/);
    assert.match(i.stdout, /Provisioners:\n\n {2}shell\n {2}file/);
    assert.match(i.stdout, /0: docker-tag → docker-save/);
    assert.doesNotMatch(i.stdout, /s3cr3t-value/);
    const v = await runKiln(["validate", "-syntax-only", file]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /Syntax-only check passed\. Everything looks okay\./);
    const full = await runKiln(["validate", file]);
    assert.equal(full.code, 2, full.stdout + full.stderr);
    assert.match(full.stderr, /region/);
    assert.match(full.stderr, /-var region=/);
  });

  it("a builder kiln lacks: validate/build exit 2 when selected, warn and go on when -only leaves it out", async (t) => {
    const template = {
      builders: [
        { type: "docker", name: "deb", image: BUSYBOX, pull: false, commit: true },
        { type: "amazon-ebs", name: "ami", region: "us-east-1" },
      ],
      provisioners: [{ type: "shell", inline: ["echo built-deb"] }],
    };
    const dir = tempDir(t);
    const file = join(dir, "template.json");
    writeFileSync(file, JSON.stringify(template));
    const selected = await runKiln(["validate", file]);
    assert.equal(selected.code, 2, selected.stdout + selected.stderr);
    assert.match(selected.stderr, /the "amazon-ebs" builder is not supported by kiln/);
    assert.match(selected.stderr, /-except=ami/);
    const left = await runKiln(["validate", "-only=deb", file]);
    assert.equal(left.code, 0, left.stdout + left.stderr);
    assert.match(
      left.stderr,
      /warning: build "ami" is skipped: the "amazon-ebs" builder is not supported by kiln/,
    );
    const inspect = await runKiln(["inspect", file]);
    assert.match(inspect.stdout, / {2}ami \(amazon-ebs: not supported by kiln\)/);
    const refused = await build(t, template);
    assert.equal(refused.code, 2, describeRun(refused));
    assert.doesNotMatch(refused.stdout, /Starting docker container/);
    const r = await build(t, template, { args: ["-except=ami"] });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /deb: built-deb/);
    assert.match(r.stderr, /build "ami" is skipped/);
  });

  it("kiln fix on an HCL2 template says it rewrites JSON templates only", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "t.pkr.hcl");
    writeFileSync(file, 'source "docker" "a" {\n  image = "x"\n  commit = true\n}\n');
    const r = await runKiln(["fix", file]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /kiln fix rewrites JSON templates; .*t\.pkr\.hcl is HCL2/);
    assert.doesNotMatch(r.stderr, /invalid JSON/);
  });

  it("--help for every command, version, and usage errors exit 2", async () => {
    for (const cmd of ["build", "validate", "inspect", "version", "fix", "fmt", "hcl2_upgrade", "prune"]) {
      const r = await runKiln([cmd, "--help"]);
      assert.equal(r.code, 0, `${cmd} --help: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Usage: kiln ${cmd}`));
    }
    const v = await runKiln(["version"]);
    assert.match(v.stdout, /^kiln v\d+\.\d+\.\d+ \(runs Packer 1\.6\.6 docker templates\)$/m);
    const typo = await runKiln(["biuld", "x.json"]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /Did you mean build\?/);
    const badFlag = await runKiln(["build", "-parallel-builds=lots", "x.json"]);
    assert.equal(badFlag.code, 2);
    const badMode = await runKiln(["build", "-on-error=explode", "x.json"]);
    assert.equal(badMode.code, 2);
    assert.match(badMode.stderr, /cleanup, abort, ask, run-cleanup-provisioner/);
    const missing = await runKiln(["build", "/nonexistent/template.json"]);
    assert.equal(missing.code, 2, missing.stdout + missing.stderr);
    assert.doesNotMatch(missing.stderr, /\n\s+at /, "no stack trace");
  });
});
