// Engine faults: no engine at start (clear message naming the socket or DOCKER_HOST, exit 1, no
// retry loop, nothing created); the engine SIGKILLed mid-build and restarted (a private dockerd in
// its own network namespace); the build container killed from outside; a full disk under
// export_path and docker-save (a 5 MB tmpfs mounted by the test).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe } from "node:test";
import { dockerJson } from "../harness/docker-api.js";
import { freePort } from "../harness/registry.js";
import { privateEngine } from "./support/private-engine.js";
import { removeImage, scenarioContainers } from "./support/leftovers.js";
import { scenario, type ScenarioContext } from "./support/scenario.js";
import { jsonTemplate, RUNNING, sleeper, writeTemplate } from "./support/templates.js";

const engine = privateEngine();

before(async () => {
  await engine.start();
});

after(async () => {
  await engine.close();
});

const imageIdsIn = (text: string): string[] =>
  [...text.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)].map((m) => m[1]!);

function smallDisk(s: ScenarioContext): string {
  const dir = path.join(s.dir, "small-disk");
  mkdirSync(dir);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=5m", "tmpfs", dir]);
  s.defer(() => void execFileSync("umount", [dir]));
  return dir;
}

describe("engine faults", () => {
  scenario(
    "no engine at start: DOCKER_HOST names a missing socket",
    "exit 1 at once; message names the socket and the cause; nothing created",
    async (s) => {
      const r = await s.kiln(["build", "-color=false", writeTemplate(s.dir, jsonTemplate())], {
        env: { DOCKER_HOST: "unix:///nonexistent/kiln-rel.sock" },
      });
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /unix:\/\/\/nonexistent\/kiln-rel\.sock/);
      assert.match(r.output, /the socket does not exist/);
      assert.ok(r.durationMs < 5000, `took ${r.durationMs} ms`);
      assert.doesNotMatch(r.output, /^\s+at /m, "no stack trace");
      s.observe(`rc 1 in ${r.durationMs} ms: "${/the socket does not exist[^.]*/.exec(r.output)?.[0]}"`);
    },
  );

  scenario(
    "no engine at start: DOCKER_HOST=tcp:// to a closed port",
    "exit 1 at once; message names the address and 'connection refused'",
    async (s) => {
      const port = await freePort();
      const r = await s.kiln(["build", "-color=false", writeTemplate(s.dir, jsonTemplate())], {
        env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` },
      });
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, new RegExp(`tcp://127\\.0\\.0\\.1:${port}`));
      assert.match(r.output, /connection refused/);
      assert.ok(r.durationMs < 5000, `took ${r.durationMs} ms`);
      s.observe(`rc 1 in ${r.durationMs} ms, names tcp://127.0.0.1:${port}, "connection refused"`);
    },
  );

  scenario(
    "`kiln prune` with no engine",
    "lists host leftovers only, says the engine was not checked, exit 1",
    async (s) => {
      const r = await s.kiln(["prune"], { env: { DOCKER_HOST: "unix:///nonexistent/kiln-rel.sock" } });
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /Cannot reach the Docker engine at unix:\/\/\/nonexistent\/kiln-rel\.sock/);
      assert.match(r.output, /the engine was not checked/);
      s.observe("rc 1; 'the engine was not checked' (no false 'nothing left')");
    },
  );

  scenario(
    "engine SIGKILLed mid-provision, then restarted (private dockerd, own netns)",
    "step fails fast naming the lost engine; the next run removes the leftovers",
    async (s) => {
      const file = writeTemplate(s.dir, jsonTemplate({ inline: sleeper() }));
      const p = s.start(["build", "-color=false", file]);
      await p.waitFor(new RegExp(RUNNING));
      await engine.kill();
      const killed = Date.now();
      const r = await p.result();
      const failMs = Date.now() - killed;
      assert.equal(r.code, 1, r.output);
      assert.match(
        r.output,
        /Lost the connection to the Docker engine at unix:\/\/\S+ during provisioner 1 \(shell\)/,
      );
      assert.match(r.output, /kiln prune/);
      assert.doesNotMatch(r.output, /^\s+at /m, "no stack trace");
      assert.ok(failMs < 15_000, `failed ${failMs} ms after the engine died`);
      await engine.start();
      const left = await scenarioContainers(s.endpoint, s.pids);
      assert.equal(left.length, 1, "the container outlived the engine");
      const next = await s.kiln(["build", "-color=false", writeTemplate(s.dir, jsonTemplate(), "next.json")]);
      for (const id of imageIdsIn(next.stdout)) await removeImage(s.endpoint, id);
      assert.equal(next.code, 0, next.output);
      assert.match(next.output, /Removed \d+ leftover\(s\) of earlier interrupted kiln runs/);
      s.observe(
        `rc 1 ${failMs} ms after the engine died ("Lost the connection…"); after restart the next build removed the leftover container`,
      );
    },
    { endpoint: engine.endpoint, timeoutMs: 180_000 },
  );

  scenario(
    "build container killed from outside mid-provision (POST /containers/{id}/kill)",
    "exit 1; the error says the container was killed, not 'script exited 137'",
    async (s) => {
      const file = writeTemplate(s.dir, jsonTemplate({ inline: sleeper() }));
      const p = s.start(["build", "-color=false", file]);
      await p.waitFor(new RegExp(RUNNING));
      const [id] = [...s.containerIds];
      await dockerJson("POST", `/containers/${id}/kill`, { endpoint: s.endpoint });
      const r = await p.result();
      assert.equal(r.code, 1, r.output);
      assert.match(
        r.output,
        /the build container [0-9a-f]{12} stopped while a command was running in it \(exited, exit code 137\)/,
      );
      s.observe(
        "rc 1: 'the build container … stopped while a command was running in it (exited, exit code 137)'",
      );
    },
  );

  scenario(
    "disk full under export_path (5 MB tmpfs)",
    "exit 1 with 'no space left on device'; no partial or final file",
    async (s) => {
      const disk = smallDisk(s);
      const template = jsonTemplate({
        inline: ["head -c 8388608 /dev/urandom > /fill"],
        builder: { commit: false, export_path: path.join(disk, "container.tar") },
      });
      const r = await s.kiln(["build", "-color=false", writeTemplate(s.dir, template)]);
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /Error exporting the container to .*no space left on device/i);
      assert.deepEqual(readdirSync(disk), [], "nothing left on the full disk");
      assert.doesNotMatch(r.output, /^\s+at /m, "no stack trace");
      s.observe("rc 1: 'Error exporting … no space left on device'; tmpfs empty");
    },
  );

  scenario(
    "disk full under docker-save (5 MB tmpfs)",
    "exit 1 with 'no space left on device'; no partial or final file",
    async (s) => {
      const disk = smallDisk(s);
      const template = jsonTemplate({
        inline: ["head -c 8388608 /dev/urandom > /fill"],
        postProcessors: [{ type: "docker-save", path: path.join(disk, "image.tar") }],
      });
      const r = await s.kiln(["build", "-color=false", writeTemplate(s.dir, template)]);
      for (const id of imageIdsIn(r.stdout)) await removeImage(s.endpoint, id);
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /Error saving .*no space left on device/i);
      assert.deepEqual(readdirSync(disk), [], "nothing left on the full disk");
      s.observe("rc 1: 'Error saving … no space left on device'; tmpfs empty");
    },
  );
});
