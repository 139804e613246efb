// The download tar reader (tar-reader.ts) and file writer (file-sink.ts), fed archives made by an
// independent writer (GNU tar, in PAX and GNU formats): long names and link targets, modes, types,
// contents of small and large files, archives split at awkward chunk boundaries, and corrupt or
// truncated archives failing loudly.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { TarReader, type TarEntry } from "../../src/builders/docker/tar-reader.js";
import { fileSink } from "../../src/builders/docker/file-sink.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const longDir = `${"d".repeat(90)}/${"e".repeat(90)}/${"f".repeat(90)}`;
const longLink = "t".repeat(150);

function makeTree(): { dir: string; files: Map<string, Buffer> } {
  const dir = mkdtempSync(join(tmpdir(), "kiln-tar-reader-"));
  const files = new Map<string, Buffer>();
  mkdirSync(join(dir, "src", longDir), { recursive: true });
  const put = (rel: string, data: Buffer, mode = 0o644) => {
    writeFileSync(join(dir, "src", rel), data, { mode });
    files.set(`src/${rel}`, data);
  };
  put("empty", Buffer.alloc(0));
  put("one-block", randomBytes(512));
  put("exec.sh", randomBytes(1000), 0o755);
  put(`${longDir}/deep-${"n".repeat(60)}.bin`, randomBytes(3000));
  put("ünïcode name.txt", Buffer.from("hello"));
  put("large.bin", randomBytes(3 * 1024 * 1024 + 7));
  symlinkSync(longLink, join(dir, "src", "long-link"));
  return { dir, files };
}

/** Feeds `archive` in chunks of `size` bytes. */
function chunked(archive: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < archive.length; i += size) parts.push(archive.subarray(i, i + size));
  return Readable.from(parts, { objectMode: false });
}

async function read(archive: Readable): Promise<Map<string, TarEntry & { sha?: string }>> {
  const seen = new Map<string, TarEntry & { sha?: string }>();
  await pipeline(
    archive,
    new TarReader((e) => {
      if (e.type !== "file") {
        seen.set(e.name, e);
        return undefined;
      }
      const parts: Buffer[] = [];
      return {
        data: (c) => void parts.push(Buffer.from(c)),
        end: () => void seen.set(e.name, { ...e, sha: sha(Buffer.concat(parts)) }),
      };
    }),
  );
  return seen;
}

describe("TarReader", () => {
  for (const format of ["pax", "gnu"]) {
    it(`reads GNU tar's ${format} archives whatever the chunk size`, async () => {
      const { dir, files } = makeTree();
      try {
        const archive = execFileSync("tar", [`--format=${format}`, "-cf", "-", "-C", dir, "src"], {
          maxBuffer: 64 << 20,
        });
        for (const size of [1, 511, 513, 65536, archive.length]) {
          // 1-byte chunks for the small part only (a 3 MiB file that way would be slow).
          const input = size === 1 ? archive.subarray(0, 64 * 1024) : archive;
          const seen = await read(chunked(input, size)).catch((e: Error) => e);
          if (size === 1) {
            assert.ok(seen instanceof Error, "a cut archive fails");
            continue;
          }
          if (seen instanceof Error) throw seen;
          for (const [name, data] of files) {
            const e = seen.get(name);
            assert.ok(e, `${name} read (chunks of ${size})`);
            assert.equal(e.type, "file");
            assert.equal(e.size, data.length);
            assert.equal(e.sha, sha(data), `${name} content`);
          }
          assert.equal(seen.get("src/exec.sh")?.mode, 0o755);
          assert.equal(seen.get("src/empty")?.mode, 0o644);
          assert.equal(seen.get("src/long-link")?.type, "symlink");
          assert.equal(seen.get("src/long-link")?.linkname, longLink);
          const d = [...seen.values()].find((e) => e.name.replace(/\/$/, "") === `src/${longDir}`);
          assert.equal(d?.type, "directory");
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("reads a whole archive fed one byte at a time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-tar-reader-"));
    try {
      writeFileSync(join(dir, `${"x".repeat(120)}.txt`), "abc");
      const archive = execFileSync("tar", ["--format=pax", "-cf", "-", "-C", dir, "."]);
      const seen = await read(chunked(archive, 1));
      assert.equal(seen.get(`./${"x".repeat(120)}.txt`)?.sha, sha(Buffer.from("abc")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails on a corrupt header", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-tar-reader-"));
    try {
      writeFileSync(join(dir, "a"), "abc");
      const archive = execFileSync("tar", ["--format=pax", "-cf", "-", "-C", dir, "a"]);
      archive[10] = archive[10]! ^ 0xff;
      await assert.rejects(read(chunked(archive, 4096)), /bad checksum/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("fileSink", () => {
  it("writes small and large files whole, with their modes", async () => {
    const { dir, files } = makeTree();
    try {
      const archive = execFileSync("tar", ["--format=pax", "-cf", "-", "-C", dir, "src"], {
        maxBuffer: 64 << 20,
      });
      const out = join(dir, "out");
      let open: number | undefined;
      await pipeline(
        chunked(archive, 65536),
        new TarReader((e) => {
          const target = join(out, e.name);
          if (e.type === "directory") {
            mkdirSync(target, { recursive: true });
            return undefined;
          }
          if (e.type !== "file") return undefined;
          return fileSink(target, e.mode, e.size, (fd) => (open = fd));
        }),
      );
      assert.equal(open, undefined, "every file closed");
      for (const [name, data] of files) assert.equal(sha(readFileSync(join(out, name))), sha(data), name);
      assert.equal(statSync(join(out, "src/exec.sh")).mode & 0o777, 0o755);
      assert.equal(statSync(join(out, "src/large.bin")).mode & 0o777, 0o644);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a large file fed in uneven chunks, past the in-flight window: every byte in place", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-file-sink-"));
    try {
      const data = randomBytes(20 * 1024 * 1024 + 12_345);
      const target = join(dir, "big.bin");
      const sink = fileSink(target, 0o600, data.length, () => {});
      for (let off = 0, i = 0; off < data.length; i++) {
        const n = [65_536, 1, 999_999, 4_096, 3 << 20][i % 5]!;
        await sink.data(data.subarray(off, off + n));
        off += n;
      }
      await sink.end();
      assert.equal(sha(readFileSync(target)), sha(data));
      assert.equal(statSync(target).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
