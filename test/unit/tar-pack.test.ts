// The upload tar writer (tar-pack.ts + tar-writer.ts), read back by an independent reader
// (tar-stream's extract): names (long ones through ustar prefixes and PAX), modes, ownership,
// symlinks, and contents of small (batched) and large (chunked) files.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { extract } from "tar-stream";
import { packPath } from "../../src/builders/docker/tar-pack.js";

interface Seen {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname?: string | null;
  sha?: string;
}

async function readBack(stream: NodeJS.ReadableStream): Promise<Map<string, Seen>> {
  const seen = new Map<string, Seen>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (h, body, next) => {
      const hash = createHash("sha256");
      body.on("data", (c: unknown) => hash.update(c as Buffer));
      body.on("end", () => {
        seen.set(h.name, {
          type: h.type ?? "",
          mode: h.mode ?? -1,
          uid: h.uid ?? -1,
          gid: h.gid ?? -1,
          size: h.size ?? -1,
          linkname: h.linkname,
          sha: h.type === "file" ? hash.digest("hex") : undefined,
        });
        next();
      });
    });
    ex.on("finish", resolve);
    ex.on("error", reject);
  });
  stream.pipe(ex);
  await done;
  return seen;
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("packPath", () => {
  it("archives a tree with modes, owner, symlinks, long names, small and large files", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-tar-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const small = randomBytes(1000);
    const large = randomBytes(3 * 1024 * 1024 + 17);
    const longDir = "d".repeat(120);
    const longFile = "é-" + "f".repeat(150);
    mkdirSync(join(dir, "src", "sub", longDir), { recursive: true });
    writeFileSync(join(dir, "src", "small.txt"), small);
    chmodSync(join(dir, "src", "small.txt"), 0o751);
    writeFileSync(join(dir, "src", "empty"), "");
    writeFileSync(join(dir, "src", "sub", "large.bin"), large);
    writeFileSync(join(dir, "src", "sub", longDir, "x.txt"), "x");
    writeFileSync(join(dir, "src", "sub", longFile), "long");
    symlinkSync("small.txt", join(dir, "src", "link"));
    const seen = await readBack(packPath(join(dir, "src"), "up", { uid: 1234, gid: 3000 }));
    assert.deepEqual(
      [...seen.keys()].sort(),
      [
        "up",
        "up/empty",
        "up/link",
        "up/small.txt",
        "up/sub",
        `up/sub/${longDir}`,
        `up/sub/${longDir}/x.txt`,
        `up/sub/${longFile}`,
        "up/sub/large.bin",
      ].sort(),
    );
    for (const e of seen.values()) {
      assert.equal(e.uid, 1234);
      assert.equal(e.gid, 3000);
    }
    // An id beyond ustar's 7 octal digits travels in a PAX record (read here by GNU tar).
    const chunks: Buffer[] = [];
    for await (const c of packPath(join(dir, "src", "small.txt"), "f", { uid: 1234, gid: 3000000 }))
      chunks.push(c as Buffer);
    const listed = execFileSync("tar", ["-tvf", "-", "--numeric-owner"], {
      input: Buffer.concat(chunks),
      encoding: "utf8",
    });
    assert.match(listed, /^-rwxr-x--x 1234\/3000000 +1000 .* f$/m);
    assert.equal(seen.get("up/small.txt")?.mode, 0o751);
    assert.equal(seen.get("up/small.txt")?.sha, sha(small));
    assert.equal(seen.get("up/sub/large.bin")?.sha, sha(large));
    assert.equal(seen.get("up/sub/large.bin")?.size, large.length);
    assert.equal(seen.get("up/empty")?.size, 0);
    assert.equal(seen.get("up/link")?.type, "symlink");
    assert.equal(seen.get("up/link")?.linkname, "small.txt");
    assert.equal(seen.get("up/sub")?.type, "directory");
    assert.equal(seen.get(`up/sub/${longFile}`)?.sha, sha(Buffer.from("long")));
  });

  it("a symlinked root is followed; contents-only (prefix .) puts children at the archive root", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-tar-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, "real"));
    writeFileSync(join(dir, "real", "a.txt"), "a");
    symlinkSync("real", join(dir, "alias"));
    const seen = await readBack(packPath(join(dir, "alias"), ".", { uid: 0, gid: 0 }));
    assert.deepEqual([...seen.keys()], ["a.txt"]);
    writeFileSync(join(dir, "one"), "1");
    const file = await readBack(packPath(join(dir, "one"), "renamed", { uid: 0, gid: 0 }));
    assert.deepEqual([...file.keys()], ["renamed"]);
  });

  it("fails (does not hang) when the source is missing", async () => {
    await assert.rejects(async () => {
      for await (const _ of packPath("/nonexistent/kiln-tar", "x", { uid: 0, gid: 0 })) void _;
    }, /ENOENT/);
  });
});
