#!/usr/bin/env node
// docker-squash against the docker CLI's flattening, in one run on one engine. A 200 MB base
// image (random bytes, so nothing compresses or dedups), and a build that adds 100 MB in two steps
// (one 60 MB file; 2,000 files of 20 kB): with the per-step cache on, each step of more than 16 MB
// becomes a layer, so the built image is the base plus two layers. Timed, interleaved:
//   - kiln's squash of that image (its own "Squashed image … in D" figure: save, merge, load);
//   - a warm `kiln build` with docker-squash and the same build without it (whole processes; the
//     difference is what squashing adds to a build);
//   - `docker export <container> | docker import -` of a container of the same image (created
//     before the timer starts: kiln needs no container);
//   - with --packer: a cold `kiln build` with docker-squash against `packer build` with
//     `export_path` + docker-import (Packer's only way to flatten; it loses the config).
// Usage: node bench/squash.mjs [--runs N] [--packer]   (needs a built dist/, the docker CLI)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { harness, imageFromOutput, median, report, root, runsFromArgs, sh, time } from "./lib.mjs";

const runs = runsFromArgs(3);
const withPacker = process.argv.includes("--packer");
const h = harness();
const { env } = h;
const work = mkdtempSync(join(tmpdir(), "kiln-bench-squash-"));
const state = join(work, "state");
const kilnEnv = { ...env, KILN_STATE_DIR: state };
const BASE = "kiln-bench/squash-base:1";
const docker = (...args) => sh("docker", args, { env });
const rmi = (...refs) => {
  for (const ref of refs.filter(Boolean)) {
    try {
      execFileSync("docker", ["rmi", ref], { env, stdio: "ignore" });
    } catch {
      // already gone
    }
  }
};

const steps = [
  "mkdir -p /opt && dd if=/dev/urandom of=/opt/added.bin bs=1M count=60 2>/dev/null",
  "mkdir /opt/files && i=0; while [ $i -lt 2000 ]; do dd if=/dev/urandom of=/opt/files/f$i bs=20k count=1 2>/dev/null; i=$((i+1)); done",
].map((line) => ({ type: "shell", inline: [line] }));
const builder = { type: "docker", image: BASE, pull: false, commit: true, changes: ["ENV SQUASHED=yes"] };
const write = (name, template) => {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(template, null, 2));
  return file;
};
const plain = write("plain.json", { builders: [builder], provisioners: steps });
const squash = write("squash.json", {
  builders: [builder],
  provisioners: steps,
  "post-processors": [[{ type: "docker-squash" }]],
});
const packerTemplate = write("packer.json", {
  builders: [{ type: "docker", image: BASE, pull: false, export_path: join(work, "export.tar") }],
  provisioners: steps,
  "post-processors": [[{ type: "docker-import", repository: "kiln-bench/squash-packer", tag: "1" }]],
});

const kiln = (...args) =>
  sh("node", [join(root, "bin/kiln.js"), "build", "-color=false", ...args], { env: kilnEnv, cwd: work });
const squashedFrom = (out) => {
  const m = /Squashed image: (sha256:[0-9a-f]{64}) .* in (.+)$/m.exec(out);
  if (!m) throw new Error(`no "Squashed image" line (was the squash cached?):\n${out}`);
  // Packer's duration format: "4 seconds 213 milliseconds", "1 minute 2 seconds".
  const unit = { minute: 60000, second: 1000, millisecond: 1, microsecond: 0.001 };
  let ms = 0;
  for (const [, n, u] of m[2].matchAll(/(\d+) (minute|second|millisecond|microsecond)s?/g))
    ms += Number(n) * unit[u];
  return { id: m[1], ms };
};
/** The squash result is a cache entry (kiln-cache:<key>): untagging it makes the next squash run. */
const dropSquash = (id) => {
  const tags = JSON.parse(docker("image", "inspect", "-f", "{{json .RepoTags}}", id));
  rmi(...tags, id);
};

const times = {
  "kiln squash (its own figure)": [],
  "export | import": [],
  "kiln warm + squash": [],
  "kiln warm": [],
};
if (withPacker) Object.assign(times, { "kiln cold + squash": [], "packer + export/import": [] });

let built;
try {
  // The base: 200 MB of random bytes over the busybox test image.
  writeFileSync(
    join(work, "Dockerfile"),
    `FROM ${h.busybox}\nRUN dd if=/dev/urandom of=/base.bin bs=1M count=200 2>/dev/null\n`,
  );
  if (!sh("docker", ["images", "-q", BASE], { env }))
    sh("docker", ["build", "-q", "-t", BASE, work], { env: { ...env, DOCKER_BUILDKIT: "0" } });
  // The built image (base + two layers) and its step cache entries.
  built = imageFromOutput(kiln(plain));
  const layers = JSON.parse(docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", built)).length;
  const baseLayers = JSON.parse(docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", BASE)).length;
  console.log(`built image: ${layers} layers (base ${baseLayers})`);
  if (layers - baseLayers < 2) throw new Error("the built image has fewer than two layers over its base");
  // Warm-up of the page cache and of kiln's squash path.
  dropSquash(squashedFrom(kiln(squash)).id);

  for (let r = 0; r < runs; r++) {
    let t = time(() => kiln(squash));
    const s = squashedFrom(t.value);
    times["kiln warm + squash"].push(t.ms);
    times["kiln squash (its own figure)"].push(s.ms);
    rmi(imageFromOutput(t.value));
    dropSquash(s.id);

    t = time(() => kiln(plain));
    times["kiln warm"].push(t.ms);
    rmi(imageFromOutput(t.value));

    const container = docker("create", built);
    try {
      t = time(() =>
        sh("sh", ["-c", `docker export ${container} | docker import - kiln-bench/squash-cli:1`], { env }),
      );
      times["export | import"].push(t.ms);
    } finally {
      docker("rm", container);
      rmi("kiln-bench/squash-cli:1");
    }

    if (withPacker) {
      sh("node", [join(root, "bin/kiln.js"), "cache", "prune", "-all"], { env: kilnEnv, cwd: work });
      t = time(() => kiln(squash));
      times["kiln cold + squash"].push(t.ms);
      rmi(imageFromOutput(t.value));
      dropSquash(squashedFrom(t.value).id);
      t = time(() =>
        sh("packer", ["build", "-color=false", packerTemplate], {
          env: { ...env, PACKER_CONFIG_DIR: work, CHECKPOINT_DISABLE: "1" },
          cwd: work,
        }),
      );
      times["packer + export/import"].push(t.ms);
      rmi("kiln-bench/squash-packer:1");
      rmSync(join(work, "export.tar"), { force: true });
    }
  }
} finally {
  try {
    sh("node", [join(root, "bin/kiln.js"), "cache", "prune", "-all"], { env: kilnEnv, cwd: work });
  } catch {
    // best effort
  }
  rmi(built, BASE);
  rmSync(work, { recursive: true, force: true });
  h.teardown();
}

const m = report(
  `docker-squash: 200 MB base + 100 MB added in two layers, ${runs} runs each, median wall time:`,
  times,
);
const ratio = (a, b) => (a / b).toFixed(2);
console.log(
  `ratio kiln squash / export|import                  = ${ratio(m["kiln squash (its own figure)"], m["export | import"])}   (target ≤ 1.5)`,
);
const added = times["kiln warm + squash"].map((t, i) => t - times["kiln warm"][i]);
console.log(
  `ratio (warm+squash − warm) / export|import        = ${ratio(median(added), m["export | import"])}   (what squashing adds to a build, per run)`,
);
if (withPacker) {
  console.log(
    `ratio kiln cold + squash / packer + export/import = ${ratio(m["kiln cold + squash"], m["packer + export/import"])}`,
  );
}
