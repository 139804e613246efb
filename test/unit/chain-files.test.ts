// The chain's files: corpusops' IMAGES.json as the original computes its entries, and the native
// chain file against its JSON Schema (positioned errors, did-you-mean), which is also the file
// published in schemas/.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { readChain } from "../../src/chain/read-chain.js";
import { chainSchema } from "../../src/chain/native-schema.js";
import { InvalidInputError, type Diagnostic } from "../../src/template/diagnostic.js";

function repo(files: Record<string, string>, top = "setups.demo"): string {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), "kiln-chain-files-")), top);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  return root;
}

const opts = (cwd: string, extra: Partial<Parameters<typeof readChain>[1]> = {}) => ({
  cwd,
  env: { HOME: "/home/u" },
  builderArgs: "",
  squash: true,
  engines: ["default"],
  ...extra,
});

async function errorsOf(promise: Promise<unknown>): Promise<Diagnostic[]> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof InvalidInputError) return e.diagnostics;
    throw e;
  }
  assert.fail("expected invalid input");
}

describe("IMAGES.json (corpusops' format)", () => {
  it("computes keys, names, versions, files and working dirs as the original", async () => {
    const root = repo({
      "docker/IMAGES.json": JSON.stringify({
        images: [
          { name: "base", version: "1.0", tag: "corp/base:1.0" },
          { file: "mine.json", extra_args: "-var v={version} -only docker" },
          {
            tag: "corpusops/ubuntu:20.04-2.7",
            dockerfile: "docker/corpusops/{name}:20.04",
            extra_args: "--build-arg BV={img_parts[tag]} --build-arg T={tag} --squash=false",
          },
          {
            tag: "corp/app:2",
            builder_type: "docker",
            working_dir: "../app",
            extra_args: "--build-arg HOME",
          },
        ],
      }),
      "app/.keep": "",
    });
    const read = await readChain([path.join(root, "docker/IMAGES.json")], opts(root));
    const [base, mine, ubuntu, app] = read.entries;
    assert.equal(base!.node.name, "packer__base-1.0.json");
    assert.equal(base!.path, path.join(root, "docker/packer/base-1.0.json"));
    assert.deepEqual(base!.node.tags, ["corp/base:1.0"]);
    assert.equal(base!.node.workingDir, root);
    // name: the top directory without corpusops' "setups." prefix; version: the file without extension
    assert.equal(mine!.name, "demo");
    assert.equal(mine!.version, "mine");
    assert.equal(mine!.node.name, "packer__mine.json");
    assert.deepEqual(mine!.node.source.kind === "packer" && mine!.node.source.vars, [["v", "mine"]]);
    assert.deepEqual(mine!.node.source.kind === "packer" && mine!.node.source.only, ["docker"]);
    assert.equal(ubuntu!.node.name, "dockerfile__corpusops/ubuntu:20.04-2.7");
    assert.equal(ubuntu!.name, "ubuntu");
    assert.equal(ubuntu!.version, "20.04-2.7");
    assert.equal(ubuntu!.path, path.join(root, "docker/corpusops/ubuntu:20.04"));
    assert.ok(ubuntu!.node.source.kind === "dockerfile");
    const src = ubuntu!.node.source;
    assert.deepEqual(src.kind === "dockerfile" && src.buildArgs.map((b) => `${b.name}=${b.value}`), [
      "BV=20.04-2.7",
      "T=corpusops/ubuntu:20.04-2.7",
    ]);
    assert.equal(src.kind === "dockerfile" && src.squash, false);
    assert.equal(app!.node.workingDir, path.join(root, "app"));
    assert.equal(app!.path, path.join(root, "app/Dockerfile"));
    assert.equal(app!.version, "2");
    const appSrc = app!.node.source;
    assert.deepEqual(appSrc.kind === "dockerfile" && appSrc.buildArgs.map((b) => b.value), ["/home/u"]);
    assert.equal(appSrc.kind === "dockerfile" && appSrc.squash, true);
    assert.deepEqual(app!.node.aliases, ["corp/app:2"]);
  });

  it("puts --builder-args before each entry's extra_args; --no-squash is the default off", async () => {
    const root = repo({
      "docker/IMAGES.json": JSON.stringify({ images: [{ tag: "a/b:1", builder_type: "dockerfile" }] }),
    });
    const read = await readChain(
      [path.join(root, "docker/IMAGES.json")],
      opts(root, { builderArgs: "--network host", squash: false }),
    );
    const src = read.entries[0]!.node.source;
    assert.equal(src.kind === "dockerfile" && src.network, "host");
    assert.equal(src.kind === "dockerfile" && src.squash, false);
  });

  it("reports every bad entry at its position, with did-you-mean", async () => {
    const root = repo({
      "docker/IMAGES.json": `{
  "images": [
    {"builder_type": "dokcer", "file": "x"},
    {"builder_type": "dockerfile", "file": "Dockerfile.x"},
    {"tag": "a/b:1", "builder_type": "docker", "extra_args": "--build-arg X={verison}"},
    {"tag": "a/c:1", "builder_type": "docker", "extra_args": "--build-arg A=1 --memroy 3g"},
    {"file": "p.json", "extra_args": "-var a=1 -parallel-builds 3"},
    {"file": "q.json", "working_dir": "nowhere"},
    {"file": "r.json", "extra_arg": "x"}
  ]
}`,
    });
    const diags = await errorsOf(readChain([path.join(root, "docker/IMAGES.json")], opts(root)));
    const lines = diags.map(
      (d) =>
        `${d.pos?.line}:${d.pos?.column} ${d.severity} ${d.summary}${d.suggestions ? ` ~${d.suggestions.join("|")}` : ""}`,
    );
    assert.deepEqual(lines, [
      '3:22 error images[0]: builder_type "dokcer" is not one kiln builds ~docker',
      '4:5 error images[1]: a Dockerfile entry needs "tag"',
      "5:78 error images[2]: extra_args: KeyError: 'verison' ~version",
      "6:79 error images[3]: extra_args: unknown docker build flag --memroy ~--memory",
      "7:48 error images[4]: extra_args: -parallel-builds applies to the whole chain, not to one entry",
      "8:39 error images[5]: working_dir " + path.join(root, "docker/nowhere") + " is not a directory",
      '9:24 warning images[6]: unknown key "extra_arg" ~extra_args',
    ]);
  });

  it("refuses two entries with one key", async () => {
    const root = repo({
      "docker/IMAGES.json": JSON.stringify({ images: [{ file: "a.json" }, { file: "a.json" }] }, null, 1),
    });
    const diags = await errorsOf(readChain([path.join(root, "docker/IMAGES.json")], opts(root)));
    assert.match(diags[0]!.summary, /two entries are both packer__a\.json/);
  });

  it("reports a missing chain file without a stack, and what kiln looks for", async () => {
    const root = repo({ "x.txt": "" });
    const diags = await errorsOf(readChain([path.join(root, "docker/IMAGES.json")], opts(root)));
    assert.match(diags[0]!.summary, /docker\/IMAGES\.json: no such file/);
    assert.match(diags[0]!.detail!, /\.docker\/IMAGES\.json/);
  });
});

describe("native chain file", () => {
  it("reads nodes in order, resolving paths from working_dir and the file's folder", async () => {
    const root = repo({
      "chain.json": JSON.stringify({
        $schema: "./schemas/kiln-chain.schema.json",
        nodes: {
          base: { template: "packer/base.json", vars: { v: "1" }, tags: ["corp/base:1"], final: false },
          app: {
            dockerfile: "Dockerfile",
            working_dir: "app",
            tags: ["corp/app:1"],
            build_args: { BASE: "${node.base.image}", ID: "${node.base.id}", LIT: "$${x}" },
            depends_on: ["base"],
            push: ["127.0.0.1:5000/corp/app:1"],
          },
        },
      }),
    });
    const read = await readChain([path.join(root, "chain.json")], opts(root));
    assert.equal(read.spec.format, "native");
    const [base, app] = read.spec.nodes;
    assert.equal(base!.index, 0);
    assert.equal(base!.final, false);
    assert.equal(
      base!.source.kind === "packer" && base!.source.template,
      path.join(root, "packer/base.json"),
    );
    assert.equal(app!.workingDir, path.join(root, "app"));
    assert.equal(app!.source.kind === "dockerfile" && app!.source.context, path.join(root, "app"));
    assert.deepEqual(
      app!.references.map((r) => `${r.node}.${r.field}`),
      ["base.image", "base.id"],
    );
    assert.deepEqual(
      app!.dependsOn.map((d) => d.node),
      ["base"],
    );
    assert.deepEqual(app!.push, ["127.0.0.1:5000/corp/app:1"]);
  });

  it("checks against the schema: positioned, with did-you-mean, all at once", async () => {
    const root = repo({
      "chain.json": `{
  "nodes": {
    "a": {"template": "a.json", "tag": ["x:1"]},
    "b": {"dockerfile": "D", "template": "t.json"},
    "c": {"dockerfile": "D", "tags": ["c:1"], "depends_on": ["aa"], "squash": "yes"},
    "d": {"template": "d.json", "vars": {"x": "\${node.zz.image}"}, "engine": "remote"},
    "e": {"dockerfile": "D", "tags": ["e:1"], "final": false, "push": ["r/e:1"]},
    "bad name": {"template": "x.json"}
  },
  "nodez": 1
}`,
    });
    const diags = await errorsOf(readChain([path.join(root, "chain.json")], opts(root)));
    const lines = diags.map(
      (d) =>
        `${d.pos?.line}:${d.pos?.column} ${d.summary}${d.suggestions ? ` ~${d.suggestions.join("|")}` : ""}`,
    );
    assert.ok(lines.includes('3:33 nodes.a: unknown key "tag" ~tags'), lines.join("\n"));
    assert.ok(lines.includes('4:10 nodes.b: takes only one of "template" or "dockerfile"'), lines.join("\n"));
    assert.ok(lines.includes('5:79 nodes.c.squash: expected a boolean, got string "yes"'), lines.join("\n"));
    assert.ok(lines.includes('8:5 nodes: "bad name" is not a valid name'), lines.join("\n"));
    assert.ok(lines.includes('10:3 unknown key "nodez" ~nodes'), lines.join("\n"));
  });

  it("checks names: depends_on, references, engines, push of an intermediate node", async () => {
    const root = repo({
      "chain.json": `{
  "nodes": {
    "a": {"template": "a.json"},
    "c": {"dockerfile": "D", "tags": ["c:1"], "depends_on": ["aa"]},
    "d": {"template": "d.json", "vars": {"x": "\${node.zz.image}", "y": "\${node.a.digest}"}, "engine": "remote"},
    "e": {"dockerfile": "D", "tags": ["e:1"], "final": false, "push": ["r/e:1"]}
  }
}`,
    });
    const diags = await errorsOf(readChain([path.join(root, "chain.json")], opts(root)));
    const lines = diags.map(
      (d) => `${d.pos?.line} ${d.summary}${d.suggestions ? ` ~${d.suggestions.join("|")}` : ""}`,
    );
    assert.deepEqual(lines, [
      '4 nodes.c: depends_on: no node named "aa" ~a',
      '5 nodes.d: engine "remote" is not known',
      "5 nodes.d: ${node.zz.image} names no node ~a|c",
      "5 nodes.d: ${node.a.digest}: expected ${node.a.image} or ${node.a.id}",
      "6 nodes.e: an intermediate node (final: false) is never pushed",
    ]);
  });

  it("the published schema is the reader's schema", () => {
    const published: unknown = JSON.parse(
      readFileSync(new URL("../../schemas/kiln-chain.schema.json", import.meta.url), "utf8"),
    );
    assert.deepEqual(published, JSON.parse(JSON.stringify(chainSchema)), "run npm run schemas");
  });

  it("the example in examples/ reads", async () => {
    const file = path.resolve(new URL("../../examples/chain/kiln-chain.json", import.meta.url).pathname);
    const read = await readChain([file], opts(path.dirname(file)));
    assert.ok(read.spec.nodes.length >= 3);
  });
});
