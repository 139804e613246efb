// DOCKER_HOST=ssh://: kiln runs `ssh … docker system dial-stdio` and speaks the Engine API over
// it. The remote is a real sshd in its own network namespace (test/harness/sshd.ts) whose docker
// CLI reaches the test engine. A build with an upload, a script large enough to travel on the
// exec's stdin (the upgraded connection), a download, and a docker-push; then the connection cut
// mid-build: a clear error, and the build's container removed by the next run once sshd is back.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { dockerRequest } from "../harness/docker-api.js";
import { runKiln, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { startRegistry, type Registry } from "../harness/registry.js";
import { startSshd, type Sshd } from "../harness/sshd.js";
import { BUSYBOX, describeRun, inImage, removeProduced, trackImage } from "./support/build.js";

let sshd: Sshd;
let registry: Registry;

before(async () => {
  const engineHost = process.env.DOCKER_HOST ?? "";
  assert.ok(engineHost.startsWith("unix://"), "the harness exports the test engine's unix socket");
  sshd = await startSshd({ engineHost });
  registry = await startRegistry();
});

after(async () => {
  await sshd?.close();
  await registry?.close();
  await removeProduced();
  await assertNoKilnLeftovers({ context: "after the ssh engine tests" });
});

function sshEnv(): Record<string, string> {
  return { DOCKER_HOST: sshd.dockerHost, PATH: `${sshd.binDir}:${process.env.PATH ?? ""}` };
}

async function containerExists(id: string): Promise<boolean> {
  return (await dockerRequest("GET", `/containers/${id}/json`)).status === 200;
}

describe("an engine over ssh (DOCKER_HOST=ssh://)", () => {
  it("builds with an upload, a stdin-fed script, a download and a docker-push", async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, "payload"));
    writeFileSync(join(dir, "payload", "a.txt"), "uploaded over ssh\n");
    // Over 64 KiB: the shell provisioner sends it on the exec's stdin (an upgraded connection).
    writeFileSync(
      join(dir, "big.sh"),
      `#!/bin/sh\n${"# padding\n".repeat(8000)}echo big-script-ran-over-ssh\n`,
    );
    const repo = `${registry.host}/kiln-it/ssh-${Date.now()}`;
    const template = {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [
        { type: "file", source: "payload", destination: "/tmp/payload" },
        { type: "shell", script: "big.sh" },
        { type: "shell", inline: ["cat /tmp/payload/a.txt", "echo made-over-ssh > /tmp/made.txt"] },
        { type: "file", direction: "download", source: "/tmp/made.txt", destination: "back.txt" },
      ],
      "post-processors": [
        [
          { type: "docker-tag", repository: repo, tags: ["1"] },
          { type: "docker-push", keep_input_artifact: true },
        ],
      ],
    };
    writeFileSync(join(dir, "template.json"), JSON.stringify(template));
    const loginsBefore = sshd.logins();
    const r = await runKiln(["build", "-color=false", "template.json"], { cwd: dir, env: sshEnv() });
    for (const m of r.stdout.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)) trackImage(m[1]!);
    trackImage(`${repo}:1`);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(
      r.stdout.split("\n")[0]!,
      /^Using the (Docker|Podman) engine at ssh:\/\/root@kiln-sshd \((Docker|Podman) /,
    );
    assert.ok(sshd.logins() > loginsBefore, "kiln logged in to the sshd");
    assert.match(r.stdout, /docker: big-script-ran-over-ssh/);
    assert.match(r.stdout, /docker: uploaded over ssh/);
    assert.equal(readFileSync(join(dir, "back.txt"), "utf8"), "made-over-ssh\n");
    const pushed = /sha256:[0-9a-f]{64}/.exec(r.stdout.slice(r.stdout.indexOf("Pushing")))?.[0];
    assert.ok(pushed, `a pushed digest is printed:\n${r.stdout}`);
    assert.equal(await registry.manifestDigest(repo.slice(registry.host.length + 1), "1"), pushed);
    const imageId = /Image ID: (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
    assert.equal((await inImage(imageId!, "cat /tmp/payload/a.txt")).trim(), "uploaded over ssh");
  });

  it("reports a cut connection clearly, and the next run removes what the build left once ssh is back", async (t) => {
    const dir = tempDir(t);
    writeFileSync(
      join(dir, "template.json"),
      JSON.stringify({
        builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
        provisioners: [{ type: "shell", inline: ["echo ready-to-cut", "sleep 120"] }],
      }),
    );
    let cut: Promise<void> | undefined;
    const r = await runKiln(["build", "-color=false", "template.json"], {
      cwd: dir,
      env: sshEnv(),
      timeoutMs: 90_000,
      // The cut leaves the build's container; the next run removes it (asserted below).
      expectLeftovers: true,
      onOutput: (output) => {
        if (cut === undefined && output.includes("docker: ready-to-cut")) cut = sshd.cut();
      },
    });
    await cut;
    assert.ok(cut, `the build reached the provisioner:\n${describeRun(r)}`);
    assert.equal(r.code, 1, describeRun(r));
    assert.ok(r.durationMs < 60_000, `kiln gave up promptly (${r.durationMs} ms)`);
    assert.match(
      r.output,
      /Lost the connection to the Docker engine at ssh:\/\/root@kiln-sshd during provisioner 1/,
    );
    assert.match(r.output, /lost the connection to the engine over ssh \(ssh:\/\/root@kiln-sshd/);
    assert.match(r.output, /removed by the next kiln run \(or `kiln prune`\) once the engine is back/);
    assert.doesNotMatch(r.output, /internal error/);
    const id = /Container ID: ([0-9a-f]{64})/.exec(r.stdout)?.[1];
    assert.ok(id, "the container id was printed");
    assert.ok(
      await containerExists(id),
      "the cut left the build container in the engine (kiln could not reach it)",
    );

    await sshd.start();
    writeFileSync(
      join(dir, "again.json"),
      JSON.stringify({ builders: [{ type: "docker", image: BUSYBOX, pull: false, discard: true }] }),
    );
    const again = await runKiln(["build", "-color=false", "again.json"], { cwd: dir, env: sshEnv() });
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.stdout, /Removed 1 leftover\(s\) of earlier interrupted kiln runs\./);
    assert.equal(await containerExists(id), false, "the leftover container was removed through ssh");
  });

  it("never prompts: an unknown host key fails at once with ssh's own words", async (t) => {
    const dir = tempDir(t);
    writeFileSync(
      join(dir, "t.json"),
      JSON.stringify({ builders: [{ type: "docker", image: BUSYBOX, discard: true }] }),
    );
    // The address itself, not the configured alias: its key is in no known_hosts file kiln's ssh reads.
    const r = await runKiln(["build", "t.json"], {
      cwd: dir,
      env: { ...sshEnv(), DOCKER_HOST: `ssh://root@${sshd.address}` },
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr + r.stdout, /Cannot reach the Docker engine at ssh:\/\/root@169\.254\./);
    assert.match(r.stderr + r.stdout, /Host key verification failed/);
    assert.match(r.stderr + r.stdout, /BatchMode=yes/);
  });
});
