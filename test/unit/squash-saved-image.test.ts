// Reading a `docker save` stream for docker-squash: the base image's layers are dropped, by name
// when the legacy layout's v1 IDs are known (no hashing, no temp file), by diff ID otherwise; the
// layers above the base are kept with their diff IDs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { pack as tarPack } from "tar-stream";
import { legacyLayerNames, readSavedImage } from "../../src/post-processors/squash/saved-image.js";

const sha = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A save archive with the given files, in order. */
function archive(files: [string, Buffer][]): PassThrough {
  const p = tarPack();
  const out = new PassThrough();
  p.pipe(out);
  (async () => {
    for (const [name, data] of files) {
      await new Promise<void>((resolve, reject) =>
        p.entry({ name }, data, (e) => (e ? reject(e) : resolve())),
      );
    }
    p.finalize();
  })().catch((e: unknown) => out.destroy(e as Error));
  return out;
}

describe("docker-squash: reading the saved image", () => {
  it("computes the names Docker 20.10's legacy save gives the layers below the top", () => {
    // Observed on Docker 20.10.24: an image of three layers saved with `docker save`.
    const names = legacyLayerNames([
      "sha256:68f32ce73669e243b579be17911ca028e369e3f1b049f52edac2aa394a5d7b0f",
      "sha256:3a60150ed532b1ee406882c08675fdfb80d371518ef95bebd0c0bb0beebd0829",
    ]);
    assert.deepEqual(
      [...names],
      [
        "000508e2c60bd9d80d84957e9a0738fe7ff8f5c23741526077d831d08bb3f2c5/layer.tar",
        "110bdd33344bba997b0dde0add0df568fe82bcf6f9be137a7cc62cea5f8ebf29/layer.tar",
      ],
    );
  });

  it("drops base layers known by name unread, others by diff ID; keeps the layers above", async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-saved-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const base1 = Buffer.alloc(4096, 1);
    const base2 = Buffer.alloc(4096, 2);
    const upper = Buffer.alloc(4096, 3);
    const [name1] = [...legacyLayerNames([sha(base1)])];
    const config = Buffer.from(JSON.stringify({ rootfs: { type: "layers", diff_ids: [] } }));
    const configName = `${sha(config).slice(7)}.json`;
    // The first base layer travels under its v1 name but with other bytes: read by name, those
    // bytes are never hashed (had they been, they would not match the base and would be kept).
    const save = archive([
      [name1!, Buffer.from("not the layer's bytes")],
      ["bbbb/layer.tar", base2], // a name kiln cannot know: hashed, then dropped
      ["cccc/layer.tar", upper],
      [configName, config],
      ["manifest.json", Buffer.from(JSON.stringify([{ Config: configName }]))],
    ]);
    const saved = await readSavedImage(save, dir, [sha(base1), sha(base2)]);
    assert.deepEqual([...saved.layerFiles.keys()], [sha(upper)]);
    assert.deepEqual(readFileSync(saved.layerFiles.get(sha(upper))!), upper);
    assert.equal(readdirSync(dir).length, 1, "only the kept layer is on disk");
  });
});
