// artifice, as Packer 1.6.6 runs it (checked side by side on the same engine): the artifact becomes
// the files named (Go globs, relative to the working directory); the input artifact is kept unless
// keep_input_artifact is false (then a committed image is removed); a later post-processor that does
// not keep the artifice artifact (docker-import) removes its files, as Packer's Destroy does.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { build, BUSYBOX, describeRun, inspectImage, removeProduced, trackImage } from "./support/build.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

const commit = { type: "docker", image: BUSYBOX, pull: false, commit: true };
/** Two result files downloaded from the container into out/. */
const produce = [
  { type: "shell", inline: ["echo one > /one.txt", "echo two > /two.txt"] },
  { type: "file", direction: "download", source: "/one.txt", destination: "out/one.txt" },
  { type: "file", direction: "download", source: "/two.txt", destination: "out/two.txt" },
];

describe("artifice post-processor", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after artifice tests" });
  });

  it("commit + artifice: the artifact becomes the files (globbed, sorted); the committed image is kept", async (t) => {
    const r = await build(t, {
      builders: [commit],
      provisioners: produce,
      "post-processors": [{ type: "artifice", files: ["out/*.txt", "out/missing-*.bin"] }],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /==> docker: Running post-processor: artifice/);
    assert.match(
      r.stdout,
      /==> docker \(artifice\): Using these artifact files: out\/one\.txt, out\/two\.txt$/m,
    );
    assert.doesNotMatch(r.stdout, /Discarding files from artifact/, "a committed image has no files");
    const id = r.imageIds[0]!;
    assert.ok(await inspectImage(id), "the committed image is kept (artifice keeps its input by default)");
    assert.match(r.stdout, new RegExp(`--> docker: Imported Docker image: ${id}`));
    assert.match(r.stdout, /--> docker: Created artifact from files: out\/one\.txt, out\/two\.txt$/m);
    assert.ok(existsSync(join(r.dir, "out", "one.txt")));
  });

  it("keep_input_artifact false: the committed image is removed, the files stay", async (t) => {
    const r = await build(t, {
      builders: [commit],
      provisioners: produce,
      "post-processors": [{ type: "artifice", files: ["out/one.txt"], keep_input_artifact: false }],
    });
    assert.equal(r.code, 0, describeRun(r));
    const id = r.imageIds[0]!;
    assert.equal(await inspectImage(id), undefined, "the committed image was removed");
    assert.doesNotMatch(r.stdout, /--> docker: Imported Docker image/);
    assert.match(r.stdout, /--> docker: Created artifact from files: out\/one\.txt$/m);
    assert.ok(existsSync(join(r.dir, "out", "one.txt")));
  });

  it("export_path → artifice → docker-import: imports the file, which docker-import then discards (as Packer)", async (t) => {
    trackImage("kiln-it/artifice-imported:1");
    const r = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, export_path: "out/image.tar" }],
      provisioners: [{ type: "shell", inline: ["echo imported > /imported.txt"] }],
      "post-processors": [
        [
          { type: "artifice", files: ["out/image.tar"] },
          { type: "docker-import", repository: "kiln-it/artifice-imported", tag: "1" },
        ],
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /docker \(artifice\): Discarding files from artifact: out\/image\.tar$/m);
    assert.match(r.stdout, /docker \(artifice\): Using these artifact files: out\/image\.tar$/m);
    assert.ok(await inspectImage("kiln-it/artifice-imported:1"), "imported");
    assert.equal(existsSync(join(r.dir, "out", "image.tar")), false, "the artifice artifact was destroyed");
    assert.match(r.stdout, /--> docker: Imported Docker image: kiln-it\/artifice-imported:1$/m);
  });

  it("discard → artifice: says it discards the (empty) export", async (t) => {
    const r = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, discard: true }],
      provisioners: produce,
      "post-processors": [{ type: "artifice", files: ["out/two.txt"] }],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /docker \(artifice\): Discarding files from artifact:\s*$/m);
    assert.match(r.stdout, /--> docker: Created artifact from files: out\/two\.txt$/m);
  });

  it("an empty files list is refused at validate, as Packer refuses it", async (t) => {
    const r = await build(t, { builders: [commit], "post-processors": [{ type: "artifice", files: [] }] });
    assert.equal(r.code, 2, describeRun(r));
    assert.match(r.stderr, /template\.json:\d+:\d+: error: .*No files specified in artifice configuration/);
    assert.equal(r.imageIds.length, 0);
  });
});
