// The breakpoint provisioner: disabled, not on a terminal (CI), and on a terminal (a pty from
// util-linux `script`), where the build waits for Enter.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { KILN_BIN, runCommand, tempDir } from "../harness/kiln.js";
import { build, BUSYBOX, describeRun } from "./support/build.js";
import { assertNoLeftovers } from "./provisioners-support.js";

const docker = { type: "docker", image: BUSYBOX, pull: false, discard: true };
const after1 = { type: "shell", inline: ["echo after-breakpoint"] };

describe("breakpoint provisioner", () => {
  after(async () => {
    await assertNoLeftovers("after breakpoint tests");
  });

  it("disable: true, with and without a note", async (t) => {
    const r = await build(t, {
      builders: [docker],
      provisioners: [
        { type: "breakpoint", disable: true },
        { type: "breakpoint", disable: true, note: "inspect the container" },
        after1,
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(
      r.stdout,
      /==> docker: Breakpoint provisioner disabled; continuing\.\.\.\n==> docker: Breakpoint provisioner with note "inspect the container" disabled; continuing\.\.\.\n/,
    );
    assert.match(r.stdout, / {4}docker: after-breakpoint\n/);
  });

  it("not on a terminal: says so and goes on", async (t) => {
    const r = await build(t, {
      builders: [docker],
      provisioners: [{ type: "breakpoint", note: "inspect the container" }, after1],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(
      r.stdout,
      /==> docker: Pausing at breakpoint provisioner with note "inspect the container"\.\n==> docker: Not running on a terminal, so not waiting at the breakpoint; continuing\.\.\.\n/,
    );
    assert.match(r.stdout, / {4}docker: after-breakpoint\n/);
  });

  it("on a terminal: waits for Enter, with the live progress view held while it waits", async (t) => {
    const dir = tempDir(t);
    const template = join(dir, "template.json");
    writeFileSync(
      template,
      JSON.stringify({ builders: [docker], provisioners: [{ type: "breakpoint" }, after1] }),
    );
    const kiln = `${process.execPath} ${KILN_BIN} build -color=false ${template}`;
    // Enter is pressed 3 s after the prompt appears (script passes it on through the terminal).
    const r = await runCommand("script", ["-qec", kiln, "/dev/null"], {
      cwd: dir,
      timeoutMs: 60_000,
      inputWhen: { whenOutputMatches: /Press enter to continue/, text: "\n", delayMs: 3000 },
    });
    assert.equal(r.code, 0, describeRun(r));
    const raw = r.stdout.replace(/\r/g, "");
    // On a terminal the live progress view (-progress=auto) redraws its region between lines;
    // while the prompt waits for Enter, it draws nothing.
    assert.match(raw, /\[\+\] Building /, "the live view was drawn");
    const waiting = raw.slice(raw.indexOf("Press enter to continue."), raw.indexOf("Provisioner 2 (shell)"));
    assert.ok(!waiting.includes("[+] Building"), `the region was redrawn during the prompt:\n${waiting}`);
    const out = raw
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;]*[A-Za-z]/g, "")
      .split("\n")
      .filter((l) => !/^\[\+\] Building /.test(l) && !/^ => /.test(l))
      .join("\n");
    assert.match(
      out,
      /==> docker: Pausing at breakpoint provisioner\.\n==> docker: Press enter to continue\. ?\n/,
    );
    assert.ok(out.indexOf("Press enter to continue.") < out.indexOf("after-breakpoint"), out);
    assert.ok(r.durationMs >= 3000, `did not wait (${r.durationMs} ms)`);
  });
});
