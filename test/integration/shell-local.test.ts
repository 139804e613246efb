// The shell-local provisioner and post-processor: commands on the host, with Packer's build
// variables, the container's id, execute_command, only_on and valid_exit_codes.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  build,
  BUSYBOX,
  describeRun,
  inImage,
  inspectImage,
  removeProduced,
  trackImage,
} from "./support/build.js";
import {
  assertContainersGone,
  assertNoLeftovers,
  containerIds,
  sampleCommandLines,
} from "./provisioners-support.js";

const docker = { type: "docker", image: BUSYBOX, pull: false, commit: true };

describe("shell-local provisioner", () => {
  after(async () => {
    await removeProduced();
    await assertNoLeftovers("after shell-local tests");
  });

  it("inline with build variables, environment_vars, env and the container's id (docker exec from the host)", async (t) => {
    const r = await build(t, {
      builders: [{ ...docker, name: "bb" }],
      provisioners: [
        {
          type: "shell-local",
          environment_vars: ["GREETING=hello", "SPACEY=a b 'c'"],
          env: { FROM_MAP: "mapped", GREETING: "overridden" },
          inline: [
            'echo "g=$GREETING s=$SPACEY m=$FROM_MAP n=$PACKER_BUILD_NAME t=$PACKER_BUILDER_TYPE u=$PACKER_RUN_UUID"',
            "echo to-stderr >&2",
            "echo 'id={{ build `ID` }}' > container-id.txt",
            "docker exec {{ build `ID` }} sh -c 'echo from-the-host > /tmp/host-was-here'",
            'echo "script=$0"',
          ],
        },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, / {4}bb: g=overridden s=a b 'c' m=mapped n=bb t=docker u=[0-9a-f-]{36}\n/);
    assert.match(r.stdout, /==> bb: to-stderr\n/);
    const [id] = containerIds(r.stdout);
    assert.equal(readFileSync(join(r.dir, "container-id.txt"), "utf8").trim(), `id=${id}`);
    assert.equal((await inImage(r.imageIds[0]!, "cat /tmp/host-was-here")).trim(), "from-the-host");
    // Packer's line, and the temporary script is gone afterwards.
    const script = /==> bb: Running local shell script: (\S+\/packer-shell\d+)\n/.exec(r.stdout)?.[1];
    assert.ok(script, r.stdout);
    assert.match(r.stdout, new RegExp(`    bb: script=${script}\\n`));
    assert.ok(!existsSync(script));
  });

  it("execute_command with {{.Vars}} and {{.Script}}: values reach the script through the environment, never a command line", async (t) => {
    const secret = "sv-4f3e2d1c-notinargv";
    const { result: r, cmdlines } = await sampleCommandLines(() =>
      build(t, {
        builders: [docker],
        provisioners: [
          {
            type: "shell-local",
            environment_vars: [`SECRETISH=${secret}`],
            execute_command: ["/bin/sh", "-c", "echo custom-runner; {{.Vars}} /bin/sh {{.Script}} extra-arg"],
            inline: ['echo "got=$SECRETISH arg=$1"', "sleep 0.5"],
          },
          {
            type: "shell-local",
            execute_command: ["/bin/sh", "{{.Vars}}", "{{.Command}}"],
            command: "echo via-command",
          },
        ],
      }),
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.match(
      r.stdout,
      / {4}docker: custom-runner\n {4}docker: got=sv-4f3e2d1c-notinargv arg=extra-arg\n/,
    );
    assert.match(r.stdout, / {4}docker: via-command\n/);
    assert.ok(
      [...cmdlines].some((c) => c.includes("custom-runner")),
      "the runner was never sampled",
    );
    for (const c of cmdlines) assert.ok(!c.includes(secret), `value in argv: ${c}`);
  });

  it("script and scripts relative to the working directory; valid_exit_codes; a failing script stops the build", async (t) => {
    const ok = await build(
      t,
      {
        builders: [docker],
        provisioners: [
          { type: "shell-local", script: "one.sh", valid_exit_codes: [0, 3] },
          { type: "shell-local", scripts: ["two.sh", "three.sh"], tempfile_extension: "sh" },
        ],
      },
      {
        files: {
          "one.sh": "#!/bin/sh\necho one\nexit 3\n",
          "two.sh": "#!/bin/sh\necho two\n",
          "three.sh": "#!/bin/sh\necho three\n",
        },
      },
    );
    assert.equal(ok.code, 0, describeRun(ok));
    assert.deepEqual(
      [...ok.stdout.matchAll(/docker: (one|two|three)$/gm)].map((m) => m[1]),
      ["one", "two", "three"],
    );
    assert.match(ok.stdout, /==> docker: Running local shell script: one\.sh\n/);

    const bad = await build(t, {
      builders: [docker],
      provisioners: [
        { type: "shell-local", inline: ["echo before", "exit 4"] },
        { type: "shell-local", inline: ["echo never"] },
      ],
    });
    assert.equal(bad.code, 1, describeRun(bad));
    assert.match(bad.stdout, /Script exited with non-zero exit status: 4\. Allowed exit codes are: \[0\]/);
    assert.doesNotMatch(bad.stdout, /never/);
    assert.deepEqual(bad.imageIds, []);
    await assertContainersGone(containerIds(bad.stdout));
  });

  it("only_on: skipped with Packer's note on another OS, run on this one", async (t) => {
    const r = await build(t, {
      builders: [docker],
      provisioners: [
        { type: "shell-local", only_on: ["windows", "darwin"], inline: ["echo not-here"] },
        { type: "shell-local", only_on: ["linux"], inline: ["echo on-linux"] },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /==> docker: Skipping shell-local due to runtime OS\n/);
    assert.doesNotMatch(r.stdout, /not-here/);
    assert.match(r.stdout, / {4}docker: on-linux\n/);
  });
});

describe("shell-local post-processor", () => {
  after(async () => {
    await removeProduced();
    await assertNoLeftovers("after shell-local post-processor tests");
  });

  it("runs after the build with the build variables and passes the artifact through (kept even with keep_input_artifact false)", async (t) => {
    const tag = `kiln-it/shell-local-pp:${process.pid}`;
    trackImage(tag);
    const r = await build(t, {
      builders: [{ ...docker, name: "bb" }],
      "post-processors": [
        [
          { type: "docker-tag", repository: "kiln-it/shell-local-pp", tags: [String(process.pid)] },
          {
            type: "shell-local",
            keep_input_artifact: false,
            environment_vars: ["STAGE=post"],
            inline: [
              'echo "stage=$STAGE n=$PACKER_BUILD_NAME t=$PACKER_BUILDER_TYPE"',
              "docker image inspect --format '{{`{{.Id}}`}}' " + tag,
            ],
          },
        ],
        [{ type: "shell-local", command: "echo second-sequence" }],
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(
      r.stdout,
      /==> bb: Running post-processor: shell-local\n==> bb \(shell-local\): Running local shell script: \S+\/packer-shell\d+\n {4}bb \(shell-local\): stage=post n=bb t=docker\n {4}bb \(shell-local\): sha256:[0-9a-f]{64}\n/,
    );
    assert.match(r.stdout, / {4}bb \(shell-local\): second-sequence\n/);
    assert.ok(await inspectImage(tag), "the tagged image was destroyed");
    // Artifacts: the builder's (kept by the second sequence) and the tagged one passed through.
    assert.match(r.stdout, /--> bb: Imported Docker image: kiln-it\/shell-local-pp:\d+/);
  });
});
