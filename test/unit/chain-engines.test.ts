// Several engines for one chain, without an engine: the native file's `engines` and -engine values
// (checked before any engine is contacted), and the scheduler moving a node whose engine was lost.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { readChain } from "../../src/chain/read-chain.js";
import { schedule } from "../../src/chain/scheduler.js";
import { chainEngines } from "../../src/cli/chain-engines.js";
import { InvalidInputError, type Diagnostic } from "../../src/template/diagnostic.js";

function chainFile(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-chain-engines-"));
  writeFileSync(path.join(dir, "chain.json"), text);
  return path.join(dir, "chain.json");
}

const read = (file: string, engines = ["default"]) =>
  readChain([file], { cwd: path.dirname(file), env: {}, builderArgs: "", squash: true, engines });

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidInputError) return e.diagnostics.map((d: Diagnostic) => d.summary);
    throw e;
  }
  assert.fail("expected invalid input");
}

describe("chain engines", () => {
  it("the file's engines name engines nodes may use, with their own limit", async () => {
    const file = chainFile(`{
  "engines": {"big": {"host": "tcp://10.0.0.7:2375", "parallel": 3}},
  "nodes": {"a": {"dockerfile": "D", "tags": ["a:1"], "engine": "big"}, "b": {"dockerfile": "D", "tags": ["b:1"]}}
}`);
    const r = await read(file);
    assert.deepEqual(
      r.spec.nodes.map((n) => `${n.name}@${n.engine}`),
      ["a@big", "b@default"],
    );
    assert.deepEqual(
      r.spec.engines?.map((e) => [e.name, e.host, e.parallel]),
      [["big", "tcp://10.0.0.7:2375", 3]],
    );
    const engines = chainEngines(["extra=unix:///run/x.sock"], r.spec.engines ?? [], {
      DOCKER_HOST: "unix:///run/d.sock",
    });
    assert.deepEqual(
      engines.map((e) => `${e.name} ${e.host.description} ${e.parallel ?? "-"}`),
      ["default unix:///run/d.sock -", "big tcp://10.0.0.7:2375 3", "extra unix:///run/x.sock -"],
    );
  });

  it("-engine overrides a file engine by name and keeps its limit", () => {
    const engines = chainEngines(
      ["big=unix:///run/b.sock"],
      [{ name: "big", host: "tcp://h:1", parallel: 2 }],
      {},
    );
    const big = engines.find((e) => e.name === "big");
    assert.equal(big?.host.description, "unix:///run/b.sock");
    assert.equal(big?.parallel, 2);
  });

  it("an engine a node names must exist; default cannot be declared; parallel is a whole number", async () => {
    const file = chainFile(`{
  "engines": {"default": {"host": "unix:///x"}, "big": {"host": "tcp://h:1", "parallel": 0.5}},
  "nodes": {"a": {"dockerfile": "D", "tags": ["a:1"], "engine": "bgi"}}
}`);
    await assert.rejects(read(file), (e: unknown) => {
      assert.ok(e instanceof InvalidInputError);
      const lines = e.diagnostics.map(
        (d) => `${d.summary}${d.suggestions ? ` ~${d.suggestions.join("|")}` : ""}`,
      );
      assert.deepEqual(lines, [
        "engines.default: default is DOCKER_HOST and cannot be declared",
        "engines.big: parallel: expected a whole number ≥ 1, got 0.5",
        'nodes.a: engine "bgi" is not known ~big',
      ]);
      return true;
    });
  });

  it("bad -engine values are input errors, all at once", () => {
    assert.deepEqual(
      problems(() => chainEngines(["b", "c=", "d=unx:///x", "e=unix:///a", "e=unix:///b"], [], {})),
      [
        '-engine: expected NAME=DOCKER_HOST, got "b"',
        '-engine: expected NAME=DOCKER_HOST, got "c="',
        problems(() => chainEngines(["d=unx:///x"], [], {}))[0]!,
        "-engine: e is given twice",
      ],
    );
  });

  it("the scheduler starts a node on the engine place() gives, counting it against that engine", async () => {
    const started: string[] = [];
    const final = await schedule(
      [
        { name: "a", engine: "two", needs: [] },
        { name: "b", engine: "two", needs: [] },
      ],
      {
        limit: () => 1,
        failFast: false,
        signal: new AbortController().signal,
        skipped: () => undefined,
        // "two" is lost once a has failed: b goes to default.
        place: (name, engine) => (engine === "two" && started.includes("a@two") ? "default" : engine),
        run: async (name, _signal, engine) => {
          started.push(`${name}@${engine}`);
          await new Promise((r) => setTimeout(r, 10));
          return name === "a" ? "failed" : "built";
        },
      },
    );
    assert.deepEqual(started, ["a@two", "b@default"]);
    assert.equal(final.get("b")?.status, "built");
  });
});
