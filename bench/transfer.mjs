#!/usr/bin/env node
// File transfer and export → import, in one run on one engine, whole-process wall times:
//  1. the file provisioner uploading and downloading many small files (2,000 files, 55 MB) and one
//     large file (1 GiB by default), by kiln, by Packer 1.6.6, and by the docker CLI (`docker run`,
//     `docker cp`, `docker rm`: the same container lifecycle); kiln's peak RSS per direction;
//  2. export_path followed by docker-import (the export file kept), by kiln, by Packer, and by the
//     docker CLI (`docker export -o` then `docker import`, and `docker export | docker import -`).
// Prints medians and the ratios kiln/cp (target ≤ 1.0) and kiln/packer for export+import (≤ 0.7).
// Usage: node bench/transfer.mjs [--runs N] [--large-mb M]   (needs a built dist/, docker, packer)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import { harness, makeTransferData, median, report, root, runsFromArgs, sh, time } from "./lib.mjs";

const runs = runsFromArgs(5);
const mbArg = process.argv.indexOf("--large-mb");
const largeMb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 1024;
const warmArg = process.argv.indexOf("--warmup");
const warmups = warmArg > 0 ? Number(process.argv[warmArg + 1]) : 1;
const SMALL_FILES = 2000;
const SMALL_BYTES = 55_000_000;

const h = harness();
const { env } = h;
const work = mkdtempSync(join(tmpdir(), "kiln-bench-transfer-"));
const DATA_IMAGE = "kiln-bench/transfer-data:1";
const IMPORTED = "kiln-bench/imported";

function template(name, builder, provisioners, postProcessors = []) {
  const path = join(work, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      builders: [{ type: "docker", pull: false, ...builder }],
      provisioners,
      "post-processors": postProcessors,
    }),
  );
  return path;
}

const mk = (dir) => ({ type: "shell", inline: [`mkdir -p ${dir}`] });
const cases = {
  "upload small": {
    tpl: template("up-small", { image: h.busybox, discard: true }, [
      mk("/up"),
      { type: "file", source: "data/small", destination: "/up/" },
    ]),
    cp: (id) => {
      sh("docker", ["exec", id, "mkdir", "-p", "/up"], { env });
      sh("docker", ["cp", join(work, "data/small"), `${id}:/up/`], { env });
    },
    image: h.busybox,
  },
  "upload large": {
    tpl: template("up-large", { image: h.busybox, discard: true }, [
      mk("/up"),
      { type: "file", source: "data/large.bin", destination: "/up/large.bin" },
    ]),
    cp: (id) => {
      sh("docker", ["exec", id, "mkdir", "-p", "/up"], { env });
      sh("docker", ["cp", join(work, "data/large.bin"), `${id}:/up/large.bin`], { env });
    },
    image: h.busybox,
  },
  "download small": {
    tpl: template("down-small", { image: DATA_IMAGE, discard: true }, [
      { type: "file", direction: "download", source: "/data/small", destination: "back/small" },
    ]),
    cp: (id) => sh("docker", ["cp", `${id}:/data/small`, join(work, "back/small")], { env }),
    image: DATA_IMAGE,
  },
  "download large": {
    tpl: template("down-large", { image: DATA_IMAGE, discard: true }, [
      { type: "file", direction: "download", source: "/data/large.bin", destination: "back/large.bin" },
    ]),
    cp: (id) => sh("docker", ["cp", `${id}:/data/large.bin`, join(work, "back/large.bin")], { env }),
    image: DATA_IMAGE,
  },
};
const exportTpl = template(
  "export-import",
  { image: DATA_IMAGE, export_path: "out/image.tar" },
  [],
  [{ type: "docker-import", repository: IMPORTED, tag: "1", keep_input_artifact: true }],
);

/** Whole process, with its peak RSS (GNU time's %M, KiB) read from a side file. */
function kiln(tpl) {
  const rssFile = join(work, "rss");
  sh(
    "/usr/bin/time",
    ["-o", rssFile, "-f", "%M", "node", join(root, "bin/kiln.js"), "build", "-color=false", "-no-cache", tpl],
    {
      env,
      cwd: work,
    },
  );
  return Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1)) / 1024;
}
function packer(tpl) {
  sh("packer", ["build", "-color=false", tpl], {
    env: { ...env, PACKER_CONFIG_DIR: work, CHECKPOINT_DISABLE: "1" },
    cwd: work,
  });
}
function cli(c) {
  const id = sh("docker", ["run", "-d", "-i", "-t", "--entrypoint=/bin/sh", "--", c.image], { env });
  try {
    c.cp(id);
  } finally {
    sh("docker", ["rm", "-f", id], { env });
  }
}
/**
 * The docker CLI's export → import: written to the file then imported (what Packer does), or
 * piped with no file (`docker export | docker import -`: the engine's own floor for a stream).
 */
function cliExport(piped) {
  const id = sh("docker", ["run", "-d", "-i", "-t", "--entrypoint=/bin/sh", "--", DATA_IMAGE], { env });
  try {
    if (piped) {
      sh("sh", ["-c", `docker export "$1" | docker import - "$2"`, "sh", id, `${IMPORTED}:1`], { env });
    } else {
      mkdirSync(join(work, "out"), { recursive: true });
      sh("docker", ["export", "-o", join(work, "out/image.tar"), id], { env });
      sh("docker", ["import", join(work, "out/image.tar"), `${IMPORTED}:1`], { env });
    }
  } finally {
    sh("docker", ["rm", "-f", id], { env });
  }
}
const clean = () => {
  rmSync(join(work, "back"), { recursive: true, force: true });
  mkdirSync(join(work, "back"));
  rmSync(join(work, "out"), { recursive: true, force: true });
  spawnSync("docker", ["rmi", `${IMPORTED}:1`], { env, stdio: "ignore" });
};

const times = {};
const rss = {};
const load = [loadavg()[0]];
try {
  makeTransferData(join(work, "data/small"), join(work, "data/large.bin"), largeMb, SMALL_FILES, SMALL_BYTES);
  // The download source: the same data inside an image.
  const id = sh("docker", ["create", "--", h.busybox, "true"], { env });
  try {
    sh("docker", ["cp", join(work, "data"), `${id}:/data`], { env });
    sh("docker", ["commit", id, DATA_IMAGE], { env });
  } finally {
    sh("docker", ["rm", "-f", id], { env });
  }
  // Warm-ups (page cache, engine), then interleaved runs so drift affects every contender alike.
  for (let r = -warmups; r < runs; r++) {
    for (const [name, c] of Object.entries(cases)) {
      for (const [who, fn] of [
        ["kiln", () => kiln(c.tpl)],
        ["cp", () => cli(c)],
        // Packer 1.6.6's docker download of a directory hung here (`docker cp … -` never read):
        // Packer is timed for uploads only.
        ...(name.startsWith("upload") ? [["packer", () => packer(c.tpl)]] : []),
      ]) {
        clean();
        const t = time(fn);
        if (r < 0) continue;
        (times[`${name}: ${who}`] ??= []).push(t.ms);
        if (who === "kiln") (rss[name] ??= []).push(t.value);
      }
    }
    for (const [who, fn] of [
      ["kiln", () => kiln(exportTpl)],
      ["packer", () => packer(exportTpl)],
      ["cli", () => cliExport(false)],
      ["cli piped", () => cliExport(true)],
    ]) {
      clean();
      const t = time(fn);
      if (r >= 0) (times[`export+import: ${who}`] ??= []).push(t.ms);
    }
    load.push(loadavg()[0]);
  }
} finally {
  clean();
  spawnSync("docker", ["rmi", DATA_IMAGE], { env, stdio: "ignore" });
  rmSync(work, { recursive: true, force: true });
  h.teardown();
}

const m = report(
  `file provisioner (${SMALL_FILES} files / ${SMALL_BYTES / 1e6} MB; one ${largeMb} MiB file) and export_path → docker-import, ${runs} runs each, median wall time:`,
  times,
);
console.log("ratios:");
for (const name of Object.keys(cases)) {
  console.log(
    `  ${name.padEnd(15)} kiln/cp = ${(m[`${name}: kiln`] / m[`${name}: cp`]).toFixed(2)} (target ≤ 1.00)${m[`${name}: packer`] ? `   kiln/packer = ${(m[`${name}: kiln`] / m[`${name}: packer`]).toFixed(2)}` : ""}   kiln peak RSS ${Math.max(...rss[name]).toFixed(0)} MB`,
  );
}
console.log(
  `  export+import   kiln/packer = ${(m["export+import: kiln"] / m["export+import: packer"]).toFixed(2)} (target ≤ 0.70)   kiln/cli = ${(m["export+import: kiln"] / m["export+import: cli"]).toFixed(2)}   cli piped/packer = ${(m["export+import: cli piped"] / m["export+import: packer"]).toFixed(2)} (the engine's floor for a stream, with no build around it)`,
);
console.log(
  `load average (1 min) during the run: ${load.map((l) => l.toFixed(1)).join(", ")} (median ${median(load).toFixed(1)}) on ${(await import("node:os")).cpus().length} cores`,
);
void execFileSync;
