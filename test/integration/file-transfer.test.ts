// The file provisioner moving many small files and one large file each way: contents (digests),
// modes, ownership in the container (fix_upload_owner) and symlinks, as the bench measures them.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  lstatSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { build, BUSYBOX, describeRun, inImage, removeProduced, trackImage } from "./support/build.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

const FILES = 600;

function tree(dir: string): Map<string, { sha: string; mode: number }> {
  const out = new Map<string, { sha: string; mode: number }>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile())
        out.set(relative(dir, p), {
          sha: createHash("sha256").update(readFileSync(p)).digest("hex"),
          mode: st.mode & 0o777,
        });
    }
  };
  walk(dir);
  return out;
}

function prepare(dir: string): void {
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, "small", `d${i % 12}`);
    mkdirSync(sub, { recursive: true });
    const f = join(sub, `f${i}.bin`);
    writeFileSync(f, randomBytes(1 + ((i * 7919) % 60_000)));
    chmodSync(f, i % 5 === 0 ? 0o750 : 0o640);
  }
  symlinkSync("d0/f0.bin", join(dir, "small", "link"));
  mkdirSync(join(dir, "big"));
  writeFileSync(join(dir, "big", "large.bin"), randomBytes(96 * 1024 * 1024 + 123));
}

describe("file provisioner: many files and one large file, both ways", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after file transfer tests" });
  });

  it("uploads keep contents, modes, symlinks and the exec user's ownership; downloads bring back the same bytes", async (t) => {
    trackImage("kiln-it/transfer:1");
    const r = await build(
      t,
      {
        builders: [
          {
            type: "docker",
            image: BUSYBOX,
            pull: false,
            commit: true,
            exec_user: "1234:2345",
          },
        ],
        provisioners: [
          { type: "shell", inline: ["mkdir -p /tmp/up"] },
          { type: "file", source: "small", destination: "/tmp/up/" },
          { type: "file", source: "big/large.bin", destination: "/tmp/up/large.bin" },
          {
            type: "shell",
            inline: [
              "cd /tmp/up && find . -type f | sort | xargs sha256sum > /tmp/sums && cp /tmp/sums /tmp/up/sums",
              "stat -c '%u:%g %a %n' /tmp/up/small/d0/f0.bin /tmp/up/small/d1/f1.bin /tmp/up/large.bin > /tmp/up/stat",
              "readlink /tmp/up/small/link > /tmp/up/link",
            ],
          },
          { type: "file", direction: "download", source: "/tmp/up/small", destination: "back/small" },
          { type: "file", direction: "download", source: "/tmp/up/large.bin", destination: "back/large.bin" },
          { type: "file", direction: "download", source: "/tmp/up/sums", destination: "back/sums" },
          { type: "file", direction: "download", source: "/tmp/up/stat", destination: "back/stat" },
          { type: "file", direction: "download", source: "/tmp/up/link", destination: "back/link" },
        ],
        "post-processors": [{ type: "docker-tag", repository: "kiln-it/transfer", tags: ["1"] }],
      },
      { prepare, timeoutMs: 300_000 },
    );
    assert.equal(r.code, 0, describeRun(r));
    const local = tree(join(r.dir, "small"));
    assert.equal(local.size, FILES);
    // In the container: every uploaded digest as computed locally.
    const sums = readFileSync(join(r.dir, "back/sums"), "utf8");
    const remote = new Map(
      sums
        .trim()
        .split("\n")
        .map((l) => l.split(/\s+/))
        .map(([sha, path]) => [path!.replace(/^\.\//, ""), sha!]),
    );
    for (const [path, { sha }] of local) assert.equal(remote.get(`small/${path}`), sha, path);
    const largeSha = createHash("sha256")
      .update(readFileSync(join(r.dir, "big/large.bin")))
      .digest("hex");
    assert.equal(remote.get("large.bin"), largeSha);
    // Ownership from exec_user, modes kept.
    assert.deepEqual(readFileSync(join(r.dir, "back/stat"), "utf8").trim().split("\n"), [
      "1234:2345 750 /tmp/up/small/d0/f0.bin",
      "1234:2345 640 /tmp/up/small/d1/f1.bin",
      "1234:2345 644 /tmp/up/large.bin",
    ]);
    assert.equal(readFileSync(join(r.dir, "back/link"), "utf8").trim(), "d0/f0.bin");
    // Downloads: the same bytes and modes back on the host.
    const back = tree(join(r.dir, "back/small"));
    assert.equal(back.size, FILES, "every file came back (the symlink is not recreated on the host)");
    for (const [path, want] of local) assert.deepEqual(back.get(path), want, path);
    assert.equal(
      createHash("sha256")
        .update(readFileSync(join(r.dir, "back/large.bin")))
        .digest("hex"),
      largeSha,
    );
    assert.match(await inImage("kiln-it/transfer:1", "ls -ln /tmp/up/large.bin"), /1234\s+2345/);
  });
});
