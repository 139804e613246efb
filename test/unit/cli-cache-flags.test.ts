// The cache flags as commander parses them: `-no-cache-step` is a repeatable value option (not the
// negation of a `-cache-step`), and stays apart from `-no-cache`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Command } from "commander";
import { addCacheOptions } from "../../src/cli/cache-options.js";
import { normalizeArgv } from "../../src/cli/argv.js";

function parse(argv: string[]): Record<string, unknown> {
  const cmd = addCacheOptions(new Command().exitOverride());
  cmd.parse(normalizeArgv(argv), { from: "user" });
  return cmd.opts();
}

describe("cli: cache flags", () => {
  it("-no-cache-step collects its values; the cache stays on", () => {
    const o = parse(["-no-cache-step=2", "-no-cache-step", "docker:1"]);
    assert.deepEqual(o.noCacheStep, ["2", "docker:1"]);
    assert.equal(o.cache, true);
  });

  it("-no-cache turns the cache off and sets no step", () => {
    const o = parse(["-no-cache"]);
    assert.equal(o.cache, false);
    assert.equal(o.noCacheStep, undefined);
  });
});
