// Signals: SIGINT / SIGTERM (to the pid or the process group) cancel whatever step is running
// (exec, upload, commit, pull, push), cleanup runs, and kiln exits 130 / 143; a second signal
// during cleanup does not abandon it; a third forces exit after listing what remains and naming
// `kiln prune`, which then removes it.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { closeSync, openSync, ftruncateSync } from "node:fs";
import path from "node:path";
import { after, before, describe } from "node:test";
import { dockerRequest } from "../harness/docker-api.js";
import { startRegistry, type Registry } from "../harness/registry.js";
import {
  assertUserDockerConfigUnchanged,
  snapshotUserDockerConfig,
} from "../integration/registry-support.js";
import { makeBigImage, pushImage } from "./support/images.js";
import { removeImage, scenarioContainers } from "./support/leftovers.js";
import { scenario, type ScenarioContext } from "./support/scenario.js";
import { startSlowProxy } from "./support/slow-proxy.js";
import { jsonTemplate, RUNNING, sleeper, writeTemplate } from "./support/templates.js";
import { endpointFromEnv } from "../harness/docker-api.js";

const RUN = randomUUID().slice(0, 8);
const endpoint = endpointFromEnv();
let pullRegistry: Registry;
let pushRegistry: Registry;
let pullRef = "";

before(async () => {
  [pullRegistry, pushRegistry] = await Promise.all([startRegistry(), startRegistry()]);
  const repo = `${pullRegistry.host}/kiln-rel/pull-${RUN}`;
  const id = await makeBigImage(endpoint, repo, "1", 200);
  await pushImage(endpoint, repo, "1");
  // Gone locally, so that the build has to pull it.
  await removeImage(endpoint, `${repo}:1`);
  await removeImage(endpoint, id);
  pullRef = `${repo}:1`;
});

after(async () => {
  await Promise.all([pullRegistry?.close(), pushRegistry?.close()]);
});

const imageIdsIn = (text: string): string[] =>
  [...text.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)].map((m) => m[1]!);

const count = (text: string, re: RegExp): number => text.split("\n").filter((l) => re.test(l)).length;

/** Starts a sleeping build, signals it at the provisioner, checks the exit code and the cleanup. */
async function cancelDuringExec(
  s: ScenarioContext,
  signal: "SIGINT" | "SIGTERM",
  toGroup: boolean,
): Promise<void> {
  const file = writeTemplate(s.dir, jsonTemplate({ inline: sleeper() }));
  const p = s.start(["build", "-color=false", file], { detached: toGroup });
  await p.waitFor(new RegExp(RUNNING));
  const sent = Date.now();
  if (toGroup) p.signalGroup(signal);
  else p.signal(signal);
  const r = await p.result();
  const expected = signal === "SIGINT" ? 130 : 143;
  assert.equal(r.code, expected, r.output);
  assert.equal(
    count(r.output, /^Cancelling build after receiving/),
    1,
    "one cancellation, not one per process",
  );
  assert.match(r.output, /Killing the container/);
  assert.match(r.output, /Build 'docker' errored after .*: Build was cancelled/);
  assert.ok(!r.output.includes("finished-sleeping"));
  s.observe(
    `rc ${r.code} ${Date.now() - sent} ms after ${signal}${toGroup ? " to the group" : ""}; container removed`,
  );
}

describe("signals", () => {
  scenario("SIGINT to the pid during exec", "exit 130, cancelled, cleaned up", (s) =>
    cancelDuringExec(s, "SIGINT", false),
  );

  scenario("SIGTERM to the pid during exec", "exit 143, cancelled, cleaned up", (s) =>
    cancelDuringExec(s, "SIGTERM", false),
  );

  scenario("SIGINT to the process group during exec (Ctrl-C)", "exit 130, handled once, cleaned up", (s) =>
    cancelDuringExec(s, "SIGINT", true),
  );

  scenario("SIGINT during a 1 GB upload", "exit 130 promptly, upload abandoned, cleaned up", async (s) => {
    const big = path.join(s.dir, "big.bin");
    const fd = openSync(big, "w");
    ftruncateSync(fd, 1024 ** 3); // sparse: the bytes still travel, but cost no disk
    closeSync(fd);
    const file = writeTemplate(
      s.dir,
      jsonTemplate({
        builder: { commit: false, discard: true },
        provisioners: [
          { type: "file", source: big, destination: "/tmp/big.bin" },
          { type: "shell", inline: ["echo upload-finished"] },
        ],
      }),
    );
    const p = s.start(["build", "-color=false", file]);
    await p.waitFor(/Uploading .*big\.bin/);
    await new Promise((r) => setTimeout(r, 400));
    const sent = Date.now();
    p.signal("SIGINT");
    const r = await p.result();
    assert.equal(r.code, 130, r.output);
    assert.ok(!r.output.includes("upload-finished"), "the upload was interrupted");
    assert.ok(Date.now() - sent < 15_000);
    s.observe(`rc 130, ${Date.now() - sent} ms after SIGINT mid-upload`);
  });

  scenario(
    "SIGTERM during commit of a 300 MB layer",
    "exit 143; the commit is awaited and its image removed (no untagged image)",
    async (s) => {
      const file = writeTemplate(
        s.dir,
        jsonTemplate({ inline: ["head -c 314572800 /dev/urandom > /big", "echo layer-written"] }),
      );
      const p = s.start(["build", "-color=false", file]);
      await p.waitFor(/Committing the container/);
      await new Promise((r) => setTimeout(r, 300));
      p.signal("SIGTERM");
      const r = await p.result();
      for (const id of imageIdsIn(r.stdout)) await removeImage(s.endpoint, id);
      assert.equal(r.code, 143, r.output);
      assert.match(r.output, /Removing the image committed after the build was cancelled/);
      s.observe("rc 143; commit awaited, its image removed");
    },
  );

  scenario(
    "SIGINT during pull of a 200 MB image from a local registry",
    "exit 130, no container created",
    async (s) => {
      s.defer(() => removeImage(s.endpoint, pullRef));
      const file = writeTemplate(s.dir, jsonTemplate({ image: pullRef, builder: { pull: true } }));
      const p = s.start(["build", "-color=false", file]);
      await p.waitFor(/Pulling Docker image/);
      await new Promise((r) => setTimeout(r, 200));
      p.signal("SIGINT");
      const r = await p.result();
      assert.equal(r.code, 130, r.output);
      assert.ok(!r.output.includes("Starting docker container"), `cancelled during the pull:\n${r.output}`);
      const pulled = await dockerRequest("GET", `/images/${pullRef}/json`, { endpoint: s.endpoint });
      s.observe(
        `rc 130 mid-pull; no container started; image ${pulled.status === 200 ? "completed by the engine" : "not pulled"}`,
      );
    },
  );

  scenario(
    "SIGINT during docker-push of a 200 MB layer",
    "exit 130; ~/.docker/config.json untouched; local tag intact",
    async (s) => {
      const configBefore = snapshotUserDockerConfig();
      const repo = `${pushRegistry.host}/kiln-rel/push-${RUN}`;
      const file = writeTemplate(
        s.dir,
        jsonTemplate({
          inline: ["head -c 209715200 /dev/urandom > /big"],
          postProcessors: [[{ type: "docker-tag", repository: repo, tags: ["1"] }, { type: "docker-push" }]],
        }),
      );
      const p = s.start(["build", "-color=false", file]);
      await p.waitFor(/Pushing: /);
      await new Promise((r) => setTimeout(r, 500));
      p.signal("SIGINT");
      const r = await p.result();
      const tagged = await dockerRequest("GET", `/images/${repo}:1/json`, { endpoint: s.endpoint });
      await removeImage(s.endpoint, `${repo}:1`);
      for (const id of imageIdsIn(r.stdout)) await removeImage(s.endpoint, id);
      assert.equal(r.code, 130, r.output);
      assert.equal(tagged.status, 200, "the local tag survives a cancelled push");
      assertUserDockerConfigUnchanged(configBefore);
      s.observe("rc 130 mid-push; config.json unchanged; local tag intact");
    },
  );

  scenario(
    "second SIGINT while cleanup is slow (container removal held 3 s)",
    "cleanup continues and finishes; exit 130; container gone",
    async (s) => {
      const proxy = await startSlowProxy({
        upstreamSocket: socketOf(s),
        dir: s.dir,
        slow: /^DELETE \S*\/containers\//,
        delayMs: 3000,
      });
      s.defer(() => proxy.close());
      const file = writeTemplate(s.dir, jsonTemplate({ inline: sleeper() }));
      const p = s.start(["build", "-color=false", file], { env: { DOCKER_HOST: proxy.dockerHost } });
      await p.waitFor(new RegExp(RUNNING));
      p.signal("SIGINT");
      await p.waitFor(/Killing the container/);
      await new Promise((r) => setTimeout(r, 300));
      p.signal("SIGINT");
      const r = await p.result();
      assert.equal(r.code, 130, r.output);
      assert.match(r.output, /Cleanup is in progress; kiln will exit when it is done/);
      assert.ok(proxy.held.length >= 1, "the removal was held");
      assert.equal((await scenarioContainers(s.endpoint, s.pids)).length, 0, "the container was removed");
      s.observe(`rc 130; 2nd signal acknowledged; held removal completed (${proxy.held.length} held)`);
    },
  );

  scenario(
    "third SIGINT while cleanup hangs (container removal held 60 s)",
    "exits at once listing what remains + `kiln prune`; prune then removes it",
    async (s) => {
      const proxy = await startSlowProxy({
        upstreamSocket: socketOf(s),
        dir: s.dir,
        slow: /^DELETE \S*\/containers\//,
        delayMs: 60_000,
      });
      s.defer(() => proxy.close());
      const file = writeTemplate(s.dir, jsonTemplate({ inline: sleeper() }));
      const p = s.start(["build", "-color=false", file], { env: { DOCKER_HOST: proxy.dockerHost } });
      await p.waitFor(new RegExp(RUNNING));
      p.signal("SIGINT");
      await p.waitFor(/Killing the container/);
      p.signal("SIGINT");
      await p.waitFor(/Cleanup is in progress/);
      const third = Date.now();
      p.signal("SIGINT");
      const r = await p.result();
      const exitMs = Date.now() - third;
      assert.equal(r.code, 130, r.output);
      assert.ok(exitMs < 3000, `exited ${exitMs} ms after the third signal`);
      assert.match(r.output, /Exiting without finishing cleanup\. Left behind:/);
      assert.match(r.output, /remove container [0-9a-f]{64}/);
      assert.match(r.output, /remove temporary directory /);
      assert.match(r.output, /kiln prune/);
      assert.equal((await scenarioContainers(s.endpoint, s.pids)).length, 1, "the container really was left");
      await proxy.close();
      const prune = await s.kiln(["prune"]);
      assert.equal(prune.code, 0, prune.output);
      s.observe(
        `rc 130 ${exitMs} ms after 3rd signal, leftovers listed; prune: ${/Removed \d+ leftover\(s\)/.exec(prune.stdout)?.[0]}`,
      );
    },
  );
});

function socketOf(s: ScenarioContext): string {
  if (s.endpoint.kind !== "unix") throw new Error("the slow proxy needs a unix socket engine");
  return s.endpoint.socketPath;
}
