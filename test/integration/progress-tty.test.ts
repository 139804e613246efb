// -progress on the real engine, through the CLI: two builds at once (-parallel-builds=2) under a
// real pseudo-terminal (util-linux `script`) draw the live region (cursor movement, a line per
// build with its step) and erase it at the end, with the whole output still there; plain output
// (-progress=plain on the terminal, auto into a pipe) has no escape byte at all with -color=false;
// a bad value is invalid input (exit 2, did-you-mean) before the engine is contacted.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runCommand, runKiln, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { BUSYBOX, describeRun } from "./support/build.js";

/** A POSIX shell word. */
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs kiln on a pseudo-terminal of 100 columns (script -e returns kiln's exit code). */
const onTerminal = (command: string, args: string[]) => ({
  command: "script",
  args: ["-qfec", `stty cols 100 rows 40; exec ${[command, ...args].map(quote).join(" ")}`, "/dev/null"],
});

/** Cursor up n lines and erase to the end of the screen: how the region is erased. */
// eslint-disable-next-line no-control-regex
const ERASE = /\u001b\[\d+F\u001b\[J/g;

function twoBuilds(dir: string): void {
  const source = (name: string) => ({ type: "docker", name, image: BUSYBOX, discard: true, pull: false });
  writeFileSync(
    path.join(dir, "t.json"),
    JSON.stringify({
      builders: [source("alpha"), source("beta")],
      provisioners: [
        { type: "shell", inline: ["echo first-of-{{build_name}}"] },
        { type: "shell", inline: ["sleep 2", "echo second-of-{{build_name}}"] },
      ],
    }),
  );
}

describe("progress view (real engine, pseudo-terminal)", () => {
  before(async () => {
    const r = await runCommand("script", ["--version"]);
    assert.equal(r.code, 0, `util-linux script is needed for these tests: ${r.output}`);
  });
  after(async () => {
    await assertNoKilnLeftovers({ context: "after the progress tests" });
  });

  it("tty: a live line per running build, erased at the end; every output line still printed", async (t) => {
    const dir = tempDir(t);
    twoBuilds(dir);
    const r = await runKiln(["build", "-no-cache", "-parallel-builds=2", "-color=false", "t.json"], {
      cwd: dir,
      env: { TERM: "xterm", CI: undefined },
      wrap: onTerminal,
      timeoutMs: 180_000,
    });
    assert.equal(r.code, 0, describeRun(r));
    const out = r.stdout.replace(/\r\n/g, "\n");
    assert.ok((out.match(ERASE) ?? []).length >= 2, `the region is redrawn:\n${JSON.stringify(out)}`);
    assert.match(out, /\[\+\] Building \d+\.\ds \(\d running/);
    assert.match(out, / => alpha +step [12]\/\d+ /, "alpha's line, with its step k of n");
    assert.match(out, / => beta +step [12]\/\d+ /, "beta's line, with its step k of n");
    for (const line of [
      "alpha: first-of-alpha",
      "beta: first-of-beta",
      "alpha: second-of-alpha",
      "beta: second-of-beta",
      "Build 'alpha' finished after",
      "Build 'beta' finished after",
      "==> Wait completed after",
    ])
      assert.ok(out.includes(line), `${line} is printed:\n${out}`);
    // After the last erase, nothing of the region is drawn again: the terminal ends clean.
    const tail = out.slice(out.lastIndexOf("\u001b[J") + 3);
    assert.ok(!tail.includes("[+] Building") && !tail.includes(" => "), `region left on screen:\n${tail}`);
    // Lines of the region never exceed the terminal's width.
    for (const line of out.split(ERASE).flatMap((s) => s.split("\n")))
      if (line.startsWith("[+]") || line.startsWith(" => ")) assert.ok([...line].length < 100, line);
  });

  it("plain on a terminal, and auto into a pipe: not one escape byte", async (t) => {
    const dir = tempDir(t);
    twoBuilds(dir);
    const plain = await runKiln(
      ["build", "-no-cache", "-parallel-builds=2", "-color=false", "-progress=plain", "t.json"],
      {
        cwd: dir,
        env: { TERM: "xterm", CI: undefined },
        wrap: onTerminal,
        timeoutMs: 180_000,
      },
    );
    assert.equal(plain.code, 0, describeRun(plain));
    assert.ok(
      !plain.stdout.includes("\u001b"),
      `no ESC with -progress=plain:\n${JSON.stringify(plain.stdout)}`,
    );
    assert.match(plain.stdout, /alpha: second-of-alpha/);

    const piped = await runKiln(["build", "-no-cache", "-parallel-builds=2", "-color=false", "t.json"], {
      cwd: dir,
      env: { TERM: "xterm", CI: undefined },
      timeoutMs: 180_000,
    });
    assert.equal(piped.code, 0, describeRun(piped));
    assert.ok(!piped.output.includes("\u001b"), `no ESC into a pipe:\n${JSON.stringify(piped.output)}`);
    assert.match(piped.stdout, /beta: second-of-beta/);
  });

  it("-machine-readable on a terminal stays plain records", async (t) => {
    const dir = tempDir(t);
    twoBuilds(dir);
    const r = await runKiln(
      ["build", "-no-cache", "-machine-readable", "-progress=tty", "-only=alpha", "t.json"],
      {
        cwd: dir,
        env: { TERM: "xterm", CI: undefined },
        wrap: onTerminal,
        timeoutMs: 180_000,
      },
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.ok(!r.stdout.includes("\u001b[J"), "no region erased: none drawn");
    assert.match(r.stdout, /^\d+,alpha,artifact-count,1\r?$/m, "machine-readable records");
  });

  it("a bad value: exit 2 with the choices and did-you-mean, the engine never contacted", async (t) => {
    const dir = tempDir(t);
    twoBuilds(dir);
    for (const cmd of [
      ["build", "-progress=ttty", "t.json"],
      ["chain", "-progress=ttty", "chain.json"],
    ]) {
      const r = await runKiln(cmd, { cwd: dir, env: { DOCKER_HOST: "tcp://127.0.0.1:9" } });
      assert.equal(r.code, 2, describeRun(r));
      assert.match(r.stderr, /-progress: expected auto, tty or plain, got "ttty"; did you mean "tty"\?/);
      assert.ok(!/Cannot reach|127\.0\.0\.1:9/.test(r.output), r.output);
    }
  });
});
