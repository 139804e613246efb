// Go's filepath.Glob semantics, which artifice's `files` follow.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { goGlob } from "../../src/post-processors/go-glob.js";

describe("goGlob", () => {
  const dir = mkdtempSync(join(tmpdir(), "go-glob-"));
  for (const f of ["a.txt", "b.txt", ".hidden.txt", "c.bin", "x[1].txt", "sub1/one.txt", "sub2/two.txt"]) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), f);
  }

  it("* and ? within one element, dot files included, sorted per directory", async () => {
    assert.deepEqual(await goGlob("*.txt", dir), [".hidden.txt", "a.txt", "b.txt", "x[1].txt"]);
    assert.deepEqual(await goGlob("?.bin", dir), ["c.bin"]);
    assert.deepEqual(await goGlob("sub*/*.txt", dir), ["sub1/one.txt", "sub2/two.txt"]);
  });

  it("classes, negation, ranges and escapes", async () => {
    assert.deepEqual(await goGlob("[ab].txt", dir), ["a.txt", "b.txt"]);
    assert.deepEqual(await goGlob("[^a].txt", dir), ["b.txt"]);
    assert.deepEqual(await goGlob("[a-b].txt", dir), ["a.txt", "b.txt"]);
    assert.deepEqual(await goGlob("x\\[1\\].txt", dir), ["x[1].txt"]);
  });

  it("no metacharacters: the path when it exists, nothing otherwise; relative or absolute as given", async () => {
    assert.deepEqual(await goGlob("c.bin", dir), ["c.bin"]);
    assert.deepEqual(await goGlob("missing.bin", dir), []);
    assert.deepEqual(await goGlob(join(dir, "*.bin"), "/"), [join(dir, "c.bin")]);
    assert.deepEqual(await goGlob("nodir/*.txt", dir), []);
  });

  it("a malformed pattern is an error", async () => {
    await assert.rejects(goGlob("[ab", dir), /syntax error in pattern/);
    await assert.rejects(goGlob("a\\", dir), /syntax error in pattern/);
  });

  it("cleans up", () => rmSync(dir, { recursive: true, force: true }));
});
