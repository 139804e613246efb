// Concurrency: four kiln processes building the same template at once (different tags, one shared
// TMPDIR and state dir), and four builds inside one process with -parallel-builds: no
// interference, no shared temp names, every image carries its own content.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe } from "node:test";
import { inImage } from "../integration/support/build.js";
import { removeImage } from "./support/leftovers.js";
import { scenario, type ScenarioContext } from "./support/scenario.js";
import { BUSYBOX, writeTemplate } from "./support/templates.js";

const RUN = randomUUID().slice(0, 8);

/** Samples the names kiln creates in its TMPDIR while builds run. */
function watchTempNames(dir: string): { stop(): string[] } {
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const name of readdirSync(dir)) seen.add(name);
  }, 15);
  return {
    stop() {
      clearInterval(timer);
      return [...seen];
    },
  };
}

async function checkImages(s: ScenarioContext, repo: string, names: string[], out: string): Promise<void> {
  for (const name of names) {
    const marker = (await inImage(`${repo}:${name}`, "cat /marker")).trim();
    assert.equal(marker, name, `${repo}:${name} holds its own content`);
    const saved = path.join(out, `${name}.tar`);
    assert.ok(existsSync(saved) && statSync(saved).size > 0, `${saved} was written`);
  }
  assert.deepEqual(
    readdirSync(out).filter((n) => n.endsWith(".partial")),
    [],
    "no partial files",
  );
  void s;
}

describe("concurrency", () => {
  scenario(
    "four kiln processes build the same template at once (different tags)",
    "all exit 0; 4 distinct containers and temp dirs; each image has its own content",
    async (s) => {
      const repo = `kiln-rel/conc-${RUN}`;
      const out = path.join(s.dir, "out");
      mkdirSync(out);
      const file = writeTemplate(s.dir, {
        variables: { tag: null },
        builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
        provisioners: [
          {
            type: "shell",
            environment_vars: ["TAG={{user `tag`}}"],
            inline: ['echo "$TAG" > /marker', "sleep 2"],
          },
        ],
        "post-processors": [
          [
            { type: "docker-tag", repository: repo, tags: ["{{user `tag`}}"] },
            { type: "docker-save", path: path.join(out, "{{user `tag`}}.tar") },
          ],
        ],
      });
      const tags = ["one", "two", "three", "four"];
      const watcher = watchTempNames(s.tmp);
      const runs = await Promise.all(
        tags.map((tag) => s.kiln(["build", "-color=false", `-var=tag=${tag}`, file])),
      );
      const tempNames = watcher.stop();
      try {
        for (const r of runs) assert.equal(r.code, 0, r.output);
        for (const r of runs) assert.doesNotMatch(r.output, /leftover/i, "no run touched another's objects");
        assert.equal(s.containerIds.size, 4, "four distinct build containers");
        const runIds = new Set(tempNames.map((n) => /^kiln-([0-9a-f]{8})-/.exec(n)?.[1]).filter(Boolean));
        assert.equal(runIds.size, 4, `four distinct temp dirs: ${tempNames.join(", ")}`);
        await checkImages(s, repo, tags, out);
        s.observe(
          `4× rc 0; ${s.containerIds.size} containers, ${runIds.size} temp dirs, all distinct; each tag holds its own marker`,
        );
      } finally {
        for (const tag of tags) await removeImage(s.endpoint, `${repo}:${tag}`);
        for (const r of runs)
          for (const m of r.output.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g))
            await removeImage(s.endpoint, m[1]!);
      }
    },
  );

  scenario(
    "-parallel-builds=4: four builds of one template in one process",
    "all 4 builds run at once and succeed; distinct containers; images correct",
    async (s) => {
      const repo = `kiln-rel/par-${RUN}`;
      const out = path.join(s.dir, "out");
      mkdirSync(out);
      const names = ["b1", "b2", "b3", "b4"];
      const file = writeTemplate(s.dir, {
        builders: names.map((name) => ({ type: "docker", name, image: BUSYBOX, pull: false, commit: true })),
        provisioners: [
          {
            type: "shell",
            inline: ['echo "started-$PACKER_BUILD_NAME"', 'echo "$PACKER_BUILD_NAME" > /marker', "sleep 3"],
          },
        ],
        "post-processors": [
          [
            { type: "docker-tag", repository: repo, tags: ["{{build_name}}"] },
            { type: "docker-save", path: path.join(out, "{{build_name}}.tar") },
          ],
        ],
      });
      const r = await s.kiln(["build", "-color=false", "-parallel-builds=4", file]);
      try {
        assert.equal(r.code, 0, r.output);
        for (const name of names) assert.match(r.output, new RegExp(`Build '${name}' finished`));
        assert.equal(s.containerIds.size, 4, "four distinct build containers");
        // They ran at once: every build's provisioner started before any build got to its commit.
        const lines = r.output.split("\n");
        const firstCommit = lines.findIndex((l) => l.includes("Committing the container"));
        const started = names.map((n) => lines.findIndex((l) => l.includes(`started-${n}`)));
        assert.ok(
          started.every((i) => i >= 0 && i < firstCommit),
          `all four provisioners started before the first commit:\n${r.output}`,
        );
        await checkImages(s, repo, names, out);
        s.observe(
          `rc 0 in ${(r.durationMs / 1000).toFixed(1)} s (all 4 provisioners ran at once); 4 containers; images correct`,
        );
      } finally {
        for (const name of names) await removeImage(s.endpoint, `${repo}:${name}`);
        for (const m of r.output.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g))
          await removeImage(s.endpoint, m[1]!);
      }
    },
  );
});
