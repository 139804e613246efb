// The chain's graph: edges from what nodes consume (a Packer builder's image after variables, a
// Dockerfile's FROM and COPY --from with build args, build args naming a tag, depends_on,
// references), cycles reported with the whole path and each edge's origin, and selection.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { findCycle, topologicalOrder } from "../../src/chain/graph.js";
import type { Edge } from "../../src/chain/model.js";
import { planChain, problemsOf } from "../../src/chain/plan.js";
import { readChain } from "../../src/chain/read-chain.js";
import { selectNodes } from "../../src/chain/select.js";
import { InvalidInputError } from "../../src/template/diagnostic.js";
import { loadTemplate } from "../../src/template/load.js";

const e = (from: string, to: string): Edge => ({ from, to, why: "depends-on" });

describe("graph algorithms", () => {
  it("finds a cycle as a path, deterministic in list order", () => {
    const cycle = findCycle(["a", "b", "c", "d"], [e("a", "b"), e("b", "c"), e("c", "a"), e("d", "a")]);
    assert.deepEqual(
      cycle?.map((x) => `${x.from}->${x.to}`),
      ["a->b", "b->c", "c->a"],
    );
    assert.deepEqual(
      findCycle(["a"], [e("a", "a")])?.map((x) => x.to),
      ["a"],
    );
    assert.equal(findCycle(["a", "b", "c"], [e("c", "a"), e("b", "a"), e("c", "b")]), undefined);
  });
  it("orders dependencies first, list order breaking ties", () => {
    assert.deepEqual(topologicalOrder(["app", "lib", "base", "other"], [e("app", "lib"), e("lib", "base")]), [
      "base",
      "lib",
      "app",
      "other",
    ]);
  });
});

function repo(files: Record<string, string | object>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "kiln-chain-graph-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(
      path.join(root, name),
      typeof content === "string" ? content : JSON.stringify(content, null, 2),
    );
  }
  return root;
}

const packer = (image: string, repository?: string, tag = "1", variables: Record<string, string> = {}) => ({
  variables,
  builders: [{ type: "docker", image, commit: true, pull: false }],
  provisioners: [{ type: "shell", inline: ["true"] }],
  "post-processors": repository ? [{ type: "docker-tag", repository, tags: [tag] }] : [],
});

async function plan(root: string, file = "chain.json") {
  const read = await readChain([path.join(root, file)], {
    cwd: root,
    env: {},
    builderArgs: "",
    squash: false,
    engines: ["default"],
  });
  const p = await planChain(read.spec, { loadTemplate, env: {}, startTime: new Date() });
  return { read, plan: p };
}

async function invalid(promise: Promise<unknown>): Promise<InvalidInputError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
  assert.fail("expected invalid input");
}

describe("edges from what nodes consume", () => {
  it("joins Packer images (variables rendered), FROM, COPY --from, build args and depends_on", async () => {
    const root = repo({
      "chain.json": {
        nodes: {
          base: { template: "base.json" },
          mid: { template: "mid.json", vars: { from: "corp/base:1" } },
          app: { dockerfile: "Dockerfile", tags: ["corp/app:1"], build_args: { B: "corp/base:1" } },
          tool: { dockerfile: "Dockerfile.tool", tags: ["corp/tool:1"] },
          last: { template: "last.json", depends_on: ["tool"] },
        },
      },
      "base.json": packer("busybox:1", "corp/base"),
      "mid.json": packer("{{user `from`}}", "corp/mid", "1", { from: "" }),
      Dockerfile: "ARG B\nFROM docker.io/corp/mid:1\nCOPY --from=corp/tool:1 /t /t\n",
      "Dockerfile.tool": "FROM scratch\n",
      "last.json": packer("corp/app:1"),
    });
    const { plan: p } = await plan(root);
    const edges = p.edges.map(
      (x) => `${x.from}->${x.to} ${x.why} ${path.basename(x.pos?.file ?? "")}:${x.pos?.line}`,
    );
    assert.deepEqual(edges, [
      "mid->base base-image mid.json:8",
      "app->mid from Dockerfile:2",
      "app->tool copy-from Dockerfile:3",
      "app->base build-arg chain.json:18",
      "last->app base-image last.json:6",
      "last->tool depends-on chain.json:30",
    ]);
    assert.deepEqual(p.byName.get("base")?.produces, ["corp/base:1"]);
  });

  it("reports a cycle with the whole path and each edge's origin, before anything runs", async () => {
    const root = repo({
      "chain.json": `{
  "nodes": {
    "a": {"template": "a.json"},
    "b": {"dockerfile": "Dockerfile.b", "tags": ["corp/b:1"]}
  }
}`,
      "a.json": packer("corp/b:1", "corp/a"),
      "Dockerfile.b": "FROM busybox\nFROM corp/a:1\n",
    });
    const err = await invalid(plan(root));
    const d = err.diagnostics[0]!;
    assert.equal(d.summary, "the chain has a cycle: a -> b -> a");
    assert.match(d.detail!, /a needs b: base image corp\/b:1 at .*a\.json:6/);
    assert.match(d.detail!, /b needs a: FROM corp\/a:1 at .*Dockerfile\.b:2/);
    assert.equal(path.basename(d.pos!.file), "a.json");
  });

  it("refuses two producers of one image", async () => {
    const root = repo({
      "chain.json": { nodes: { a: { template: "a.json" }, b: { dockerfile: "D", tags: ["corp/a:1"] } } },
      "a.json": packer("busybox", "corp/a"),
      D: "FROM scratch\n",
    });
    const err = await invalid(plan(root));
    assert.match(err.diagnostics[0]!.summary, /nodes a and b both produce corp\/a:1/);
  });

  it("a node's own problems (missing file, template error) stop the chain only when it is selected", async () => {
    const root = repo({
      "chain.json": { nodes: { ok: { template: "ok.json" }, broken: { template: "missing.json" } } },
      "ok.json": packer("busybox", "corp/ok"),
    });
    const { read, plan: p } = await plan(root);
    assert.deepEqual(problemsOf(p, new Set(["ok"])), []);
    const err = await invalid(
      Promise.resolve().then(() =>
        problemsOf(p, selectNodes(read.spec.nodes, p.edges, { include: [], skip: [] })),
      ),
    );
    assert.match(err.diagnostics[0]!.summary, /template .*missing\.json does not exist/);
  });
});

describe("selection", () => {
  it("names, tags, globs, node+ and +node, minus skipped ones; unknown names are errors", async () => {
    const root = repo({
      "docker/IMAGES.json": {
        images: [
          { file: "base.json", tag: "corp/base:1" },
          { tag: "corp/app:1", builder_type: "docker", file: "Dockerfile.app" },
          { tag: "corp/web:1", builder_type: "docker", file: "Dockerfile.web" },
          { tag: "corp/other:1", builder_type: "docker", file: "Dockerfile.other" },
        ],
      },
      "docker/packer/base.json": packer("busybox", "corp/base"),
      "Dockerfile.app": "FROM corp/base:1\n",
      "Dockerfile.web": "FROM corp/app:1\n",
      "Dockerfile.other": "FROM busybox\n",
    });
    const { read, plan: p } = await plan(root, "docker/IMAGES.json");
    const sel = (include: string[], skip: string[] = []) =>
      [...selectNodes(read.spec.nodes, p.edges, { include, skip })].sort();
    assert.deepEqual(sel([]).length, 4);
    assert.deepEqual(sel(["corp/app:1"]), ["dockerfile__corp/app:1"]);
    assert.deepEqual(sel(["packer__base.json+"]), [
      "dockerfile__corp/app:1",
      "dockerfile__corp/web:1",
      "packer__base.json",
    ]);
    assert.deepEqual(sel(["+corp/web:1"]), [
      "dockerfile__corp/app:1",
      "dockerfile__corp/web:1",
      "packer__base.json",
    ]);
    assert.deepEqual(sel(["+corp/web:1"], ["packer__base.json"]), [
      "dockerfile__corp/app:1",
      "dockerfile__corp/web:1",
    ]);
    assert.deepEqual(sel(["dockerfile__*"], ["corp/web:1"]), [
      "dockerfile__corp/app:1",
      "dockerfile__corp/other:1",
    ]);
    assert.throws(
      () => sel(["corp/ap:1"]),
      (err: unknown) =>
        err instanceof InvalidInputError && err.diagnostics[0]!.suggestions?.includes("corp/app:1") === true,
    );
  });
});
