// Ownership and recovery: a kiln killed with SIGKILL leaves a named container and a journal; the
// next `kiln build` and `kiln prune` remove them; what belongs to a live run (or to another host)
// is never touched, and a pid reused by an unrelated process does not keep leftovers alive.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { describe } from "node:test";
import { hostSlug } from "../../src/core/ownership.js";
import { dockerJson, dockerRequest } from "../harness/docker-api.js";
import { removeImage, scenarioContainers } from "./support/leftovers.js";
import { scenario, type ScenarioContext } from "./support/scenario.js";
import { BUSYBOX, jsonTemplate, RUNNING, sleeper, writeTemplate } from "./support/templates.js";

interface Journal {
  pid: number;
  paths: string[];
}

function journals(s: ScenarioContext): Journal[] {
  return readdirSync(s.state)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(path.join(s.state, f), "utf8")) as Journal);
}

const imageIdsIn = (text: string): string[] =>
  [...text.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)].map((m) => m[1]!);

async function killMidProvision(s: ScenarioContext): Promise<void> {
  const file = writeTemplate(s.dir, jsonTemplate({ inline: sleeper() }));
  const p = s.start(["build", "-color=false", file]);
  await p.waitFor(new RegExp(RUNNING));
  p.signal("SIGKILL");
  const r = await p.result();
  assert.equal(r.signal, "SIGKILL");
  const containers = await scenarioContainers(s.endpoint, s.pids);
  const recorded = journals(s);
  assert.equal(containers.length, 1, "the build container is still there");
  assert.equal(recorded.length, 1, "a journal records the run");
  assert.ok(
    recorded[0]!.paths.some((p) => p.startsWith(path.join(s.tmp, "kiln-"))),
    `the journal names the temp dir: ${JSON.stringify(recorded[0])}`,
  );
  s.observe(`after SIGKILL: ${containers.length} container + journal (${recorded[0]!.paths.length} path)`);
}

describe("ownership and recovery", () => {
  scenario(
    "SIGKILL mid-provision, then `kiln prune`",
    "named container + journal remain; prune --dry-run lists, prune removes",
    async (s) => {
      await killMidProvision(s);
      const dry = await s.kiln(["prune", "--dry-run"]);
      assert.equal(dry.code, 0, dry.output);
      assert.match(dry.stdout, /container kiln_\S+ .*\[owner gone: will remove\]/);
      assert.match(dry.stdout, new RegExp(`${s.tmp}/kiln-\\S+ .*\\[owner gone: will remove\\]`));
      assert.equal((await scenarioContainers(s.endpoint, s.pids)).length, 1, "--dry-run removed nothing");
      const prune = await s.kiln(["prune"]);
      assert.equal(prune.code, 0, prune.output);
      const removed = Number(/Removed (\d+) leftover/.exec(prune.stdout)?.[1] ?? 0);
      assert.ok(removed >= 3, `container, temp dir and journal removed: ${prune.stdout}`);
      s.observe(`dry-run listed them, kept all; prune rc 0, removed ${removed}`);
    },
  );

  scenario(
    "SIGKILL mid-provision, then the next `kiln build`",
    "the next build removes the leftovers first, then succeeds",
    async (s) => {
      await killMidProvision(s);
      const file = writeTemplate(s.dir, jsonTemplate({ inline: ["echo second run"] }), "second.json");
      const r = await s.kiln(["build", "-color=false", file]);
      for (const id of imageIdsIn(r.stdout)) await removeImage(s.endpoint, id);
      assert.equal(r.code, 0, r.output);
      const removed = Number(
        /Removed (\d+) leftover\(s\) of earlier interrupted kiln runs/.exec(r.stdout)?.[1],
      );
      assert.ok(removed >= 3, r.output);
      s.observe(`next build rc 0, removed ${removed} leftover(s) first`);
    },
  );

  scenario(
    "two live kiln runs, `kiln prune` and a third build",
    "live runs' objects listed as kept, never removed; both live runs succeed",
    async (s) => {
      const file = writeTemplate(s.dir, jsonTemplate({ inline: sleeper(10) }));
      const live = [s.start(["build", "-color=false", file]), s.start(["build", "-color=false", file])];
      await Promise.all(live.map((p) => p.waitFor(new RegExp(RUNNING))));
      const prune = await s.kiln(["prune"]);
      assert.equal(prune.code, 0, prune.output);
      const kept = prune.stdout.split("\n").filter((l) => l.includes("[owner still running: kept]"));
      const ours = kept.filter((l) =>
        live.some((p) => l.includes(`pid ${p.kilnPid} on`) || l.includes(`pid ${p.kilnPid})`)),
      );
      assert.ok(ours.length >= 4, `2 containers + 2 temp dirs listed as kept:\n${prune.stdout}`);
      const third = await s.kiln([
        "build",
        "-color=false",
        writeTemplate(s.dir, jsonTemplate(), "third.json"),
      ]);
      assert.equal(third.code, 0, third.output);
      assert.equal((await scenarioContainers(s.endpoint, s.pids)).length, 2, "both live containers remain");
      const results = await Promise.all(live.map((p) => p.result()));
      for (const r of [...results, third])
        for (const id of imageIdsIn(r.stdout)) await removeImage(s.endpoint, id);
      for (const r of results) assert.equal(r.code, 0, r.output);
      assert.ok(results.every((r) => r.stdout.includes("finished-sleeping")));
      s.observe(
        `prune kept ${ours.length} live objects; third build rc 0; live runs rc ${results.map((r) => r.code).join(",")}`,
      );
    },
  );

  scenario(
    "a dead run's pid reused by another process; a run on another host",
    "reused pid counts as gone (removed); another host's container is kept",
    async (s) => {
      const impostor = spawn("sleep", ["60"], { stdio: "ignore" });
      const pid = impostor.pid!;
      s.pids.add(pid);
      s.defer(() => void impostor.kill("SIGKILL"));
      const here = hostSlug(hostname());
      const create = async (name: string): Promise<string> =>
        (
          await dockerJson<{ Id: string }>("POST", "/containers/create", {
            endpoint: s.endpoint,
            query: { name },
            body: { Image: BUSYBOX, Cmd: ["true"] },
          })
        ).Id;
      // The dead run recorded its own start time; the impostor now holding its pid started later.
      const reused = await create(`kiln_0badc0de_${pid}.1_${here}_reuse_1`);
      const foreign = await create(`kiln_0badc0df_1_elsewhere-host_reuse_1`);
      s.defer(async () => {
        await dockerRequest("DELETE", `/containers/${foreign}`, {
          endpoint: s.endpoint,
          query: { force: 1 },
        });
      });
      const temp = path.join(s.tmp, "kiln-0badc0de-reuse");
      mkdirSync(temp);
      writeFileSync(
        path.join(s.state, "0badc0de-0000-4000-8000-000000000000.json"),
        JSON.stringify({
          version: 1,
          runId: "0badc0de-0000-4000-8000-000000000000",
          pid,
          host: hostname(),
          start: 1,
          started: new Date().toISOString(),
          paths: [temp],
        }),
      );
      const prune = await s.kiln(["prune"]);
      assert.equal(prune.code, 0, prune.output);
      assert.match(prune.stdout, /kiln_0badc0de_\S+ .*\[owner gone: will remove\]/);
      assert.match(prune.stdout, /kiln_0badc0df_1_elsewhere-host\S* .*\[owner on another host: kept\]/);
      const gone = await dockerRequest("GET", `/containers/${reused}/json`, { endpoint: s.endpoint });
      const kept = await dockerRequest("GET", `/containers/${foreign}/json`, { endpoint: s.endpoint });
      assert.equal(gone.status, 404, "the reused-pid container was removed");
      assert.equal(kept.status, 200, "the other host's container was kept");
      await dockerRequest("DELETE", `/containers/${foreign}`, { endpoint: s.endpoint, query: { force: 1 } });
      s.observe("reused pid: container, temp dir, journal removed; other host: kept");
    },
  );
});
