// Bytes pushed, from a push's progress stream: a layer counts its last `Pushing` total once it is
// `Pushed`; a layer the registry already had counts nothing.
import assert from "node:assert/strict";
import { it } from "node:test";
import { PushedBytes } from "../../../src/core/pushed-bytes.js";

it("counts uploaded layers only", () => {
  const counter = new PushedBytes();
  for (const e of [
    { id: "a", status: "Preparing" },
    { id: "b", status: "Layer already exists" },
    { id: "a", status: "Pushing", progressDetail: { current: 100, total: 5000 } },
    { id: "a", status: "Pushing", progressDetail: { current: 5000, total: 5000 } },
    { id: "a", status: "Pushed" },
    { id: "c", status: "Pushing", progressDetail: { current: 1, total: 700 } },
    { id: "c", status: "Pushed" },
    { status: "1: digest: sha256:00 size: 1" },
  ])
    counter.event(e);
  assert.equal(counter.bytes, 5700);
});

it("a stream with no layer events (Podman 4.3) leaves the bytes unknown, not zero", () => {
  const counter = new PushedBytes();
  counter.event({ status: "The push refers to repository [127.0.0.1:5000/app:1]" });
  counter.event({ status: "latest: digest: sha256:00 size: 348" });
  assert.equal(counter.bytes, undefined);
  const existing = new PushedBytes();
  existing.event({ id: "b", status: "Layer already exists" });
  assert.equal(existing.bytes, 0);
});

it("a layer Pushed with no Pushing total before it (the containerd store, a fast upload): unknown", () => {
  const counter = new PushedBytes();
  for (const e of [
    { id: "a", status: "Pushed" },
    { id: "b", status: "Mounted from kiln-it/other" },
    { status: "1: digest: sha256:00 size: 747" },
  ])
    counter.event(e);
  assert.equal(counter.bytes, undefined);
});
