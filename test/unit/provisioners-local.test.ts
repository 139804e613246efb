// breakpoint and shell-local pieces that need no engine: what is said and when, the host OS name,
// and the environment shell-local scripts get.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BreakpointProvisioner } from "../../src/provisioners/breakpoint/breakpoint.js";
import { hostGoos, shellLocalEnvironment } from "../../src/host/run-shell-local.js";
import { initialBuildData } from "../../src/core/build-data.js";
import type { ProvisionContext } from "../../src/core/component.js";
import type { BuildUi } from "../../src/ui/ui.js";
import type { ShellLocalConfig } from "../../src/provisioners/shell-local/schema.js";

function fakeCtx(
  ask?: BuildUi["ask"],
  signal = new AbortController().signal,
): { ctx: ProvisionContext; said: string[] } {
  const said: string[] = [];
  const ui: BuildUi = {
    say: (m) => said.push(`say: ${m}`),
    message: (m) => said.push(`message: ${m}`),
    error: (m) => said.push(`error: ${m}`),
    child: () => ui,
    ask: ask && ((q) => (said.push(`ask: ${q}`), ask(q))),
  };
  const ctx = {
    ui,
    buildName: "b",
    sourceName: "src",
    builderType: "docker",
    buildData: { ...initialBuildData(), ID: "c0ffee" },
    signal,
    render: (t: string) => t,
  } as unknown as ProvisionContext;
  return { ctx, said };
}

describe("breakpoint", () => {
  it("on a terminal: Packer's two lines, then waits for the answer", async () => {
    const { ctx, said } = fakeCtx(async () => "");
    await new BreakpointProvisioner({ note: "look", disable: false }).provision(ctx);
    assert.deepEqual(said, [
      'say: Pausing at breakpoint provisioner with note "look".',
      "ask: Press enter to continue.",
    ]);
  });
  it("no terminal (ask answers undefined, or there is no ask): says so and continues", async () => {
    for (const ask of [async () => undefined, undefined]) {
      const { ctx, said } = fakeCtx(ask);
      await new BreakpointProvisioner({ note: "", disable: false }).provision(ctx);
      assert.equal(said[0], "say: Pausing at breakpoint provisioner.");
      assert.equal(
        said.at(-1),
        "say: Not running on a terminal, so not waiting at the breakpoint; continuing...",
      );
    }
  });
  it("cancelling while it waits ends the wait with the abort reason", async () => {
    const ac = new AbortController();
    const { ctx } = fakeCtx(() => new Promise(() => {}), ac.signal);
    const waiting = new BreakpointProvisioner({ note: "", disable: false }).provision(ctx);
    ac.abort(new Error("Build was cancelled"));
    await assert.rejects(waiting, /Build was cancelled/);
  });
  it("disabled", async () => {
    const { ctx, said } = fakeCtx(async () => "");
    await new BreakpointProvisioner({ note: "n", disable: true }).provision(ctx);
    assert.deepEqual(said, ['say: Breakpoint provisioner with note "n" disabled; continuing...']);
  });
});

describe("shell-local", () => {
  it("names host OSes as Go's runtime.GOOS", () => {
    assert.equal(hostGoos("linux"), "linux");
    assert.equal(hostGoos("win32"), "windows");
    assert.equal(hostGoos("sunos"), "solaris");
    assert.equal(hostGoos("darwin"), "darwin");
  });
  it("environment: Packer's variables, environment_vars, then env; no HTTP variables for docker", () => {
    const { ctx } = fakeCtx();
    const env = shellLocalEnvironment(
      {
        environment_vars: ["A=1", "B=x=y", "PACKER_BUILD_NAME=mine"],
        env: { A: "2" },
      } as unknown as ShellLocalConfig,
      ctx,
    );
    assert.deepEqual(Object.keys(env).sort(), [
      "A",
      "B",
      "PACKER_BUILDER_TYPE",
      "PACKER_BUILD_NAME",
      "PACKER_RUN_UUID",
    ]);
    assert.equal(env.A, "2");
    assert.equal(env.B, "x=y");
    assert.equal(env.PACKER_BUILD_NAME, "mine");
    assert.equal(env.PACKER_BUILDER_TYPE, "docker");
  });
});
