// `kiln plan CHAIN`: a node that rebuilds marks the nodes using its image as rebuilding because of
// it (every step of the build on that image runs), transitively; a node that may rebuild makes an
// up-to-date dependent "may rebuild"; nodes that do not depend on it are left as they are.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Edge } from "../../src/chain/model.js";
import type { BuildPlan } from "../../src/run/plan-build.js";
import { propagateRebuilds, type NodePlan } from "../../src/chain/plan-rebuilds.js";

function build(image: string, rebuilds: boolean): BuildPlan {
  return {
    name: "docker",
    image,
    rebuilds,
    notes: [],
    steps: [
      {
        step: 1,
        name: "provisioner 1 (shell)",
        type: "shell",
        decision: rebuilds ? "run" : "cached",
        key: "k".repeat(64),
      },
    ],
  };
}

const node = (name: string, rebuilds: boolean | null, image = `${name}:base`): NodePlan =>
  rebuilds === null
    ? { name, kind: "dockerfile", rebuilds, builds: [] }
    : { name, kind: "packer", rebuilds, builds: [build(image, rebuilds)] };

const edge = (from: string, to: string, image?: string): Edge => ({
  from,
  to,
  why: "base-image",
  ...(image ? { image } : {}),
});

describe("plan: rebuilds carried along a chain", () => {
  it("a rebuilt node rebuilds its dependents, transitively, and says which node caused it", () => {
    // Listed dependents first: the order of the list must not matter.
    const nodes = [
      node("app", false, "tools:1"),
      node("tools", false, "base:1"),
      node("base", true),
      node("other", false),
    ];
    const out = propagateRebuilds(nodes, [edge("app", "tools", "tools:1"), edge("tools", "base", "base:1")]);
    const by = new Map(out.map((n) => [n.name, n]));
    assert.equal(by.get("tools")!.rebuilds, true);
    assert.deepEqual(by.get("tools")!.because, { node: "base", why: "base-image", image: "base:1" });
    assert.match(
      by.get("tools")!.reason!,
      /rebuilds because node base rebuilds and this node uses its image base:1/,
    );
    assert.deepEqual(
      by.get("tools")!.builds[0]!.steps.map((s) => [s.decision, s.cause, s.key]),
      [["run", "dependency", undefined]],
    );
    assert.equal(by.get("app")!.rebuilds, true);
    assert.equal(by.get("app")!.because!.node, "tools");
    assert.equal(by.get("other")!.rebuilds, false, "an unrelated node stays up to date");
    assert.equal(by.get("other")!.because, undefined);
  });

  it("a node that may rebuild (a Dockerfile) makes an up-to-date dependent 'may rebuild'", () => {
    const out = propagateRebuilds(
      [node("df", null), node("user", false, "df:1")],
      [edge("user", "df", "df:1")],
    );
    assert.equal(out[1]!.rebuilds, null);
    assert.match(out[1]!.reason!, /may rebuild because node df may rebuild/);
    assert.equal(out[1]!.builds[0]!.steps[0]!.decision, "cached", "its own steps are left as planned");
  });

  it("a node that rebuilds on its own keeps its own reasons; a build on another image is not marked", () => {
    const own = node("own", true, "x:1");
    own.builds.push(build("unrelated:1", false));
    const out = propagateRebuilds([node("dep", true), own], [edge("own", "dep", "dep:1")]);
    assert.equal(out[1]!.because, undefined);
    const mixed = propagateRebuilds(
      [
        node("dep2", true),
        { ...node("two", false, "dep2:1"), builds: [build("dep2:1", false), build("else:1", false)] },
      ],
      [edge("two", "dep2", "dep2:1")],
    );
    assert.deepEqual(
      mixed[1]!.builds.map((b) => b.rebuilds),
      [true, false],
    );
  });

  it("a cycle does not hang", () => {
    const out = propagateRebuilds([node("a", false), node("b", true)], [edge("a", "b"), edge("b", "a")]);
    assert.equal(out[0]!.rebuilds, true);
  });
});
