// Python's str.format as corpusops' IMAGES.json uses it: each expected value is what CPython 3
// prints for the same format string and arguments.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FormatError, pyFormat, pyRepr } from "../../src/chain/str-format.js";

const fields = {
  name: "ubuntu",
  version: "20.04",
  tag: "corpusops/ubuntu:20.04",
  img_parts: { registry: null, repo: "corpusops", image: "ubuntu", tag: "20.04" },
  list: ["a", "b"],
  n: 7,
  flag: true,
};

describe("str.format (Python semantics)", () => {
  const cases: [string, unknown[], string][] = [
    ["{name}:{version}", [], "ubuntu:20.04"],
    ["--build-arg BV={img_parts[tag]}", [], "--build-arg BV=20.04"],
    ["{img_parts[registry]}", [], "None"],
    ["{0}-{1}", ["x", "y"], "x-y"],
    ["{}-{}", ["x", "y"], "x-y"],
    ["{{literal}} {name}", [], "{literal} ubuntu"],
    ["}}{{", [], "}{"],
    ["{list[1]}", [], "b"],
    ["{name[0]}", [], "u"],
    ["{name!r}", [], "'ubuntu'"],
    ["{n} {flag}", [], "7 True"],
    ["{img_parts}", [], "{'registry': None, 'repo': 'corpusops', 'image': 'ubuntu', 'tag': '20.04'}"],
    ["[{name:>8}]", [], "[  ubuntu]"],
    ["[{name:*^10}]", [], "[**ubuntu**]"],
    ["[{name:.3}]", [], "[ubu]"],
    ["[{n:4}]", [], "[   7]"],
    ["no fields", [], "no fields"],
  ];
  for (const [format, positional, expected] of cases) {
    it(`${JSON.stringify(format)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(pyFormat(format, positional as never[], fields), expected);
    });
  }

  it("names a missing field as KeyError, with where it is and a did-you-mean", () => {
    assert.throws(
      () => pyFormat("--build-arg X={verison}", [], fields),
      (e: unknown) =>
        e instanceof FormatError &&
        e.message === "KeyError: 'verison'" &&
        e.offset === 15 &&
        e.suggestions.includes("version"),
    );
    assert.throws(() => pyFormat("{img_parts[tga]}", [], fields), /KeyError: 'tga'/);
  });

  it("refuses what Python refuses", () => {
    assert.throws(() => pyFormat("a } b", [], fields), /Single '}'/);
    assert.throws(() => pyFormat("a { b", [], fields), /Single '\{'/);
    assert.throws(() => pyFormat("{0} {}", ["x", "y"], fields), /cannot switch from manual/);
    assert.throws(() => pyFormat("{} {0}", ["x", "y"], fields), /cannot switch from automatic/);
    assert.throws(() => pyFormat("{2}", ["x"], fields), /IndexError/);
    assert.throws(
      () => pyFormat("{name.upper}", [], fields),
      /AttributeError: 'str' object has no attribute 'upper'/,
    );
    assert.throws(() => pyFormat("{n[0]}", [], fields), /'int' object is not subscriptable/);
    assert.throws(() => pyFormat("{name!x}", [], fields), /Unknown conversion specifier x/);
  });

  it("repr quotes as Python does", () => {
    assert.equal(pyRepr("it's"), `"it's"`);
    assert.equal(pyRepr("a'b\"c"), `'a\\'b"c'`);
    assert.equal(pyRepr([1, null, false]), "[1, None, False]");
    assert.equal(pyFormat("{0!a}", ["é"], {}), "'\\xe9'");
  });
});
