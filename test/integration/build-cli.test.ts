// Build flags: several builders in parallel, -only/-except, -var over -var-file, -machine-readable,
// -timestamp-ui, colours.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { build, BUSYBOX, describeRun, removeProduced } from "./support/build.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

const ESC = String.fromCharCode(27);
const bb = (name: string) => ({ type: "docker", name, image: BUSYBOX, pull: false, discard: true });

describe("build flags", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after build flag tests" });
  });

  it("-parallel-builds runs several builders at once; -only / -except select by glob", async (t) => {
    const template = {
      builders: [bb("alpha"), bb("beta"), bb("gamma")],
      provisioners: [
        {
          type: "shell",
          inline: ["echo start-$PACKER_BUILD_NAME", "sleep 2", "echo end-$PACKER_BUILD_NAME"],
        },
      ],
    };
    const r = await build(t, template, { args: ["-parallel-builds=0", "-except=gam*"] });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, / {4}alpha: start-alpha/);
    assert.match(r.stdout, / {4}beta: start-beta/);
    assert.doesNotMatch(r.stdout, /gamma:/);
    // parallel: both started before either ended
    const lines = r.stdout.split("\n");
    const firstEnd = lines.findIndex((l) => /end-(alpha|beta)/.test(l));
    assert.ok(
      lines.findIndex((l) => /start-beta/.test(l)) < firstEnd &&
        lines.findIndex((l) => /start-alpha/.test(l)) < firstEnd,
    );
    const only = await build(t, template, { args: ["--only", "beta"] });
    assert.equal(only.code, 0, describeRun(only));
    assert.doesNotMatch(only.stdout, /alpha:|gamma:/);
  });

  it("-var wins over -var-file whatever the order; variables reach provisioners", async (t) => {
    const template = {
      variables: { greeting: "default", other: "default" },
      builders: [bb("docker")],
      provisioners: [{ type: "shell", inline: ["echo greeting={{user `greeting`}} other={{user `other`}}"] }],
    };
    const r = await build(t, template, {
      files: { "vars.json": JSON.stringify({ greeting: "from-file", other: "from-file" }) },
      args: ["-var", "greeting=from-cli", "-var-file=vars.json"],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /greeting=from-cli other=from-file/);
  });

  it("-machine-readable prints Packer's records; sensitive values are masked", async (t) => {
    const template = {
      variables: { token: "TopSecret-9f3a" },
      "sensitive-variables": ["token"],
      builders: [bb("docker")],
      provisioners: [{ type: "shell", inline: ["echo token={{user `token`}}"] }],
    };
    const r = await build(t, template, { args: ["-machine-readable"] });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^\d+,,ui,say,==> docker: Starting docker container\.\.\.$/m);
    assert.match(r.stdout, /^\d+,,ui,message, {4}docker: token=<sensitive>$/m);
    assert.match(r.stdout, /^\d+,docker,artifact-count,1$/m);
    assert.match(r.stdout, /^\d+,docker,artifact,0,builder-id,packer\.docker$/m);
    assert.doesNotMatch(r.stdout + r.stderr, /TopSecret-9f3a/);
    const human = await build(t, template);
    assert.match(human.stdout, /docker: token=<sensitive>/);
    assert.doesNotMatch(human.stdout + human.stderr, /TopSecret-9f3a/);
  });

  it("-timestamp-ui prefixes build lines; colours are on by default and off with -color=false", async (t) => {
    const template = { builders: [bb("docker")], provisioners: [{ type: "shell", inline: ["echo hi"] }] };
    const r = await build(t, template, { args: ["-timestamp-ui"] });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z: ==> docker: Starting docker container/m);
    assert.ok(!r.stdout.includes(ESC), "no colour codes with -color=false");
    const colored = await build(t, template, { args: ["-color=true"] });
    assert.ok(
      colored.stdout.includes(`${ESC}[1;32m==> docker: Starting docker container...${ESC}[0m`),
      colored.stdout,
    );
    assert.match(colored.stdout, /docker: output will be in this color\./);
  });
});
