// export_path → docker-import with the import fed from the export stream while the file is written
// (src/run/streamed-import.ts): the same image and the same file as importing the file afterwards,
// and a run stopped mid-stream leaves neither a partial file nor an image.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import {
  build,
  BUSYBOX,
  describeRun,
  inImage,
  inspectImage,
  removeProduced,
  trackImage,
} from "./support/build.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

const exported = { type: "docker", image: BUSYBOX, pull: false, export_path: "out/image.tar" };

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return `sha256:${h.digest("hex")}`;
}

function imageIds(): string[] {
  return execFileSync("docker", ["images", "-aq", "--no-trunc"], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .sort();
}

describe("export_path streamed into docker-import", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after streamed export/import tests" });
  });

  it("imports the exported filesystem while writing export_path; the file is the import's source byte for byte", async (t) => {
    trackImage("kiln-it/streamed:1");
    const r = await build(t, {
      builders: [exported],
      provisioners: [
        {
          type: "shell",
          inline: [
            "mkdir -p /data && head -c 20000000 /dev/urandom > /data/big.bin",
            "for i in $(seq 1 200); do echo file-$i > /data/f$i.txt; done",
            "chmod 0750 /data/f7.txt && ln -s f1.txt /data/link",
            "cd /data && sha256sum big.bin f1.txt f200.txt > /sums",
          ],
        },
      ],
      "post-processors": [
        {
          type: "docker-import",
          repository: "kiln-it/streamed",
          tag: "1",
          changes: ["ENV STREAMED=yes"],
          keep_input_artifact: true,
        },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    const file = join(r.dir, "out/image.tar");
    assert.ok(existsSync(file), "export_path is written");
    assert.deepEqual(
      readdirSync(join(r.dir, "out")),
      ["image.tar"],
      "no temp file is left beside export_path",
    );
    const img = (await inspectImage("kiln-it/streamed:1")) as unknown as {
      Id: string;
      Config: { Env: string[] };
      RootFS: { Layers: string[] };
    };
    assert.equal(r.imageIds.at(-1), img.Id, "the imported ID shown is the tagged image");
    assert.ok(img.Config.Env.includes("STREAMED=yes"), "changes applied to the streamed import");
    // The layer's diff ID is the digest of the tar the engine read: the same bytes as the file.
    assert.deepEqual(img.RootFS.Layers, [await sha256File(file)]);
    const check = await inImage(
      "kiln-it/streamed:1",
      "cd /data && sha256sum -c /sums && stat -c '%a %N' f7.txt link",
    );
    assert.match(check, /big\.bin: OK/);
    assert.match(check, /750 f7\.txt/);
    assert.match(check, /'link' -> 'f1\.txt'/);
  });

  it("without keep_input_artifact no export file is written at all (Packer writes it, then deletes it)", async (t) => {
    trackImage("kiln-it/streamed:2");
    const r = await build(t, {
      builders: [exported],
      provisioners: [{ type: "shell", inline: ["echo two > /two.txt"] }],
      "post-processors": [{ type: "docker-import", repository: "kiln-it/streamed", tag: "2" }],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(existsSync(join(r.dir, "out/image.tar")), false);
    // Not even its directory: the export went only into the import.
    assert.equal(existsSync(join(r.dir, "out")), false, "no export file, no partial file, no directory");
    assert.equal((await inImage("kiln-it/streamed:2", "cat /two.txt")).trim(), "two");
  });

  it("a run interrupted mid-export leaves no partial file and no image", async (t) => {
    trackImage("kiln-it/streamed:never");
    const before = imageIds();
    const r = await build(
      t,
      {
        builders: [exported],
        provisioners: [{ type: "shell", inline: ["head -c 1500000000 /dev/zero > /big.bin"] }],
        "post-processors": [{ type: "docker-import", repository: "kiln-it/streamed", tag: "never" }],
      },
      {
        signalAfter: { signal: "SIGINT", whenOutputMatches: /Exporting the container/, delayMs: 300 },
        timeoutMs: 120_000,
      },
    );
    assert.equal(r.code, 130, describeRun(r));
    const out = join(r.dir, "out");
    assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], "no export file, no partial file");
    assert.equal(await inspectImage("kiln-it/streamed:never"), undefined);
    assert.deepEqual(imageIds(), before, "no image (tagged or not) was left by the streamed import");
  });
});
