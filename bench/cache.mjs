#!/usr/bin/env node
// The per-step cache, in one run on one engine: a 20-step template (each step `true`) built by
// kiln cold with the cache (every step committed as an entry), with -no-cache, and warm (every
// step from the cache); by Packer 1.6.6; and the equivalent 20-RUN Dockerfile built by the
// engine's own builder with its cache warm.
// Usage: node bench/cache.mjs [--runs N]   (needs a built dist/, the docker CLI, packer)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { harness, imageFromOutput, report, root, runsFromArgs, sh, time } from "./lib.mjs";

const runs = runsFromArgs(5);
const STEPS = 20;
const h = harness();
const { env } = h;
const work = mkdtempSync(join(tmpdir(), "kiln-bench-cache-"));
const state = join(work, "state");
const kilnEnv = { ...env, KILN_STATE_DIR: state };
const template = {
  builders: [{ type: "docker", image: h.busybox, pull: false, commit: true }],
  provisioners: Array.from({ length: STEPS }, () => ({ type: "shell", inline: ["true"] })),
};
const templatePath = join(work, "bench.json");
writeFileSync(templatePath, JSON.stringify(template, null, 2));
writeFileSync(join(work, "Dockerfile"), `FROM ${h.busybox}\n${"RUN true\n".repeat(STEPS)}`);

const kiln = (...args) =>
  imageFromOutput(
    sh("node", [join(root, "bin/kiln.js"), "build", "-color=false", ...args, templatePath], {
      env: kilnEnv,
      cwd: work,
    }),
  );
const prune = () =>
  sh("node", [join(root, "bin/kiln.js"), "cache", "prune", "-all"], { env: kilnEnv, cwd: work });
const rmi = (id) => id && execFileSync("docker", ["rmi", id], { env, stdio: "ignore" });

const times = { "kiln cold": [], "kiln -no-cache": [], "kiln warm": [], packer: [], "dockerfile warm": [] };
try {
  // Warm-ups: the Dockerfile's cache and the engine's page cache.
  sh("docker", ["build", "-q", "-t", "kiln-bench/dockerfile:1", work], {
    env: { ...env, DOCKER_BUILDKIT: "0" },
  });
  rmi(kiln("-no-cache"));
  for (let r = 0; r < runs; r++) {
    prune();
    let t = time(() => kiln());
    times["kiln cold"].push(t.ms);
    rmi(t.value);
    t = time(() => kiln("-no-cache"));
    times["kiln -no-cache"].push(t.ms);
    rmi(t.value);
    t = time(() => kiln());
    times["kiln warm"].push(t.ms);
    rmi(t.value);
    t = time(() =>
      imageFromOutput(
        sh("packer", ["build", "-color=false", templatePath], {
          env: { ...env, PACKER_CONFIG_DIR: work, CHECKPOINT_DISABLE: "1" },
          cwd: work,
        }),
      ),
    );
    times.packer.push(t.ms);
    rmi(t.value);
    t = time(() =>
      sh("docker", ["build", "-q", "-t", "kiln-bench/dockerfile:1", work], {
        env: { ...env, DOCKER_BUILDKIT: "0" },
      }),
    );
    times["dockerfile warm"].push(t.ms);
  }
} finally {
  try {
    prune();
    execFileSync("docker", ["rmi", "kiln-bench/dockerfile:1"], { env, stdio: "ignore" });
  } catch {
    // best effort
  }
  rmSync(work, { recursive: true, force: true });
  h.teardown();
}

const m = report(`${STEPS}-step build (each step \`true\`), ${runs} runs each, median wall time:`, times);
console.log(
  `ratio kiln cold / kiln -no-cache = ${(m["kiln cold"] / m["kiln -no-cache"]).toFixed(2)}   (target ≤ 1.5)`,
);
console.log(`ratio packer / kiln warm         = ${(m.packer / m["kiln warm"]).toFixed(1)}   (target ≥ 15)`);
console.log(
  `ratio kiln warm / dockerfile warm = ${(m["kiln warm"] / m["dockerfile warm"]).toFixed(2)}   (target ≤ 3)`,
);
