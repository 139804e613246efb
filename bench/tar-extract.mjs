#!/usr/bin/env node
// Extracting the download archives to disk, in one process, without an engine: kiln's own reader
// (dist/builders/docker/tar-reader.js and file-sink.js, as the file provisioner's download uses them) against
// tar-stream (what downloads used before), tar-fs, modern-tar and tar (node-tar). Two archives,
// made by GNU tar in PAX format like the engine's: 2,000 small files (55 MB, 20 directories) and
// one large random file. Prints the median wall and CPU time of each.
// The other packages are not dependencies of kiln; install them in a scratch directory first:
//   npm install --prefix /tmp/tarlibs tar-stream@3.2.2 tar-fs@3.1.3 modern-tar tar
//   node bench/tar-extract.mjs --libs /tmp/tarlibs [--runs 5] [--large-mb 256]
import { spawnSync } from "node:child_process";
import { createReadStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { makeTransferData, median, root, runsFromArgs } from "./lib.mjs";

const runs = runsFromArgs(5);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const libs = arg("--libs", undefined);
if (!libs) {
  console.error(
    "usage: node bench/tar-extract.mjs --libs DIR   (DIR: npm install --prefix DIR tar-stream tar-fs modern-tar tar)",
  );
  process.exit(2);
}
const largeMb = Number(arg("--large-mb", "256"));
const req = createRequire(join(libs, "package.json"));
const load = async (name) => import(req.resolve(name));

const { TarReader } = await import(join(root, "dist/builders/docker/tar-reader.js"));
const { fileSink } = await import(join(root, "dist/builders/docker/file-sink.js"));
const tarStream = await load("tar-stream");
const tarFs = await load("tar-fs");
const modernFs = await load("modern-tar/fs");
const nodeTarMod = await load("tar");
const nodeTar = nodeTarMod.x ? nodeTarMod : nodeTarMod.default;

const work = mkdtempSync(join(tmpdir(), "kiln-bench-tarx-"));

function makeData() {
  makeTransferData(join(work, "src/small"), join(work, "src/large/large.bin"), largeMb);
  for (const which of ["small", "large"]) {
    const r = spawnSync("tar", [
      "--format=pax",
      "-cf",
      join(work, `${which}.tar`),
      "-C",
      join(work, "src"),
      which,
    ]);
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  }
}

// Each extractor writes regular files and directories with the archive's modes (what kiln does).
const extractors = {
  async kiln(tar, out) {
    let made = "";
    const reader = new TarReader((e) => {
      const target = join(out, e.name);
      if (e.type === "directory") {
        mkdirSync(target, { recursive: true, mode: e.mode });
        return undefined;
      }
      if (e.type !== "file") return undefined;
      if (dirname(target) !== made) mkdirSync((made = dirname(target)), { recursive: true });
      return fileSink(target, e.mode, e.size, () => undefined);
    });
    await pipeline(createReadStream(tar, { highWaterMark: 1 << 16 }), reader);
  },
  // The download code before: one stream, a mkdir promise and a write stream per entry.
  async "tar-stream"(tar, out) {
    const ex = tarStream.extract();
    const done = new Promise((resolve, reject) => {
      ex.on("entry", (h, stream, next) => {
        const target = join(out, h.name);
        if (h.type === "directory") {
          stream.resume();
          mkdir(target, { recursive: true, mode: h.mode }).then(() => next(), reject);
        } else if (h.type === "file") {
          mkdir(dirname(target), { recursive: true })
            .then(() => pipeline(stream, createWriteStream(target, { mode: h.mode })))
            .then(() => next(), reject);
        } else {
          stream.on("end", () => next());
          stream.resume();
        }
      });
      ex.on("finish", resolve);
      ex.on("error", reject);
    });
    createReadStream(tar, { highWaterMark: 1 << 16 }).pipe(ex);
    await done;
  },
  async "tar-fs"(tar, out) {
    await pipeline(createReadStream(tar, { highWaterMark: 1 << 16 }), tarFs.extract(out, { readable: true }));
  },
  async "modern-tar"(tar, out) {
    await pipeline(createReadStream(tar, { highWaterMark: 1 << 16 }), modernFs.unpackTar(out));
  },
  async "node-tar"(tar, out) {
    await pipeline(createReadStream(tar, { highWaterMark: 1 << 16 }), nodeTar.x({ cwd: out }));
  },
};

try {
  makeData();
  const results = {};
  for (let r = -1; r < runs; r++) {
    for (const which of ["small", "large"]) {
      for (const [name, fn] of Object.entries(extractors)) {
        const out = join(work, "out");
        rmSync(out, { recursive: true, force: true });
        mkdirSync(out);
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        await fn(join(work, `${which}.tar`), out);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const cpu = process.cpuUsage(c0);
        // Checked: the extraction is complete (a lost file would look fast).
        const du = spawnSync("du", ["-sb", join(out, which)], { encoding: "utf8" }).stdout.split("\t")[0];
        const want = spawnSync("du", ["-sb", join(work, "src", which)], { encoding: "utf8" }).stdout.split(
          "\t",
        )[0];
        if (du !== want) throw new Error(`${name} extracted ${du} bytes of ${which}, expected ${want}`);
        if (r < 0) continue;
        const k = `${which}: ${name}`;
        (results[k] ??= { ms: [], cpu: [] }).ms.push(ms);
        results[k].cpu.push((cpu.user + cpu.system) / 1000);
      }
    }
  }
  console.log(`extract to disk (2000 files / 55 MB; one ${largeMb} MiB file), ${runs} runs, medians:`);
  for (const [k, v] of Object.entries(results)) {
    console.log(
      `  ${k.padEnd(20)} wall ${median(v.ms).toFixed(0).padStart(6)} ms   cpu ${median(v.cpu).toFixed(0).padStart(6)} ms   (wall runs: ${v.ms.map((x) => x.toFixed(0)).join(", ")})`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
