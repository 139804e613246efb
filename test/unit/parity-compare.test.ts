// The parity suite's comparison (test/parity/support/properties.ts) must be able to fail: a
// documented difference states kiln's exact value, an expectation that matches nothing fails, and
// the totals tell properties compared in full from those compared only in part. Also: every
// sidecar states what kiln must produce for each documented difference.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { compareProps, type Expectation, type Props, type Rule } from "../parity/support/properties.js";
import { loadTemplates } from "../parity/support/templates.js";

function props(entries: Record<string, unknown>): Props {
  return new Map(Object.entries(entries).map(([k, v]) => [k, { value: JSON.stringify(v), weight: 1 }]));
}

const packer = props({
  exit: 0,
  "image#0.fs[/a]": "file 0644 1000:0 3 abc",
  "image#0.fs[/b]": "dir 0755 0:0",
});
const compat = "compat.md, test row";

describe("parity comparison", () => {
  it("equal runs: every property compared in full", () => {
    const c = compareProps(packer, packer, [], []);
    assert.deepEqual([c.full, c.part, c.differences.length], [3, 0, 0]);
  });

  it("an undocumented difference fails", () => {
    const kiln = props({
      exit: 0,
      "image#0.fs[/a]": "file 0644 1000:1000 3 abc",
      "image#0.fs[/b]": "dir 0755 0:0",
    });
    const c = compareProps(packer, kiln, [], []);
    assert.deepEqual(
      c.differences.map((d) => d.key),
      ["image#0.fs[/a]"],
    );
  });

  it("kiln's value derived from Packer's: exact, so a change on either side fails", () => {
    const expect: Expectation[] = [
      {
        property: "image#0.fs[/a]",
        leftMatch: " 1000:0 ",
        rightFrom: "left",
        replace: [" 1000:0", " 1000:1000"],
        compat,
      },
    ];
    const kiln = props({
      exit: 0,
      "image#0.fs[/a]": "file 0644 1000:1000 3 abc",
      "image#0.fs[/b]": "dir 0755 0:0",
    });
    const ok = compareProps(packer, kiln, expect, []);
    assert.deepEqual([ok.differences.length, ok.documented.length, ok.full, ok.part], [0, 1, 3, 0]);
    // The same owner but another mode: the derived value no longer matches.
    const wrongMode = props({
      exit: 0,
      "image#0.fs[/a]": "file 0600 1000:1000 3 abc",
      "image#0.fs[/b]": "dir 0755 0:0",
    });
    const bad = compareProps(packer, wrongMode, expect, []);
    assert.equal(bad.differences.length, 1);
    assert.match(bad.differences[0]!.note ?? "", /right should be "file 0644 1000:1000 3 abc"/);
  });

  it("exact values on both sides count in full; a pattern or an unchecked side counts in part", () => {
    const kiln = props({
      exit: 1,
      "image#0.fs[/a]": "file 0644 1000:0 3 abc",
      "image#0.fs[/b]": "dir 0755 0:0",
    });
    const exact = compareProps(packer, kiln, [{ property: "exit", left: 0, right: 1, compat }], []);
    assert.deepEqual([exact.full, exact.part, exact.differences.length], [3, 0, 0]);
    const pattern = compareProps(
      packer,
      kiln,
      [{ property: "exit", left: 0, rightMatch: "^1$", compat }],
      [],
    );
    assert.deepEqual([pattern.full, pattern.part], [2, 1]);
    // Packer's side alone: what the old catch-all entries did. It passes, but only in part.
    const oneSided = compareProps(packer, kiln, [{ property: "*", left: "<absent>", compat }], []);
    assert.equal(oneSided.full, 0);
    assert.ok(oneSided.differences.length > 0, "Packer's present values contradict <absent>");
  });

  it("a wrong exact value on kiln's side fails", () => {
    const kiln = props({
      exit: 2,
      "image#0.fs[/a]": "file 0644 1000:0 3 abc",
      "image#0.fs[/b]": "dir 0755 0:0",
    });
    const c = compareProps(packer, kiln, [{ property: "exit", left: 0, right: 1, compat }], []);
    assert.deepEqual(
      c.differences.map((d) => d.key),
      ["exit"],
    );
  });

  it("an expectation that matches no property fails", () => {
    const c = compareProps(
      packer,
      packer,
      [{ property: "image#0.fs[/nope]", left: "x", right: "y", compat }],
      [],
    );
    assert.equal(c.differences.length, 1);
    assert.match(c.differences[0]!.note ?? "", /matched no property/);
  });

  it("properties deferred to the reference comparison are counted there, once", () => {
    const failed = props({ exit: 1 });
    const kiln = props({ exit: 0, "image#0.fs[/a]": "file 0644 1000:0 3 abc" });
    const main = compareProps(
      failed,
      kiln,
      [
        { property: "exit", left: 1, right: 0, compat },
        { property: "*", left: "<absent>", rightFrom: "reference", compat },
      ],
      [],
    );
    assert.deepEqual([main.full, main.part, main.deferred], [1, 0, ["image#0.fs[/a]"]]);
    const reference = props({ exit: 0, "image#0.fs[/a]": "file 0644 1000:0 3 abc" });
    const byReference = compareProps(reference, kiln, [], [], { countOnly: new Set(main.deferred) });
    assert.deepEqual([byReference.full, byReference.part, byReference.differences.length], [1, 0, 0]);
    const wrong = props({ exit: 0, "image#0.fs[/a]": "file 0600 1000:0 3 abc" });
    assert.equal(
      compareProps(reference, wrong, [], [], { countOnly: new Set(main.deferred) }).differences.length,
      1,
    );
  });

  it("a rule counts as it says: exactly derived in full, a set of candidates in part", () => {
    const kiln = props({ exit: 0, "image#0.fs[/a]": "file 0644 1000:0 3 abc" });
    const rule = (coverage: "full" | "part"): Rule => ({
      compat,
      accepts: (key, l, r) =>
        key === "image#0.fs[/b]" && l !== undefined && r === undefined ? coverage : false,
    });
    assert.deepEqual(
      [
        compareProps(packer, kiln, [], [rule("full")]).full,
        compareProps(packer, kiln, [], [rule("part")]).part,
      ],
      [3, 1],
    );
  });
});

describe("parity sidecars", () => {
  const templates = loadTemplates();

  it("every documented difference states kiln's side exactly (a value, derived, or the reference run)", () => {
    assert.ok(templates.length > 30, `found ${templates.length} templates`);
    const vague: string[] = [];
    for (const t of templates) {
      const lists: [string, Expectation[]][] = [
        ["expect", t.expect],
        ["twin", t.twin],
        ["reference.expect", t.reference?.expect ?? []],
      ];
      for (const [where, list] of lists) {
        for (const e of list) {
          if (e.right === undefined && e.rightFrom === undefined)
            vague.push(`${t.name} ${where} ${e.property}`);
          if (e.rightFrom === "reference" && t.reference === undefined)
            vague.push(`${t.name} ${where} ${e.property}: kilnFrom reference without a reference`);
        }
      }
    }
    assert.deepEqual(vague, []);
  });

  it("reference variants exist", () => {
    for (const t of templates)
      if (t.reference) assert.ok(existsSync(t.reference.template), t.reference.template);
  });
});
