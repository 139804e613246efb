import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { createHumanUi } from "../../src/ui/human-ui.js";
import { createLogger, logEnabled } from "../../src/ui/log.js";
import { SecretMasker } from "../../src/ui/mask.js";

function capture(): { stream: Writable; text: () => string } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => writes.join("") };
}

const NOW = (): Date => new Date("2026-11-22T05:13:20.345Z");
const dir = mkdtempSync(join(tmpdir(), "kiln-log-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("debug logger", () => {
  const table: [Record<string, string>, boolean][] = [
    [{}, false],
    [{ PACKER_LOG: "" }, false],
    [{ PACKER_LOG: "0" }, false],
    [{ PACKER_LOG: "1" }, true],
    [{ KILN_LOG: "debug" }, true],
    [{ KILN_LOG: "0", PACKER_LOG: "1" }, true],
  ];
  for (const [env, expected] of table) {
    it(`${JSON.stringify(env)} → ${expected ? "on" : "off"}`, () => assert.equal(logEnabled(env), expected));
  }

  it("is a no-op when off", () => {
    const err = capture();
    const log = createLogger({}, { stderr: err.stream });
    assert.equal(log.enabled, false);
    log.debug("nothing");
    assert.equal(err.text(), "");
  });

  it("writes timestamped, masked lines to stderr", () => {
    const err = capture();
    const masker = new SecretMasker();
    masker.add("hunter2-secret");
    const log = createLogger({ PACKER_LOG: "1" }, { stderr: err.stream, masker, now: NOW });
    assert.equal(log.enabled, true);
    log.debug("exec with TOKEN=hunter2-secret\nsecond line");
    assert.equal(
      err.text(),
      "2026-11-22T05:13:20.345Z exec with TOKEN=<sensitive>\n2026-11-22T05:13:20.345Z second line\n",
    );
  });

  it("appends to KILN_LOG_PATH (preferred) or PACKER_LOG_PATH, creating it 0600", () => {
    const path = join(dir, "kiln.log");
    writeFileSync(path, "existing\n");
    const err = capture();
    const log = createLogger(
      { KILN_LOG: "1", KILN_LOG_PATH: path, PACKER_LOG_PATH: join(dir, "unused.log") },
      { stderr: err.stream, now: NOW },
    );
    log.debug("hello");
    log.close();
    log.debug("after close is dropped");
    assert.equal(readFileSync(path, "utf8"), "existing\n2026-11-22T05:13:20.345Z hello\n");
    assert.equal(err.text(), "");

    const fresh = join(dir, "packer.log");
    const plog = createLogger({ PACKER_LOG: "1", PACKER_LOG_PATH: fresh }, { now: NOW });
    plog.debug("x");
    plog.close();
    assert.equal(statSync(fresh).mode & 0o777, 0o600);
  });

  it("fails up front, naming the path, when the log file cannot be opened", () => {
    const bad = join(dir, "missing-dir", "x.log");
    assert.throws(
      () => createLogger({ PACKER_LOG: "1", PACKER_LOG_PATH: bad }),
      (e: Error) => e.message.includes(bad),
    );
  });

  it("receives every Ui line, masked, from the human Ui", () => {
    const err = capture();
    const masker = new SecretMasker();
    const log = createLogger({ KILN_LOG: "1" }, { stderr: err.stream, masker, now: NOW });
    const out = capture();
    const ui = createHumanUi({
      out: out.stream,
      color: true,
      timestamps: false,
      interactive: false,
      masker,
      log,
    });
    ui.addSecret("TopSecret-9f3a");
    ui.forBuild("docker").say("token TopSecret-9f3a");
    ui.error("bad TopSecret-9f3a");
    assert.equal(
      err.text(),
      "2026-11-22T05:13:20.345Z ui: docker: output will be in this color.\n" +
        "2026-11-22T05:13:20.345Z ui: \n" +
        "2026-11-22T05:13:20.345Z ui: ==> docker: token <sensitive>\n" +
        "2026-11-22T05:13:20.345Z ui error: bad <sensitive>\n",
    );
  });
});
