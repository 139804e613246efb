// Every component type validate accepts has an implementation the runner can run, and nothing is
// implemented that validate would refuse. The compiler already enforces this (components/registry.ts
// is typed against the spec registry); this test states it where a reader looks for it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { builderSpecs, postProcessorSpecs, provisionerSpecs } from "../../src/template/components.js";
import { defaultRegistry } from "../../src/components/registry.js";

const sorted = (o: object): string[] => Object.keys(o).sort();
const registry = defaultRegistry();

describe("component registry", () => {
  it("post-processors: the types validate accepts are exactly the ones implemented", () => {
    assert.deepEqual(sorted(registry.postProcessors), sorted(postProcessorSpecs));
  });

  it("provisioners: the types validate accepts are exactly the ones implemented", () => {
    assert.deepEqual(sorted(registry.provisioners), sorted(provisionerSpecs));
  });

  it("builders: exactly the ones validate accepts", () => {
    assert.deepEqual(sorted(registry.builders), sorted(builderSpecs));
    assert.deepEqual(sorted(builderSpecs), ["docker"]);
  });

  it("artifice is among them (it used to validate and then fail the build)", () => {
    assert.ok(Object.hasOwn(postProcessorSpecs, "artifice"));
    assert.ok(Object.hasOwn(registry.postProcessors, "artifice"));
  });
});
