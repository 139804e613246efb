// extra_args as the original's shell would split them, and the builder flags kiln passes on (and
// refuses, positioned, with a did-you-mean).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDockerArgs, parsePackerArgs } from "../../src/chain/builder-args.js";
import { shellWords } from "../../src/chain/shell-words.js";
import type { Diagnostic } from "../../src/template/diagnostic.js";

const words = (s: string, env: Record<string, string> = {}) => shellWords(s, env).map((w) => w.value);
const at = (offset: number) => ({ file: "IMAGES.json", line: 3, column: 20 + offset });

describe("shell words", () => {
  it("splits as sh does: quotes, escapes, variables", () => {
    assert.deepEqual(words(`-var 'a=b c' --label "x=\\"y\\"" z\\ w`), [
      "-var",
      "a=b c",
      "--label",
      'x="y"',
      "z w",
    ]);
    assert.deepEqual(
      words("--build-arg H=$HOME --build-arg P=${PORT}x '$HOME'", { HOME: "/root", PORT: "80" }),
      ["--build-arg", "H=/root", "--build-arg", "P=80x", "$HOME"],
    );
    assert.deepEqual(words(`"" a`), ["", "a"]);
    assert.deepEqual(
      shellWords("  -a  b", {}).map((w) => w.offset),
      [2, 6],
    );
  });
  it("refuses what only a shell would do", () => {
    assert.throws(() => words("a $(id)"), /command substitution/);
    assert.throws(() => words("a | b"), /shell operator/);
    assert.throws(() => words("a 'b"), /unclosed single quote/);
    assert.throws(() => words('a "b'), /unclosed double quote/);
  });
});

describe("packer build flags", () => {
  it("takes -var, -var-file, -only, -except in both spellings", () => {
    const diags: Diagnostic[] = [];
    const args = parsePackerArgs(
      shellWords("-var v=1 --var=w=2=3 -var-file f.json -only=a,b -except c -force", {}),
      at,
      diags,
    );
    assert.deepEqual(diags, []);
    assert.deepEqual(args, {
      vars: [
        ["v", "1"],
        ["w", "2=3"],
      ],
      varFiles: ["f.json"],
      only: ["a", "b"],
      except: ["c"],
    });
  });
  it("refuses unknown and chain-wide flags at their position, with a did-you-mean", () => {
    const diags: Diagnostic[] = [];
    parsePackerArgs(shellWords("-vra x=1 -parallel-builds=2 -var novalue", {}), at, diags);
    assert.equal(diags.length, 3);
    assert.match(diags[0]!.summary, /packer build flag -vra is not supported/);
    assert.deepEqual(diags[0]!.suggestions, ["-var"]);
    assert.deepEqual(diags[0]!.pos, { file: "IMAGES.json", line: 3, column: 20 });
    assert.match(diags[1]!.summary, /-parallel-builds applies to the whole chain/);
    assert.equal(diags[1]!.pos?.column, 29);
    assert.match(diags[2]!.summary, /expected name=value/);
  });
});

describe("docker build flags", () => {
  it("takes build args, target, labels, network, tags, booleans", () => {
    const diags: Diagnostic[] = [];
    const args = parseDockerArgs(
      shellWords(
        "--build-arg A=1 --build-arg FROM_ENV --build-arg UNSET --target=t --label k=v --network host -t x:1 --no-cache --pull=false --squash",
        {},
      ),
      at,
      { FROM_ENV: "e" },
      diags,
    );
    assert.deepEqual(diags, []);
    assert.deepEqual(
      args.buildArgs.map((b) => [b.name, b.value]),
      [
        ["A", "1"],
        ["FROM_ENV", "e"],
      ],
    );
    assert.equal(args.target, "t");
    assert.deepEqual(args.labels, { k: "v" });
    assert.equal(args.network, "host");
    assert.deepEqual(args.tags, ["x:1"]);
    assert.equal(args.noCache, true);
    assert.equal(args.pull, false);
    assert.equal(args.squash, true);
  });
  it("refuses unknown, unsupported and -f flags, naming each", () => {
    const diags: Diagnostic[] = [];
    parseDockerArgs(
      shellWords("--biuld-arg A=1 --cache-from x -f Dockerfile --no-cache=maybe", {}),
      at,
      {},
      diags,
    );
    assert.equal(diags.length, 4);
    assert.match(diags[0]!.summary, /unknown docker build flag --biuld-arg/);
    assert.deepEqual(diags[0]!.suggestions, ["--build-arg"]);
    assert.match(diags[1]!.summary, /--cache-from is not supported by kiln chain/);
    assert.match(diags[2]!.detail!, /the Dockerfile is the entry's file/);
    assert.match(diags[3]!.summary, /expected true or false/);
  });
});
