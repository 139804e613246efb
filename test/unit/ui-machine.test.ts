import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { createMachineUi, escapeMachineField } from "../../src/ui/machine-ui.js";
import type { MachineUiOptions } from "../../src/ui/machine-ui.js";

function capture(): { stream: Writable; writes: string[]; text: () => string } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { stream, writes, text: () => writes.join("") };
}

// 1795323974 = the epoch seconds of the §g machine-readable transcript.
const NOW = (): Date => new Date(1795323974_789);

function machineUi(overrides: Partial<MachineUiOptions> = {}) {
  const out = capture();
  const ui = createMachineUi({ out: out.stream, now: NOW, ...overrides });
  return { ui, out };
}

describe("machine-readable Ui", () => {
  it("prints the §g transcript records", () => {
    const { ui, out } = machineUi();
    ui.announceBuilds?.(["docker"]);
    const b = ui.forBuild("docker");
    b.say("Creating a temporary directory for sharing data...");
    b.message(
      "Run command: docker run -v <HOME>/.packer.d/tmp564524507:/packer-files -d -i -t --entrypoint=/bin/sh -- bb:latest",
    );
    b.child("docker-tag").message("Repository: packer-research/bb-json:1.0");
    b.unprefixed?.().say("Build 'docker' finished after 760 milliseconds 649 microseconds.");
    ui.say("\n==> Wait completed after 760 milliseconds 716 microseconds");
    ui.say("\n==> Builds finished. The artifacts of successful builds are:");
    ui.machine("docker", "artifact-count", "2");
    ui.machine("docker", "artifact", "0", "builder-id", "packer.post-processor.docker-import");
    ui.machine("docker", "artifact", "0", "files-count", "0");
    ui.machine("docker", "artifact", "0", "end");
    ui.machine("", "error-count", "1");
    ui.machine("docker", "error", "Script exited with non-zero exit status: 3.Allowed exit codes are: [0]");
    assert.equal(
      out.text(),
      [
        "1795323974,,ui,say,==> docker: Creating a temporary directory for sharing data...",
        "1795323974,,ui,message,    docker: Run command: docker run -v <HOME>/.packer.d/tmp564524507:/packer-files -d -i -t --entrypoint=/bin/sh -- bb:latest",
        "1795323974,,ui,message,    docker (docker-tag): Repository: packer-research/bb-json:1.0",
        "1795323974,,ui,say,Build 'docker' finished after 760 milliseconds 649 microseconds.",
        "1795323974,,ui,say,\\n==> Wait completed after 760 milliseconds 716 microseconds",
        "1795323974,,ui,say,\\n==> Builds finished. The artifacts of successful builds are:",
        "1795323974,docker,artifact-count,2",
        "1795323974,docker,artifact,0,builder-id,packer.post-processor.docker-import",
        "1795323974,docker,artifact,0,files-count,0",
        "1795323974,docker,artifact,0,end",
        "1795323974,,error-count,1",
        "1795323974,docker,error,Script exited with non-zero exit status: 3.Allowed exit codes are: [0]",
        "",
      ].join("\n"),
    );
  });

  it("errors are ui,error records with the arrow prefix", () => {
    const { ui, out } = machineUi();
    ui.forBuild("docker").error("Error running container");
    ui.forBuild("docker").unprefixed?.().error("Build 'docker' errored after 1 second: boom");
    ui.error("\n==> Some builds didn't complete successfully and had errors:");
    assert.deepEqual(out.text().split("\n"), [
      "1795323974,,ui,error,==> docker: Error running container",
      "1795323974,,ui,error,Build 'docker' errored after 1 second: boom",
      "1795323974,,ui,error,\\n==> Some builds didn't complete successfully and had errors:",
      "",
    ]);
  });

  const escapes: [string, string][] = [
    ["a,b", "a%!(PACKER_COMMA)b"],
    ["line1\nline2", "line1\\nline2"],
    ["cr\r\n", "cr\\r\\n"],
    ["plain", "plain"],
    ["", ""],
    [",,\n", "%!(PACKER_COMMA)%!(PACKER_COMMA)\\n"],
  ];
  for (const [input, expected] of escapes) {
    it(`escapes ${JSON.stringify(input)}`, () => assert.equal(escapeMachineField(input), expected));
  }

  it("escapes multi-line build messages after prefixing every line", () => {
    const { ui, out } = machineUi();
    ui.forBuild("b").message("x, y\nz\r");
    assert.equal(out.text(), "1795323974,,ui,message,    b: x%!(PACKER_COMMA) y\\n    b: z\n");
  });

  it("records with no data end with a comma, as Packer's Fprintf does", () => {
    const { ui, out } = machineUi();
    ui.machine("", "version-prelease");
    assert.equal(out.text(), "1795323974,,version-prelease,\n");
  });

  it("masks secrets in every field (Packer 1.6.6 leaked them here)", () => {
    const { ui, out } = machineUi();
    ui.addSecret("TopSecret-9f3a");
    ui.forBuild("docker").message("env=TopSecret-9f3a");
    ui.forBuild("docker").message(`b64=${Buffer.from("TopSecret-9f3a").toString("base64")}`);
    ui.forBuild("docker").message(
      `url=${encodeURIComponent("TopSecret-9f3a")}&json=${JSON.stringify("TopSecret-9f3a")}`,
    );
    ui.machine("docker", "artifact", "0", "string", "token TopSecret-9f3a, done");
    ui.say("--> docker: TopSecret-9f3a");
    const text = out.text();
    assert.ok(!text.includes("TopSecret"), text);
    assert.ok(!text.includes(Buffer.from("TopSecret-9f3a").toString("base64")), text);
    assert.deepEqual(text.split("\n"), [
      "1795323974,,ui,message,    docker: env=<sensitive>",
      "1795323974,,ui,message,    docker: b64=<sensitive>",
      '1795323974,,ui,message,    docker: url=<sensitive>&json="<sensitive>"',
      "1795323974,docker,artifact,0,string,token <sensitive>%!(PACKER_COMMA) done",
      "1795323974,,ui,say,--> docker: <sensitive>",
      "",
    ]);
  });

  it("masks a secret containing a comma or newline before escaping", () => {
    const { ui, out } = machineUi();
    ui.addSecret("a,b\nc-secret");
    ui.forBuild("d").say("value: a,b\nc-secret end");
    assert.equal(out.text(), "1795323974,,ui,say,==> d: value: <sensitive> end\n");
  });

  it("-timestamp-ui stamps the ui text of build lines only", () => {
    const { ui, out } = machineUi({ timestamps: true });
    ui.forBuild("docker").say("Starting docker container...");
    ui.say("\n==> Wait completed after 1 second");
    assert.deepEqual(out.text().split("\n"), [
      "1795323974,,ui,say,2026-11-22T05:06:14Z: ==> docker: Starting docker container...",
      "1795323974,,ui,say,\\n==> Wait completed after 1 second",
      "",
    ]);
  });

  it("never asks and never colours", async () => {
    const { ui, out } = machineUi();
    assert.equal(ui.interactive, false);
    assert.equal(await ui.forBuild("docker").ask!("Continue?"), undefined);
    ui.announceBuilds?.(["docker"]);
    assert.equal(out.text(), "");
  });
});
