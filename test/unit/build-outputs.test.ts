// Build outputs without an engine: the KILN_OUTPUT format, names, the cache entry's comment that
// carries them, the validate check of uses, run-time resolution, and both template syntaxes.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseOutputs } from "../../src/core/build-outputs.js";
import { initialBuildData, resolveBuildData } from "../../src/core/build-data.js";
import { entryComment, parseEntryComment } from "../../src/cache/entry.js";
import { loadTemplate } from "../../src/template/load.js";
import { checkOutputUses } from "../../src/template/output-uses.js";
import { formatDiagnostic } from "../../src/template/diagnostic.js";
import { buildDataSentinel } from "../../src/template/types.js";
import { loadOptions } from "./hcl-helpers.js";

describe("KILN_OUTPUT format", () => {
  it("name=value lines, the last one winning, values with = and spaces kept", () => {
    assert.deepEqual(parseOutputs("a=1\nb=x = y \n\na=2\n", "s"), { a: "2", b: "x = y " });
  });
  it("GitHub Actions' name<<DELIMITER multi-line form", () => {
    const text = "notes<<EOF\nline one\n\nline=three\nEOF\nafter=1\n";
    assert.deepEqual(parseOutputs(text, "s"), { notes: "line one\n\nline=three", after: "1" });
  });
  it("errors name the step and the line", () => {
    assert.throws(() => parseOutputs("ok=1\njunk\n", "provisioner 1 (shell)"), {
      message:
        /provisioner 1 \(shell\): KILN_OUTPUT line 2: expected name=value or name<<DELIMITER, got "junk"/,
    });
    assert.throws(() => parseOutputs("x<<END\nno end\n", "s"), {
      message: /line 1: "x"'s value has no closing "END" line/,
    });
    assert.throws(() => parseOutputs("9lives=1", "s"), { message: /"9lives" is not a valid output name/ });
    assert.throws(() => parseOutputs("image-tag=1", "s"), { message: /not a valid output name/ });
    assert.throws(() => parseOutputs("id=1", "s"), { message: /too close to Packer's build data ID/ });
  });
});

describe("cache entry comment", () => {
  const key = "3f2a9c1b7d4e".padEnd(64, "0");
  it("carries outputs and reads back; without outputs it is the plain form", () => {
    const outputs = { chrome_version: "12.5", notes: 'a "quoted"\nsecond line' };
    const comment = entryComment("provisioner 2 (shell)", key, outputs);
    assert.doesNotMatch(comment, /\n/);
    assert.deepEqual(parseEntryComment(comment), {
      step: "provisioner 2 (shell)",
      shortKey: "3f2a9c1b7d4e",
      outputs,
    });
    assert.equal(
      entryComment("provisioner 2 (shell)", key),
      "kiln: provisioner 2 (shell) [cache 3f2a9c1b7d4e]",
    );
    assert.deepEqual(parseEntryComment(entryComment("p", key))?.outputs, {});
  });
  it("says which scratch directory the entry keeps, with or without outputs", () => {
    const comment = entryComment("provisioner 1 (shell)", key, { v: "1" }, "/packer-files");
    assert.equal(
      comment,
      'kiln: provisioner 1 (shell) [cache 3f2a9c1b7d4e] [scratch /packer-files] outputs {"v":"1"}',
    );
    assert.deepEqual(parseEntryComment(comment), {
      step: "provisioner 1 (shell)",
      shortKey: "3f2a9c1b7d4e",
      outputs: { v: "1" },
      scratch: "/packer-files",
    });
    assert.equal(parseEntryComment(entryComment("p", key, undefined, "/a/b"))?.scratch, "/a/b");
    assert.equal(parseEntryComment(entryComment("p", key))?.scratch, undefined);
  });
});

describe("resolving outputs at run time", () => {
  it("substitutes produced outputs; a missing one is an error naming it and its user", () => {
    const data = initialBuildData();
    data.version = "12.5";
    const config = { tags: [`v${buildDataSentinel("version")}`], id: buildDataSentinel("ID") };
    assert.deepEqual(resolveBuildData(config, data, "x").tags, ["v12.5"]);
    assert.throws(
      () => resolveBuildData({ t: buildDataSentinel("nope") }, data, 'post-processor "docker-tag"'),
      {
        message:
          /post-processor "docker-tag" uses the build output "nope", which no step before it produced \(outputs so far: version\)/,
      },
    );
  });
});

async function load(name: string, text: string) {
  const dir = mkdtempSync(join(tmpdir(), "kiln-outputs-unit-"));
  writeFileSync(join(dir, name), text);
  return loadTemplate(join(dir, name), loadOptions({ cwd: dir }));
}

describe("templates using outputs", () => {
  it("JSON: {{ build `name` }} in a post-processor after a shell step loads and checks clean", async () => {
    const t = await load(
      "t.json",
      JSON.stringify({
        builders: [{ type: "docker", image: "debian:12", commit: true }],
        provisioners: [{ type: "shell", inline: ['echo "v=1" >> "$KILN_OUTPUT"'] }],
        "post-processors": [{ type: "docker-tag", repository: "r", tags: ["{{ build `v` }}"] }],
      }),
    );
    assert.deepEqual(t.builds[0]!.postProcessors[0]![0]!.config.tags, [buildDataSentinel("v")]);
    assert.deepEqual(checkOutputUses(t), []);
  });

  it("HCL: build.name is an output; a case variant of Packer's keys stays an error", async () => {
    const hcl = (expr: string) => `
source "docker" "x" {
  image  = "debian:12"
  commit = true
}
build {
  sources = ["source.docker.x"]
  provisioner "shell" { inline = ["echo v=1 >> $KILN_OUTPUT"] }
  post-processor "docker-tag" {
    repository = "r"
    tags       = [${expr}]
  }
}
`;
    const t = await load("t.pkr.hcl", hcl("build.chrome_version"));
    assert.deepEqual(t.builds[0]!.postProcessors[0]![0]!.config.tags, [buildDataSentinel("chrome_version")]);
    await assert.rejects(load("t.pkr.hcl", hcl("build.Id")), /Unsupported attribute[\s\S]*build\.ID/);
  });

  it("an output no earlier step can produce is an error at validate, naming both", async () => {
    const t = await load(
      "t.json",
      JSON.stringify({
        builders: [{ type: "docker", image: "debian:12", commit: true }],
        provisioners: [
          { type: "file", content: "x", destination: "/x" },
          { type: "shell", inline: ["echo {{ build `early` }}"] },
        ],
        "post-processors": [{ type: "docker-tag", repository: "r", tags: ["{{ build `late` }}"] }],
      }),
    );
    const problems = checkOutputUses(t).map(formatDiagnostic);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(
      problems[0]!,
      /t\.json:\d+:\d+: error: build "docker": provisioner 2 \(shell\) uses the build output "early", but no step before it can produce outputs/,
    );
  });

  it("with no output-capable provisioner at all, a post-processor's use is an error", async () => {
    const t = await load(
      "t.json",
      JSON.stringify({
        builders: [{ type: "docker", image: "debian:12", commit: true }],
        "post-processors": [{ type: "docker-tag", repository: "r", tags: ["{{ build `version` }}"] }],
      }),
    );
    const problems = checkOutputUses(t).map(formatDiagnostic);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /post-processor "docker-tag" uses the build output "version"/);
  });
});
