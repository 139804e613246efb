// One check per shell and file provisioner option, against the image or the build output.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { build, BUSYBOX, describeRun, inImage, removeProduced } from "./support/build.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

const docker = { type: "docker", image: BUSYBOX, pull: false, commit: true };

describe("shell provisioner options", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after shell provisioner tests" });
  });

  it("inline, inline_shebang, environment_vars, env, PACKER_BUILD_NAME/TYPE; output streamed per line", async (t) => {
    const r = await build(t, {
      builders: [{ ...docker, name: "bb" }],
      provisioners: [
        {
          type: "shell",
          inline_shebang: "/bin/sh -eu",
          environment_vars: ["GREETING=hello", "SPACEY=a b 'c'"],
          env: { FROM_ENV_MAP: "mapped", GREETING: "overridden" },
          inline: [
            'echo "g=$GREETING s=$SPACEY m=$FROM_ENV_MAP n=$PACKER_BUILD_NAME t=$PACKER_BUILDER_TYPE"',
            "echo to-stderr >&2",
            "head -1 $0",
          ],
        },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, / {4}bb: g=overridden s=a b 'c' m=mapped n=bb t=docker/);
    assert.match(r.stdout, /==> bb: to-stderr/);
    assert.match(r.stdout, / {4}bb: #!\/bin\/sh -eu/);
  });

  it("script and scripts: uploaded and run in order; relative to the working directory", async (t) => {
    const r = await build(
      t,
      {
        builders: [docker],
        provisioners: [
          { type: "shell", script: "one.sh" },
          { type: "shell", scripts: ["two.sh", "three.sh"] },
        ],
      },
      {
        files: {
          "one.sh": "#!/bin/sh\necho one\n",
          "two.sh": "#!/bin/sh\necho two\n",
          "three.sh": "#!/bin/sh\r\necho three\r\n",
        },
      },
    );
    assert.equal(r.code, 0, describeRun(r));
    const order = [...r.stdout.matchAll(/docker: (one|two|three)$/gm)].map((m) => m[1]);
    assert.deepEqual(order, ["one", "two", "three"]);
    assert.match(r.stdout, /Provisioning with shell script: one\.sh/);
  });

  it("execute_command with {{.Vars}} and {{.Path}}: variables reach a sudo-style sub-shell; values never in the command", async (t) => {
    const r = await build(t, {
      builders: [docker],
      provisioners: [
        {
          type: "shell",
          environment_vars: ["SECRETISH=s3cr3t-value"],
          execute_command: "sh -c '{{ .Vars }} {{ .Path }}'",
          inline: [
            'echo "got=$SECRETISH"',
            "cat /proc/$$/cmdline | tr '\\0' ' '; echo",
            "cat /proc/$PPID/cmdline | tr '\\0' ' '; echo",
          ],
        },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /got=s3cr3t-value/);
    const cmdlines = r.stdout.split("\n").filter((l) => l.includes("/bin/sh") || l.includes("sh -c"));
    assert.ok(cmdlines.length > 0);
    for (const l of cmdlines) assert.doesNotMatch(l, /s3cr3t-value/);
  });

  it("remote_folder, remote_file, remote_path, skip_clean", async (t) => {
    const r = await build(t, {
      builders: [docker],
      provisioners: [
        {
          type: "shell",
          remote_folder: "/root",
          remote_file: "kept.sh",
          skip_clean: true,
          inline: ["echo kept"],
        },
        { type: "shell", remote_path: "/srv-script.sh", inline: ["echo $0"] },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /docker: \/srv-script\.sh/);
    const files = await inImage(
      r.imageIds[0]!,
      "ls /root/kept.sh /srv-script.sh 2>&1; ls -a /root /tmp | grep -c kiln-env || true",
    );
    assert.match(files, /\/root\/kept\.sh/);
    assert.match(files, /No such file/); // remote_path removed without skip_clean
    assert.match(files.trim().split("\n").pop()!, /^0$/); // env files never left behind
  });

  it("a missing remote_folder fails at once, naming it", async (t) => {
    const r = await build(t, {
      builders: [docker],
      provisioners: [{ type: "shell", remote_folder: "/nope", inline: ["true"] }],
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /directory \/nope does not exist in the container/);
    assert.ok(r.durationMs < 30_000, `failed in ${r.durationMs} ms`);
  });

  it("valid_exit_codes: listed non-zero codes pass; others fail with Packer's message", async (t) => {
    const ok = await build(t, {
      builders: [docker],
      provisioners: [{ type: "shell", valid_exit_codes: [0, 3], inline: ["exit 3"] }],
    });
    assert.equal(ok.code, 0, describeRun(ok));
    const bad = await build(t, {
      builders: [docker],
      provisioners: [{ type: "shell", inline: ["echo before", "exit 3"] }],
    });
    assert.equal(bad.code, 1, describeRun(bad));
    assert.match(bad.stdout, /Script exited with non-zero exit status: 3\. Allowed exit codes are: \[0\]/);
    assert.match(bad.stdout, /Build 'docker' errored after/);
  });

  it("expect_disconnect and start_retry_timeout are accepted; a disconnecting script does not fail the build", async (t) => {
    const r = await build(t, {
      builders: [{ ...docker, commit: false, discard: true }],
      provisioners: [
        {
          type: "shell",
          expect_disconnect: true,
          start_retry_timeout: "30s",
          inline: ["echo going", "kill -9 $$"],
        },
      ],
    });
    // kill -9 of the script's own shell yields exit 137, which expect_disconnect does not excuse
    // (Packer only tolerates a dropped connection); kiln reports the exit status.
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /exit status: 137/);
  });
});

describe("file provisioner options", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after file provisioner tests" });
  });

  it("source file, content, sources, directory trailing-slash rules, modes kept", async (t) => {
    const r = await build(
      t,
      {
        builders: [docker],
        provisioners: [
          { type: "shell", inline: ["mkdir -p /existing"] },
          { type: "file", source: "single.txt", destination: "/tmp/single.txt" },
          { type: "file", content: "inline content\n", destination: "/tmp/content.txt" },
          { type: "file", sources: ["a.txt", "b.txt"], destination: "/tmp/" },
          { type: "file", source: "tree", destination: "/existing" },
          { type: "file", source: "tree/", destination: "/existing" },
          { type: "file", source: "tree", destination: "/fresh" },
        ],
      },
      {
        files: { "single.txt": "single\n", "a.txt": "a\n", "b.txt": "b\n" },
        prepare(dir) {
          mkdirSync(join(dir, "tree", "sub"), { recursive: true });
          writeFileSync(join(dir, "tree", "run.sh"), "#!/bin/sh\n", { mode: 0o750 });
          writeFileSync(join(dir, "tree", "sub", "x.txt"), "x\n");
        },
      },
    );
    const r2 = r;
    assert.equal(r2.code, 0, describeRun(r2));
    const listing = await inImage(
      r2.imageIds[0]!,
      "cat /tmp/single.txt /tmp/content.txt /tmp/a.txt /tmp/b.txt; ls /existing /existing/tree /fresh; stat -c %a /fresh/run.sh",
    );
    assert.match(listing, /single\ninline content\na\nb\n/);
    assert.match(listing, /\/existing:\nrun.sh\nsub\ntree\n/); // tree/ copied contents; tree copied the dir
    assert.match(listing, /\/fresh:\nrun.sh\nsub\n/); // new destination: contents
    assert.match(listing, /750\s*$/);
    assert.match(r2.stdout, /Uploading .*single\.txt => \/tmp\/single\.txt/);
  });

  it("a symlinked source uploads what it points to (file or directory); symlinks inside a directory stay symlinks", async (t) => {
    // Packer 1.6.6, side by side: a symlink to a file uploads the file; a symlink to a directory
    // with a trailing slash uploads the directory's contents; symlinks inside an uploaded directory
    // arrive as symlinks (docker cp). A symlink to a directory without the slash arrives as a
    // (dangling) symlink in Packer; kiln uploads the directory (docs/compat.md).
    const r = await build(
      t,
      {
        builders: [docker],
        provisioners: [
          { type: "shell", inline: ["mkdir -p /up/contents"] },
          { type: "file", source: "link-to-file", destination: "/up/file" },
          { type: "file", source: "link-to-dir", destination: "/up/dir" },
          { type: "file", source: "link-to-dir/", destination: "/up/contents" },
        ],
      },
      {
        prepare(dir) {
          mkdirSync(join(dir, "realdir"));
          writeFileSync(join(dir, "real.txt"), "real content\n");
          writeFileSync(join(dir, "realdir", "inside.txt"), "inside\n");
          symlinkSync("inside.txt", join(dir, "realdir", "link-in"));
          symlinkSync("real.txt", join(dir, "link-to-file"));
          symlinkSync("realdir", join(dir, "link-to-dir"));
        },
      },
    );
    assert.equal(r.code, 0, describeRun(r));
    const kind = (p: string) =>
      `$(if [ -L ${p} ]; then echo link; elif [ -d ${p} ]; then echo dir; else echo file; fi)`;
    const listing = await inImage(
      r.imageIds[0]!,
      [
        `echo file=${kind("/up/file")} dir=${kind("/up/dir")} contents=${kind("/up/contents/inside.txt")}`,
        `echo "inner=${kind("/up/dir/link-in")} -> $(readlink /up/dir/link-in)"`,
        "cat /up/file /up/dir/inside.txt /up/contents/link-in",
      ].join("; "),
    );
    assert.match(listing, /^file=file dir=dir contents=file$/m);
    assert.match(listing, /^inner=link -> inside\.txt$/m);
    assert.match(listing, /real content\ninside\ninside\n/);
  });

  it("direction download: files and directories come back to the host; generated sources checked at run time", async (t) => {
    const r = await build(t, {
      builders: [{ ...docker, commit: false, discard: true }],
      provisioners: [
        {
          type: "shell",
          inline: ["mkdir -p /out/d", "echo made > /out/file.txt", "echo deep > /out/d/deep.txt"],
        },
        { type: "file", direction: "download", source: "/out/file.txt", destination: "got/" },
        { type: "file", direction: "download", source: "/out/d", destination: "gotdir" },
        {
          type: "file",
          direction: "upload",
          generated: true,
          source: "got/file.txt",
          destination: "/tmp/roundtrip.txt",
        },
        { type: "shell", inline: ["cat /tmp/roundtrip.txt"] },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(readFileSync(join(r.dir, "got", "file.txt"), "utf8"), "made\n");
    assert.equal(readFileSync(join(r.dir, "gotdir", "deep.txt"), "utf8"), "deep\n");
    assert.match(r.stdout, /Downloading \/out\/file\.txt => got\//);
    assert.match(r.stdout, /docker: made$/m);
    assert.ok(existsSync(join(r.dir, "got")));
  });
});
