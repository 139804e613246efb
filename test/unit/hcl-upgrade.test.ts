// `kiln hcl2_upgrade`: JSON templates become HCL2 templates that load into the same builds
// (builder options, provisioners, post-processor sequences), in canonical `fmt` layout.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { InvalidInputError } from "../../src/template/diagnostic.js";
import { formatHcl } from "../../src/template/hcl/format.js";
import { loadHclTemplate } from "../../src/template/hcl/load.js";
import { hcl2Upgrade } from "../../src/template/hcl/upgrade.js";
import { loadTemplate } from "../../src/template/load.js";
import type { BuildDef, Template } from "../../src/template/types.js";
import { fixture, loadOptions } from "./hcl-helpers.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kiln-hcl-upgrade-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const JSON_TEMPLATES: [name: string, file: string, vars: [string, string][]][] = [
  ["basic", fixture("upgrade", "basic.json"), []],
  ["export", fixture("upgrade", "export.json"), [["token", "t0k"]]],
  ["nginx example", fileURLToPath(new URL("../../examples/nginx/template.json", import.meta.url)), []],
];

async function both(
  file: string,
  vars: [string, string][],
): Promise<{ json: Template; hcl: Template; text: string }> {
  const opts = loadOptions({ cwd: tmp, vars, env: { HOME: "/home/kiln" } });
  const json = await loadTemplate(file, opts);
  const text = hcl2Upgrade(readFileSync(file, "utf8"), path.basename(file));
  const out = path.join(tmp, `${path.basename(file)}.pkr.hcl`);
  writeFileSync(out, text);
  const hcl = await loadHclTemplate(out, opts);
  return { json, hcl, text };
}

/** What a build does, with names that legitimately differ (JSON builder vs HCL source name) mapped. */
function essence(b: BuildDef, rename: [string, string] | undefined): unknown {
  const swap = (x: unknown): unknown => {
    const s = JSON.stringify(x ?? null);
    return JSON.parse(rename ? s.split(rename[0]).join(rename[1]) : s) as unknown;
  };
  const tagsMerged = (c: Record<string, unknown>): Record<string, unknown> => {
    const { tag, ...rest } = c;
    return tag === undefined
      ? c
      : { ...rest, tags: [...((rest.tags as string[]) ?? []), ...(tag as string[])] };
  };
  return {
    builder: b.builder,
    provisioners: b.provisioners.map((p) =>
      swap([p.type, p.config, p.pauseBeforeMs, p.maxRetries, p.timeoutMs]),
    ),
    cleanup: b.errorCleanupProvisioner
      ? swap([b.errorCleanupProvisioner.type, b.errorCleanupProvisioner.config])
      : undefined,
    postProcessors: b.postProcessors.map((seq) =>
      seq.map((p) => [
        p.type,
        p.name,
        p.named,
        p.type === "docker-tag" ? tagsMerged(p.config) : p.config,
        p.keepInputArtifact,
      ]),
    ),
  };
}

describe("hcl2Upgrade", () => {
  for (const [name, file, vars] of JSON_TEMPLATES) {
    it(`${name}: the HCL twin loads into the same builds`, async () => {
      const { json, hcl } = await both(file, vars);
      assert.equal(hcl.builds.length, json.builds.length);
      json.builds.forEach((jb, i) => {
        const hb = hcl.builds[i]!;
        // HCL names builds `type.source`; strings rendered from build_name follow the source name.
        assert.equal(hb.name, `docker.${hb.sourceName}`);
        assert.deepEqual(essence(hb, [hb.sourceName, jb.name]), essence(jb, undefined));
      });
      assert.deepEqual(
        hcl.variables.map((v) => [v.name, v.value, v.sensitive]),
        json.variables.map((v) => [v.name, v.value, v.sensitive]),
      );
      assert.deepEqual(hcl.sensitiveValues, json.sensitiveValues);
      assert.equal(hcl.description, json.description);
    });

    it(`${name}: the output is already in canonical fmt layout`, () => {
      const text = hcl2Upgrade(readFileSync(file, "utf8"), path.basename(file));
      assert.equal(formatHcl(text), text);
    });
  }

  it("translates template functions to HCL expressions", () => {
    const text = hcl2Upgrade(
      JSON.stringify({
        builders: [
          {
            type: "docker",
            name: "app",
            image: "x",
            commit: true,
            changes: [
              'LABEL t={{timestamp}} i={{isotime "2006"}} u={{uuid}} d={{template_dir}} w={{pwd}} v={{packer_version}}',
            ],
          },
        ],
        provisioners: [
          { type: "shell", inline: ['{{split "a,b" "," 1}} {{replace_all "a" "b" "aa"}} {{strftime "%Y"}}'] },
        ],
      }),
      "t.json",
    );
    assert.match(text, /timestamp = regex_replace\(timestamp\(\), "\[- TZ:\]", ""\)/);
    assert.match(
      text,
      /LABEL t=\$\{local\.timestamp\} i=\$\{legacy_isotime\("2006"\)\} u=\$\{uuidv4\(\)\} d=\$\{path\.root\} w=\$\{path\.cwd\} v=\$\{packer\.version\}/,
    );
    assert.match(
      text,
      /\$\{element\(split\(",", "a,b"\), 1\)\} \$\{replace\("aa", "a", "b"\)\} \$\{legacy_strftime\("%Y"\)\}/,
    );
    assert.match(text, /^source "docker" "app" \{$/m);
    assert.match(text, /^# \{\{timestamp\}\} became local\.timestamp/m);
  });

  it("turns variables that use other variables into locals", () => {
    const text = hcl2Upgrade(
      JSON.stringify({
        variables: { a: "x", b: "{{user `a`}}-y" },
        builders: [{ type: "docker", image: "{{user `b`}}", discard: true }],
      }),
      "t.json",
    );
    assert.match(text, /locals \{\n {2}b = "\$\{var\.a\}-y"\n\}/);
    assert.match(text, /image {3}= local\.b/);
    assert.doesNotMatch(text, /^variable "b"/m);
    assert.match(text, /^# Note: variable "b" became local\.b/m);
  });

  it("keeps what it cannot translate as text, and says so", () => {
    const text = hcl2Upgrade(
      JSON.stringify({ builders: [{ type: "docker", image: "{{ if true }}a{{ end }}", discard: true }] }),
      "t.json",
    );
    assert.match(text, /image {3}= "\{\{ if true \}\}a\{\{ end \}\}"/);
    assert.match(text, /^# Note: kept "\{\{ if true \}\}a\{\{ end \}\}" as text/m);
  });

  it("refuses text that is not a JSON template", () => {
    assert.throws(() => hcl2Upgrade("{", "bad.json"), InvalidInputError);
    assert.throws(() => hcl2Upgrade("[]", "bad.json"), /a template must be a JSON object/);
  });
});
