// docker-tag, docker-import, docker-save: options, sequences and keep_input_artifact rules.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
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
import { ON_PODMAN, TEST_ENGINE } from "./support/engine.js";

const commit = { type: "docker", image: BUSYBOX, pull: false, commit: true };
const exported = { type: "docker", image: BUSYBOX, pull: false, export_path: "image.tar" };
const mark = { type: "shell", inline: ["echo marked > /mark.txt"] };

describe("local post-processors", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after post-processor tests" });
  });

  it("docker-tag: tags (list or single string), deprecated tag with a warning, force accepted", async (t) => {
    for (const ref of ["kiln-it/tagged:1.0", "kiln-it/tagged:latest", "kiln-it/tagged:old"]) trackImage(ref);
    const r = await build(t, {
      builders: [commit],
      provisioners: [mark],
      "post-processors": [
        {
          type: "docker-tag",
          repository: "kiln-it/tagged",
          tags: ["1.0", "latest"],
          tag: "old",
          force: true,
        },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(
      r.stdout,
      /docker \(docker-tag\): Deprecation warning: "tag" option has been replaced with "tags"/,
    );
    assert.match(r.stdout, /docker \(docker-tag\): Repository: kiln-it\/tagged:1\.0/);
    const id = r.imageIds[0]!;
    for (const ref of ["kiln-it/tagged:1.0", "kiln-it/tagged:latest", "kiln-it/tagged:old"]) {
      assert.equal((await inspectImage(ref))?.Id, id, ref);
    }
    assert.match(
      r.stdout,
      /--> docker: Imported Docker image: kiln-it\/tagged:old with tags kiln-it\/tagged:1\.0 kiln-it\/tagged:latest kiln-it\/tagged:old/,
    );
  });

  it("docker-tag after export_path fails with Packer's explanation", async (t) => {
    const r = await build(t, {
      builders: [exported],
      "post-processors": [{ type: "docker-tag", repository: "kiln-it/never" }],
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /Can only tag from Docker builder artifacts/);
  });

  it("export_path → docker-import (repository, tag, changes) → docker-tag → docker-save, as one sequence", async (t) => {
    for (const ref of ["kiln-it/imp:1", "kiln-it/imp:2"]) trackImage(ref);
    const r = await build(t, {
      builders: [exported],
      provisioners: [mark],
      "post-processors": [
        [
          {
            type: "docker-import",
            repository: "kiln-it/imp",
            tag: "1",
            changes: ['CMD ["cat", "/mark.txt"]', "ENV IMPORTED=yes"],
          },
          { type: "docker-tag", repository: "kiln-it/imp", tags: ["2"] },
          { type: "docker-save", path: "saved/imp.tar" },
        ],
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    const img = (await inspectImage("kiln-it/imp:1")) as unknown as {
      Id: string;
      Config: { Cmd: string[]; Env: string[] };
    };
    assert.deepEqual(img.Config.Cmd, ["cat", "/mark.txt"]);
    assert.ok(img.Config.Env.includes("IMPORTED=yes"));
    assert.equal((await inspectImage("kiln-it/imp:2"))?.Id, img.Id);
    assert.equal((await inImage("kiln-it/imp:2", "cat /mark.txt")).trim(), "marked");
    // docker-import does not keep its input: the export tar is gone
    assert.equal(existsSync(join(r.dir, "image.tar")), false);
    const saved = join(r.dir, "saved/imp.tar");
    assert.ok(statSync(saved).size > 0);
    const manifest = JSON.parse(
      execFileSync("tar", ["-xOf", saved, "manifest.json"], { encoding: "utf8" }),
    ) as { RepoTags: string[] }[];
    // Podman's save names the image in full (docs/engines.md); `docker load` reads both the same.
    assert.deepEqual(manifest[0]?.RepoTags, [ON_PODMAN ? "docker.io/kiln-it/imp:2" : "kiln-it/imp:2"]);
    assert.match(r.stdout, /docker \(docker-import\): Imported ID: sha256:/);
    assert.match(r.stdout, /docker \(docker-save\): Saved to: saved\/imp\.tar/);
  });

  it("keep_input_artifact: true keeps the export tar after docker-import", async (t) => {
    trackImage("kiln-it/keep:1");
    const r = await build(t, {
      builders: [exported],
      "post-processors": [
        { type: "docker-import", repository: "kiln-it/keep", tag: "1", keep_input_artifact: true },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.ok(existsSync(join(r.dir, "image.tar")));
    assert.match(r.stdout, /--> docker: Exported Docker file: image\.tar/);
  });

  it("several sequences each start from the builder artifact; a failing one leaves the others and keeps the image", async (t) => {
    trackImage("kiln-it/seq:a");
    const r = await build(t, {
      builders: [commit],
      "post-processors": [
        { type: "docker-tag", repository: "kiln-it/seq", tags: ["a"] },
        [{ type: "docker-import", repository: "kiln-it/seq-never" }],
      ],
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(
      r.stdout,
      /Post-processor failed: Unknown artifact type: packer\.post-processor\.docker-import/,
    );
    assert.ok(await inspectImage("kiln-it/seq:a"), "the first sequence ran");
    assert.ok(await inspectImage(r.imageIds[0]!), "builder image kept after a failed sequence");
  });

  it("docker-save directly after commit saves the image id", async (t) => {
    const r = await build(t, {
      builders: [commit],
      "post-processors": [{ type: "docker-save", path: "direct.tar" }],
    });
    assert.equal(r.code, 0, describeRun(r));
    const manifest = JSON.parse(
      execFileSync("tar", ["-xOf", join(r.dir, "direct.tar"), "manifest.json"], { encoding: "utf8" }),
    ) as { Config: string }[];
    if (TEST_ENGINE === "docker26-containerd") {
      // The containerd image store's image ID is the manifest's digest, not the config's
      // (docs/engines.md): the archive's OCI index names it.
      const index = execFileSync("tar", ["-xOf", join(r.dir, "direct.tar"), "index.json"], {
        encoding: "utf8",
      });
      assert.ok(index.includes(r.imageIds[0]!), index);
    } else {
      assert.ok(manifest[0]?.Config.includes(r.imageIds[0]!.slice(7, 19)));
    }
    void readFileSync;
  });
});
