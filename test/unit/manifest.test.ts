import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { createManifest, formatManifest, type ManifestFile } from "../../src/post-processors/manifest.js";
import type { Artifact } from "../../src/core/artifact.js";
import { fakeContext } from "./push-fakes.js";

const root = mkdtempSync(path.join(os.tmpdir(), "kiln-manifest-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const d = path.join(root, String(n++));
  mkdirSync(d);
  return d;
};

const config = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  output: "packer-manifest.json",
  strip_path: false,
  strip_time: false,
  custom_data: {},
  ...over,
});

const IMAGE: Artifact = {
  kind: "image",
  builderId: "packer.post-processor.docker-tag",
  imageId: `sha256:${"cd".repeat(32)}`,
  id: "127.0.0.1:5000/app:1",
  tags: ["127.0.0.1:5000/app:1"],
};

function ctxWith(
  run: string,
  name = "docker",
  place: { cwd: string; force?: boolean } = { cwd: process.cwd() },
): ReturnType<typeof fakeContext>["ctx"] {
  const { ctx } = fakeContext({} as never);
  ctx.buildData.PackerRunUUID = run;
  return { ...ctx, sourceName: name, cwd: place.cwd, force: place.force ?? false };
}

const NOW = new Date("2024-05-06T07:08:09Z");

describe("manifest", () => {
  it("writes Packer's format for an image artifact and passes the artifact through", async () => {
    const dir = freshDir();
    const pp = createManifest(config(), { now: () => NOW });
    const result = await pp.process(ctxWith("run-1", "docker", { cwd: dir }), IMAGE);
    assert.equal(result.artifact, IMAGE);
    assert.equal(result.keep, true);
    assert.equal(result.forceKeep, true);
    const text = readFileSync(path.join(dir, "packer-manifest.json"), "utf8");
    assert.equal(
      text,
      [
        "{",
        '  "builds": [',
        "    {",
        '      "name": "docker",',
        '      "builder_type": "docker",',
        `      "build_time": ${NOW.getTime() / 1000},`,
        '      "files": null,',
        '      "artifact_id": "127.0.0.1:5000/app:1",',
        '      "packer_run_uuid": "run-1",',
        '      "custom_data": null',
        "    }",
        "  ],",
        '  "last_run_uuid": "run-1"',
        "}",
      ].join("\n"),
      "Go's MarshalIndent layout, no trailing newline",
    );
  });

  it("records files with sizes, strip_path, strip_time and sorted custom_data", async () => {
    const dir = freshDir();
    const tar = path.join(dir, "out", "image.tar");
    mkdirSync(path.join(dir, "out"));
    writeFileSync(tar, "x".repeat(1234));
    const pp = createManifest(
      config({
        output: "m.json",
        strip_path: true,
        strip_time: true,
        custom_data: { zeta: "z", alpha: "a<b>&c" },
      }),
    );
    await pp.process(ctxWith("run-2", "docker", { cwd: dir }), {
      kind: "export",
      builderId: "packer.docker",
      path: tar,
    });
    const text = readFileSync(path.join(dir, "m.json"), "utf8");
    const m = JSON.parse(text) as ManifestFile;
    assert.deepEqual(m.builds[0], {
      name: "docker",
      builder_type: "docker",
      files: [{ name: "image.tar", size: 1234 }],
      artifact_id: "Container",
      packer_run_uuid: "run-2",
      custom_data: { alpha: "a<b>&c", zeta: "z" },
    });
    assert.ok(!text.includes("build_time"), "strip_time leaves build_time out (omitempty)");
    assert.ok(text.includes('"alpha": "a\\u003cb\\u003e\\u0026c"'), "escaped as Go does");
    assert.ok(text.indexOf('"alpha"') < text.indexOf('"zeta"'));
  });

  it("appends builds to an existing manifest, as Packer does, and -force starts over on a new run", async () => {
    const dir = freshDir();
    const file = path.join(dir, "packer-manifest.json");
    writeFileSync(
      file,
      JSON.stringify({
        builds: [
          {
            name: "old",
            builder_type: "docker",
            build_time: 1,
            files: null,
            artifact_id: "a",
            packer_run_uuid: "run-0",
            custom_data: null,
            extra: 1,
          },
        ],
        last_run_uuid: "run-0",
      }),
    );
    await createManifest(config(), { now: () => NOW }).process(ctxWith("run-3", "one", { cwd: dir }), IMAGE);
    await createManifest(config(), { now: () => NOW }).process(ctxWith("run-3", "two", { cwd: dir }), IMAGE);
    let m = JSON.parse(readFileSync(file, "utf8")) as ManifestFile;
    assert.deepEqual(
      m.builds.map((b) => b.name),
      ["old", "one", "two"],
    );
    assert.equal(m.last_run_uuid, "run-3");
    assert.ok(!("extra" in (m.builds[0] as object)), "re-read through Packer's struct");
    await createManifest(config()).process(ctxWith("run-3", "three", { cwd: dir, force: true }), IMAGE);
    assert.equal(
      (JSON.parse(readFileSync(file, "utf8")) as ManifestFile).builds.length,
      4,
      "same run: keeps appending",
    );
    await createManifest(config()).process(ctxWith("run-4", "four", { cwd: dir, force: true }), IMAGE);
    m = JSON.parse(readFileSync(file, "utf8")) as ManifestFile;
    assert.deepEqual(
      m.builds.map((b) => b.name),
      ["four"],
    );
  });

  it("keeps every entry when parallel builds write at once, and leaves no temp files", async () => {
    const dir = freshDir();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createManifest(config()).process(ctxWith("run-5", `b${i}`, { cwd: dir }), IMAGE),
      ),
    );
    const m = JSON.parse(readFileSync(path.join(dir, "packer-manifest.json"), "utf8")) as ManifestFile;
    assert.equal(m.builds.length, 20);
    assert.deepEqual(readdirSync(dir), ["packer-manifest.json"]);
  });

  it("replaces the file by rename: a failed write leaves the old manifest intact", async () => {
    const dir = freshDir();
    const file = path.join(dir, "packer-manifest.json");
    const before = JSON.stringify({ builds: [], last_run_uuid: "x" });
    writeFileSync(file, before);
    // A directory squatting on every temp name cannot be made; instead make the target a directory
    // so the rename fails after the temp file was written.
    const blocked = path.join(dir, "blocked");
    mkdirSync(blocked);
    writeFileSync(path.join(blocked, "keep"), "");
    await assert.rejects(
      createManifest(config({ output: "blocked" })).process(ctxWith("r", "docker", { cwd: dir }), IMAGE),
      /Unable to (write|parse|open)/,
    );
    assert.equal(readFileSync(file, "utf8"), before);
    assert.deepEqual(
      readdirSync(dir).sort(),
      ["blocked", "packer-manifest.json"],
      "no temp file left behind",
    );
  });

  it("refuses to overwrite a manifest it cannot parse", async () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, "packer-manifest.json"), "{oops");
    await assert.rejects(
      createManifest(config()).process(ctxWith("r", "docker", { cwd: dir }), IMAGE),
      /Unable to parse content from .*packer-manifest\.json/,
    );
    assert.equal(readFileSync(path.join(dir, "packer-manifest.json"), "utf8"), "{oops");
  });

  it("formatManifest escapes like Go", () => {
    const text = formatManifest({
      builds: [
        {
          name: "a&b",
          builder_type: "docker",
          files: null,
          artifact_id: "x\u2028",
          packer_run_uuid: "",
          custom_data: null,
        },
      ],
      last_run_uuid: "",
    });
    assert.ok(text.includes('"a\\u0026b"') && text.includes('"x\\u2028"'));
  });
});
