// Bounded resources: a provisioner printing 200 MB of numbered lines on stdout and stderr, and a
// 1 GiB file uploaded and downloaded back, with kiln's peak RSS measured by /usr/bin/time -v
// (limit 150 MB). Every line must arrive, in order within its stream; the file must come back
// byte for byte.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, openSync, writeSync, closeSync } from "node:fs";
import path from "node:path";
import { describe } from "node:test";
import { scenario } from "./support/scenario.js";
import { jsonTemplate, writeTemplate } from "./support/templates.js";

const RSS_LIMIT_KB = 150 * 1024;
const LINES_PER_STREAM = 1_100_000; // × 2 streams × ~96 bytes ≈ 200 MB
const MiB = 1024 * 1024;

/** Peak RSS figures for the closing note, printed by the last scenario of this file. */
const rssFigures: string[] = [];

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** 1 GiB whose every MiB block starts with its own index (a reordering shows in the digest). */
function writePatternFile(file: string, mebibytes: number): string {
  const hash = createHash("sha256");
  const block = Buffer.alloc(MiB);
  const fd = openSync(file, "w");
  try {
    for (let i = 0; i < mebibytes; i++) {
      block.fill(i % 251);
      block.writeUInt32BE(i, 0);
      writeSync(fd, block);
      hash.update(block);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

describe("bounded resources", () => {
  scenario(
    "a provisioner printing 200 MB (numbered lines on stdout and stderr)",
    `every line, in order per stream; kiln peak RSS < ${RSS_LIMIT_KB / 1024} MB`,
    async (s) => {
      const awk =
        `awk 'BEGIN { pad = sprintf("%80s", ""); gsub(/ /, "x", pad); ` +
        `for (i = 1; i <= ${LINES_PER_STREAM}; i++) { printf "out %09d %s\\n", i, pad; ` +
        `printf "err %09d %s\\n", i, pad > "/dev/stderr" } }'`;
      const file = writeTemplate(
        s.dir,
        jsonTemplate({ builder: { commit: false, discard: true }, inline: [awk] }),
      );
      const next = { out: 1, err: 1 };
      const problems: string[] = [];
      let bytes = 0;
      const p = s.start(["build", "-color=false", file], {
        keepOutput: false,
        measureRss: true,
        timeoutMs: 300_000,
        onLine: (_stream, line) => {
          bytes += line.length + 1;
          const m = /^(?: {4}|==> )docker: (out|err) (\d{9}) x{80}$/.exec(line);
          if (!m) return;
          const which = m[1] as "out" | "err";
          const n = Number(m[2]);
          if (n !== next[which] && problems.length < 5)
            problems.push(`${which} ${n} after ${next[which] - 1}`);
          next[which] = n + 1;
        },
      });
      const r = await p.result();
      assert.equal(r.code, 0, `exit ${r.code ?? r.signal}`);
      assert.deepEqual(problems, [], "no line lost or reordered");
      assert.equal(next.out - 1, LINES_PER_STREAM, "every stdout line arrived");
      assert.equal(next.err - 1, LINES_PER_STREAM, "every stderr line arrived");
      const rss = r.maxRssKb ?? Infinity;
      rssFigures.push(`200 MB output: peak RSS ${(rss / 1024).toFixed(1)} MB`);
      assert.ok(rss < RSS_LIMIT_KB, `peak RSS ${rss} KiB`);
      s.observe(
        `${(bytes / 1e6).toFixed(0)} MB printed in ${(r.durationMs / 1000).toFixed(1)} s; 2×${LINES_PER_STREAM} lines in order; peak RSS ${(rss / 1024).toFixed(1)} MB`,
      );
    },
    { timeoutMs: 360_000 },
  );

  scenario(
    "a 1 GiB file uploaded, then downloaded back (file provisioner)",
    `identical bytes both ways; kiln peak RSS < ${RSS_LIMIT_KB / 1024} MB`,
    async (s) => {
      const big = path.join(s.dir, "big.bin");
      const back = path.join(s.dir, "back.bin");
      const digest = writePatternFile(big, 1024);
      const file = writeTemplate(
        s.dir,
        jsonTemplate({
          builder: { commit: false, discard: true },
          provisioners: [
            { type: "file", source: big, destination: "/tmp/big.bin" },
            { type: "shell", inline: ["sha256sum /tmp/big.bin"] },
            { type: "file", direction: "download", source: "/tmp/big.bin", destination: back },
          ],
        }),
      );
      const r = await s.kiln(["build", "-color=false", file], { measureRss: true, timeoutMs: 300_000 });
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, new RegExp(`docker: ${digest}  /tmp/big.bin`), "the upload arrived intact");
      assert.equal(await sha256File(back), digest, "the download came back intact");
      const rss = r.maxRssKb ?? Infinity;
      rssFigures.push(`1 GiB upload + download: peak RSS ${(rss / 1024).toFixed(1)} MB`);
      process.stdout.write(`\npeak RSS (/usr/bin/time -v): ${rssFigures.join("; ")}\n`);
      assert.ok(rss < RSS_LIMIT_KB, `peak RSS ${rss} KiB`);
      s.observe(
        `sha256 equal both ways in ${(r.durationMs / 1000).toFixed(1)} s; peak RSS ${(rss / 1024).toFixed(1)} MB`,
      );
    },
    { timeoutMs: 360_000 },
  );
});
