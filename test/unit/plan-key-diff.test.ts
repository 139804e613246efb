// The reasons `kiln plan` gives: which inputs differ between a step's last key document and the
// one computed now, and the sentence for each.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KeyDocument } from "../../src/cache/key.js";
import { describeChange, diffKeyDocuments } from "../../src/cache/key-diff.js";

const D = (c: string) => c.repeat(64);

function doc(over: Partial<KeyDocument> = {}): KeyDocument {
  return {
    v: 1,
    parent: { image: `sha256:${D("a")}` },
    settings: D("s"),
    build: { name: "docker", type: "docker" },
    type: "shell",
    config: { inline: D("1"), environment_vars: D("2") },
    files: [{ role: "script", path: "setup.sh", kind: "file", digest: D("f") }],
    tools: {},
    ...over,
  };
}

describe("plan: key document differences", () => {
  it("equal documents: no change", () => {
    assert.deepEqual(diffKeyDocuments(doc(), doc()), []);
  });

  it("a file's content: the file, with its old and new digests", () => {
    const now = doc({ files: [{ role: "script", path: "setup.sh", kind: "file", digest: D("e") }] });
    const changes = diffKeyDocuments(doc(), now);
    assert.deepEqual(changes, [{ what: "file", role: "script", path: "setup.sh", old: D("f"), new: D("e") }]);
    assert.equal(describeChange(changes[0]!), "file setup.sh (script) changed: ffffffffffff → eeeeeeeeeeee");
  });

  it("a file added, removed, or now missing", () => {
    const added = diffKeyDocuments(
      doc(),
      doc({ files: [...doc().files, { role: "source", path: "a.conf", kind: "file", digest: D("9") }] }),
    );
    assert.deepEqual(added, [{ what: "file", role: "source", path: "a.conf", new: D("9") }]);
    assert.match(describeChange(added[0]!), /file a.conf \(source\) is a new input/);
    const removed = diffKeyDocuments(doc(), doc({ files: [] }));
    assert.deepEqual(removed, [{ what: "file", role: "script", path: "setup.sh", old: D("f") }]);
    const missing = diffKeyDocuments(
      doc(),
      doc({ files: [{ role: "script", path: "setup.sh", kind: "missing", digest: D("0") }] }),
    );
    assert.equal(missing[0]!.what === "file" && missing[0]!.new, "missing");
  });

  it("an option's value (a variable it uses): the option, by name", () => {
    const changes = diffKeyDocuments(doc(), doc({ config: { inline: D("1"), environment_vars: D("3") } }));
    assert.deepEqual(changes, [{ what: "option", name: "environment_vars", old: D("2"), new: D("3") }]);
    assert.match(
      describeChange(changes[0]!),
      /^option environment_vars changed \(its value, or a variable it uses\)/,
    );
    const added = diffKeyDocuments(doc(), doc({ config: { ...doc().config, user: D("4") } }));
    assert.deepEqual(added, [{ what: "option", name: "user", new: D("4") }]);
  });

  it("the base image ID (first step) or the parent image (a later step), and the parent's key", () => {
    const base = diffKeyDocuments(doc(), doc({ parent: { image: `sha256:${D("b")}` } }));
    assert.deepEqual(base, [{ what: "base-image", old: `sha256:${D("a")}`, new: `sha256:${D("b")}` }]);
    assert.equal(describeChange(base[0]!), "the base image ID changed: aaaaaaaaaaaa → bbbbbbbbbbbb");
    const later = diffKeyDocuments(
      doc({ parent: { key: D("k"), image: "sha256:1" }, settings: undefined }),
      doc({ parent: { key: D("j"), image: "sha256:2" }, settings: undefined }),
    );
    assert.deepEqual(
      later.map((c) => c.what),
      ["parent-image", "parent-key"],
    );
  });

  it("builder settings, build, type and tool versions", () => {
    const changes = diffKeyDocuments(
      doc({ tools: { "ansible-playbook": "ansible-playbook 2.14.3" } }),
      doc({
        settings: D("t"),
        build: { name: "other", type: "docker" },
        type: "file",
        tools: { "ansible-playbook": "ansible-playbook 2.15.0" },
      }),
    );
    assert.deepEqual(
      changes.map((c) => c.what),
      ["settings", "build", "type", "tool"],
    );
    assert.equal(
      describeChange(changes[3]!),
      "ansible-playbook version changed: ansible-playbook 2.14.3 → ansible-playbook 2.15.0",
    );
  });
});
