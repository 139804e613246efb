import assert from "node:assert/strict";
import { PassThrough, Writable } from "node:stream";
import { describe, it } from "node:test";
import { colorEnabled } from "../../src/ui/format.js";
import { createHumanUi } from "../../src/ui/human-ui.js";
import type { HumanUiOptions } from "../../src/ui/human-ui.js";

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

const caret = (text: string): string => text.replaceAll("\u001b", "^[");
const NOW = (): Date => new Date("2026-11-22T05:13:20.345Z");

function humanUi(overrides: Partial<HumanUiOptions> = {}) {
  const out = capture();
  const ui = createHumanUi({
    out: out.stream,
    color: false,
    timestamps: false,
    interactive: false,
    ...overrides,
  });
  return { ui, out };
}

/** Drives the §g docker build through a Ui (same calls the runner makes). */
function playTranscript(ui: ReturnType<typeof humanUi>["ui"]): void {
  ui.announceBuilds?.(["docker"]);
  const b = ui.forBuild("docker");
  b.say("Creating a temporary directory for sharing data...");
  b.say("Starting docker container...");
  b.message(
    "Run command: docker run -v <HOME>/.packer.d/tmp1:/packer-files -d -i -t --entrypoint=/bin/sh -- bb:latest",
  );
  b.say("Running post-processor: docker-tag");
  b.child("docker-tag").message("Repository: packer-research/bb-json:1.0");
  b.unprefixed?.().say("Build 'docker' finished after 713 milliseconds 563 microseconds.");
  ui.say("\n==> Wait completed after 713 milliseconds 636 microseconds");
  ui.say("\n==> Builds finished. The artifacts of successful builds are:");
  ui.say("--> docker: Imported Docker image: sha256:d236");
}

describe("human Ui", () => {
  it("prints the -color=false transcript of §g", () => {
    const { ui, out } = humanUi();
    playTranscript(ui);
    assert.equal(
      out.text(),
      [
        "==> docker: Creating a temporary directory for sharing data...",
        "==> docker: Starting docker container...",
        "    docker: Run command: docker run -v <HOME>/.packer.d/tmp1:/packer-files -d -i -t --entrypoint=/bin/sh -- bb:latest",
        "==> docker: Running post-processor: docker-tag",
        "    docker (docker-tag): Repository: packer-research/bb-json:1.0",
        "Build 'docker' finished after 713 milliseconds 563 microseconds.",
        "",
        "==> Wait completed after 713 milliseconds 636 microseconds",
        "",
        "==> Builds finished. The artifacts of successful builds are:",
        "--> docker: Imported Docker image: sha256:d236",
        "",
      ].join("\n"),
    );
  });

  it("prints the coloured transcript of §g byte for byte", () => {
    const { ui, out } = humanUi({ color: true });
    playTranscript(ui);
    assert.equal(
      caret(out.text()),
      [
        "^[[1;32mdocker: output will be in this color.^[[0m",
        "",
        "^[[1;32m==> docker: Creating a temporary directory for sharing data...^[[0m",
        "^[[1;32m==> docker: Starting docker container...^[[0m",
        "^[[0;32m    docker: Run command: docker run -v <HOME>/.packer.d/tmp1:/packer-files -d -i -t --entrypoint=/bin/sh -- bb:latest^[[0m",
        "^[[1;32m==> docker: Running post-processor: docker-tag^[[0m",
        "^[[0;32m    docker (docker-tag): Repository: packer-research/bb-json:1.0^[[0m",
        "^[[1;32mBuild 'docker' finished after 713 milliseconds 563 microseconds.^[[0m",
        "",
        "==> Wait completed after 713 milliseconds 636 microseconds",
        "",
        "==> Builds finished. The artifacts of successful builds are:",
        "--> docker: Imported Docker image: sha256:d236",
        "",
      ].join("\n"),
    );
  });

  it("errors are bold red, also the unprefixed 'errored after' line", () => {
    const { ui, out } = humanUi({ color: true });
    ui.announceBuilds?.(["a"]);
    const b = ui.forBuild("a");
    b.error("Error running container");
    b.unprefixed?.().error("Build 'a' errored after 1 second: boom");
    ui.error("\n==> Some builds didn't complete successfully and had errors:");
    assert.deepEqual(caret(out.text()).split("\n"), [
      "^[[1;32ma: output will be in this color.^[[0m",
      "",
      "^[[1;31m==> a: Error running container^[[0m",
      "^[[1;31mBuild 'a' errored after 1 second: boom^[[0m",
      "",
      "==> Some builds didn't complete successfully and had errors:",
      "",
    ]);
  });

  it("cycles green, cyan, magenta, yellow, blue by build order, announcing all before one blank line", () => {
    const { ui, out } = humanUi({ color: true });
    ui.announceBuilds?.(["b1", "b2", "b3", "b4", "b5", "b6"]);
    ui.forBuild("b6").say("six");
    ui.forBuild("b2").message("two");
    const lines = caret(out.text()).split("\n");
    assert.deepEqual(lines.slice(0, 7), [
      "^[[1;32mb1: output will be in this color.^[[0m",
      "^[[1;36mb2: output will be in this color.^[[0m",
      "^[[1;35mb3: output will be in this color.^[[0m",
      "^[[1;33mb4: output will be in this color.^[[0m",
      "^[[1;34mb5: output will be in this color.^[[0m",
      "^[[1;32mb6: output will be in this color.^[[0m",
      "",
    ]);
    assert.deepEqual(lines.slice(7), ["^[[1;32m==> b6: six^[[0m", "^[[0;36m    b2: two^[[0m", ""]);
  });

  it("introduces a build that was never announced on its first line", () => {
    const { ui, out } = humanUi({ color: true });
    ui.forBuild("x").say("hi");
    ui.forBuild("x").say("again");
    assert.equal(
      caret(out.text()),
      "^[[1;32mx: output will be in this color.^[[0m\n\n^[[1;32m==> x: hi^[[0m\n^[[1;32m==> x: again^[[0m\n",
    );
  });

  it("prints no colour line at all with colour off (as -color=false in §g)", () => {
    const { ui, out } = humanUi({ color: false });
    ui.announceBuilds?.(["docker"]);
    ui.forBuild("docker").say("x");
    assert.equal(out.text(), "==> docker: x\n");
  });

  // Packer trims the whitespace at the end of the whole prefixed text only: inner lines keep
  // theirs, and trailing empty lines vanish except for their prefix.
  it("prefixes every line of a multi-line message and trims trailing whitespace as Packer", () => {
    const { ui, out } = humanUi();
    const b = ui.forBuild("demo.docker.bb");
    b.say("first\nsecond  \n\n");
    b.message("a\n\nb");
    b.say("");
    b.message("trailing   ");
    assert.equal(
      out.text(),
      [
        "==> demo.docker.bb: first",
        "==> demo.docker.bb: second  ",
        "==> demo.docker.bb: ",
        "==> demo.docker.bb:",
        "    demo.docker.bb: a",
        "    demo.docker.bb: ",
        "    demo.docker.bb: b",
        "==> demo.docker.bb:",
        "    demo.docker.bb: trailing",
        "",
      ].join("\n"),
    );
  });

  it("writes each message (even multi-line) in one write call", () => {
    const { ui, out } = humanUi({ color: true });
    ui.announceBuilds?.(["a", "b"]);
    out.writes.length = 0;
    ui.forBuild("a").message("1\n2\n3");
    ui.forBuild("b").say("x");
    assert.deepEqual(out.writes.map(caret), [
      "^[[0;32m    a: 1\n    a: 2\n    a: 3^[[0m\n",
      "^[[1;36m==> b: x^[[0m\n",
    ]);
  });

  it("-timestamp-ui stamps build lines (once per message, inside the colour), not the summary", () => {
    const { ui, out } = humanUi({ color: true, timestamps: true, now: NOW });
    ui.announceBuilds?.(["docker"]);
    const b = ui.forBuild("docker");
    b.say("Starting docker container...");
    b.child("docker-tag").message("Repository: r:1\nnext");
    b.unprefixed?.().say("Build 'docker' finished after 1 second.");
    ui.say("\n==> Wait completed after 1 second");
    assert.deepEqual(caret(out.text()).split("\n"), [
      "^[[1;32mdocker: output will be in this color.^[[0m",
      "",
      "^[[1;32m2026-11-22T05:13:20Z: ==> docker: Starting docker container...^[[0m",
      "^[[0;32m2026-11-22T05:13:20Z:     docker (docker-tag): Repository: r:1",
      "    docker (docker-tag): next^[[0m",
      "^[[1;32m2026-11-22T05:13:20Z: Build 'docker' finished after 1 second.^[[0m",
      "",
      "==> Wait completed after 1 second",
      "",
    ]);
  });

  it("masks secrets in build lines, plain lines and prefixes", () => {
    const { ui, out } = humanUi();
    ui.addSecret("TopSecret-9f3a");
    ui.forBuild("docker").message("env=TopSecret-9f3a");
    ui.say("--> docker: TopSecret-9f3a");
    assert.equal(out.text(), "    docker: env=<sensitive>\n--> docker: <sensitive>\n");
    assert.equal(ui.mask("x TopSecret-9f3a y"), "x <sensitive> y");
  });

  it("masks every encoding of a secret, and multi-line secrets before prefixing", () => {
    const { ui, out } = humanUi();
    ui.addSecret("p@ss w'rd/1");
    ui.addSecret("line-one\nline-two");
    const b = ui.forBuild("docker");
    b.message(`b64=${Buffer.from("p@ss w'rd/1").toString("base64")}`);
    b.message(`url=${encodeURIComponent("p@ss w'rd/1")}`);
    b.message(`json=${JSON.stringify({ pw: "p@ss w'rd/1" })}`);
    b.message(`sh='p@ss w'"'"'rd/1'`);
    b.message("key:\nline-one\nline-two");
    b.message("only line-two");
    assert.equal(
      out.text(),
      [
        "    docker: b64=<sensitive>",
        "    docker: url=<sensitive>",
        '    docker: json={"pw":"<sensitive>"}',
        "    docker: sh='<sensitive>'",
        "    docker: key:",
        "    docker: <sensitive>",
        "    docker: only <sensitive>",
        "",
      ].join("\n"),
    );
  });

  it("ask prompts with the prefixed question and reads one line at a time", async () => {
    const input = new PassThrough();
    const { ui, out } = humanUi({ interactive: true, input, color: true });
    ui.announceBuilds?.(["docker"]);
    const b = ui.forBuild("docker");
    const first = b.ask!("Retry? [y/n]");
    b.say("held until answered");
    input.write("  y  \nsecond\n");
    assert.equal(await first, "y");
    assert.equal(await b.ask!("Again?"), "second");
    input.end();
    assert.equal(await b.ask!("Gone?"), undefined);
    ui.close?.();
    assert.deepEqual(caret(out.text()).split("\n").slice(2), [
      "^[[1;32m==> docker: Retry? [y/n]^[[0m ^[[1;32m==> docker: held until answered^[[0m",
      "^[[1;32m==> docker: Again?^[[0m ^[[1;32m==> docker: Gone?^[[0m ",
    ]);
  });

  it("ask returns undefined when not interactive, without printing", async () => {
    const input = new PassThrough();
    const { ui, out } = humanUi({ interactive: false, input });
    assert.equal(ui.interactive, false);
    assert.equal(await ui.forBuild("docker").ask!("Continue?"), undefined);
    assert.equal(out.text(), "");
  });

  it("machine() is a no-op in human mode", () => {
    const { ui, out } = humanUi();
    ui.machine("docker", "artifact-count", "1");
    assert.equal(out.text(), "");
  });
});

describe("colorEnabled", () => {
  const cases: [boolean | undefined, Record<string, string>, boolean][] = [
    [undefined, {}, true],
    [false, {}, false],
    [true, {}, true],
    [undefined, { NO_COLOR: "1" }, false],
    [undefined, { NO_COLOR: "" }, true],
    [true, { NO_COLOR: "1" }, true],
    [undefined, { PACKER_NO_COLOR: "1" }, false],
    [true, { PACKER_NO_COLOR: "1" }, false],
    [undefined, { PACKER_NO_COLOR: "" }, true],
  ];
  for (const [flag, env, expected] of cases) {
    it(`flag=${String(flag)} env=${JSON.stringify(env)} → ${expected}`, () => {
      assert.equal(colorEnabled(flag, env), expected);
    });
  }
});
