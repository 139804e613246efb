#!/usr/bin/env node
// The file transfer alone, without a build around it: kiln's file provisioner code (the docker
// communicator's uploadPath and downloadPath, from dist/) against `docker cp`, on one long-running
// container, interleaved, for 2,000 small files (55 MB) and one large file. bench/transfer.mjs
// times whole processes (a `kiln build` against `docker run` + `docker cp` + `docker rm`); this one
// separates the transfer from the fixed cost of a build.
// Usage: node bench/transfer-direct.mjs [--runs N] [--large-mb M]   (needs a built dist/, docker)
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import { harness, makeTransferData, median, root, runsFromArgs, sh } from "./lib.mjs";

const runs = runsFromArgs(5);
const mbArg = process.argv.indexOf("--large-mb");
const largeMb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 256;

const h = harness();
const { env } = h;
Object.assign(process.env, env);
const { createEngine } = await import(join(root, "dist/engine/index.js"));
const { DockerCommunicator } = await import(join(root, "dist/builders/docker/communicator.js"));
const work = mkdtempSync(join(tmpdir(), "kiln-bench-direct-"));

const engine = createEngine(process.env);
const id = sh("docker", ["run", "-d", "-i", "-t", "--entrypoint=/bin/sh", "--", h.busybox], { env }).trim();
const comm = new DockerCommunicator(engine, id, { uploadOwner: async () => ({ uid: 0, gid: 0 }) });
const inContainer = (...cmd) => sh("docker", ["exec", id, ...cmd], { env });
const times = {};
const timeIt = async (label, fn) => {
  const t0 = process.hrtime.bigint();
  await fn();
  (times[label] ??= []).push(Number(process.hrtime.bigint() - t0) / 1e6);
};
const load = [];

try {
  makeTransferData(join(work, "data/small"), join(work, "data/large.bin"), largeMb);
  inContainer("mkdir", "-p", "/up", "/data");
  sh("docker", ["cp", join(work, "data/small"), `${id}:/data/small`], { env });
  sh("docker", ["cp", join(work, "data/large.bin"), `${id}:/data/large.bin`], { env });
  const back = join(work, "back");
  const reset = () => {
    inContainer("rm", "-rf", "/up/small", "/up/large.bin");
    rmSync(back, { recursive: true, force: true });
    mkdirSync(back);
  };
  for (let r = 0; r < runs + 1; r++) {
    const record = r > 0; // the first round warms the page cache and the connections
    const t = record ? timeIt : async (_l, fn) => fn();
    load.push(loadavg()[0]);
    for (const [what, up, down] of [
      ["small", [join(work, "data/small"), "/up/small"], ["/data/small", join(back, "small")]],
      [
        "large",
        [join(work, "data/large.bin"), "/up/large.bin"],
        ["/data/large.bin", join(back, "large.bin")],
      ],
    ]) {
      reset();
      await t(`upload ${what}: kiln`, () => comm.uploadPath(up[0], up[1]));
      reset();
      await t(`upload ${what}: cp`, () => sh("docker", ["cp", up[0], `${id}:${up[1]}`], { env }));
      reset();
      await t(`download ${what}: kiln`, () => comm.downloadPath(down[0], down[1]));
      reset();
      await t(`download ${what}: cp`, () => sh("docker", ["cp", `${id}:${down[0]}`, down[1]], { env }));
    }
  }
} finally {
  sh("docker", ["rm", "-f", id], { env });
  engine.close();
  rmSync(work, { recursive: true, force: true });
  h.teardown();
}

console.log(
  `the transfer alone (2000 files / 55 MB; one ${largeMb} MiB file), ${runs} runs each, median wall time:`,
);
for (const [label, xs] of Object.entries(times)) {
  console.log(
    `  ${label.padEnd(22)} ${String(Math.round(median(xs))).padStart(6)} ms   (runs: ${xs.map(Math.round).join(", ")})`,
  );
}
console.log("ratios:");
for (const what of ["upload small", "upload large", "download small", "download large"]) {
  const ratio = median(times[`${what}: kiln`]) / median(times[`${what}: cp`]);
  console.log(`  ${what.padEnd(15)} kiln/cp = ${ratio.toFixed(2)} (target ≤ 1.00)`);
}
console.log(`load average (1 min) during the run: ${load.map((l) => l.toFixed(1)).join(", ")} on 2 cores`);
