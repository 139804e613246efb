// Runs the real protocol against the fake helper in test/fixtures/bin (a shell script).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, beforeEach, describe, it } from "node:test";
import {
  CredentialHelperError,
  getFromCredentialHelper,
  parseHelperOutput,
} from "../../src/auth/credential-helper.js";

const BIN = fileURLToPath(new URL("../fixtures/bin", import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-helper-"));
const env = { PATH: `${BIN}:${process.env.PATH ?? ""}`, KILNTEST_CRED_DIR: dir };
const keyFile = (server: string): string => path.join(dir, `${server.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);

after(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  rmSync(path.join(dir, "calls.log"), { force: true });
  rmSync(path.join(dir, "broken"), { force: true });
});

describe("getFromCredentialHelper", () => {
  it("sends the server URL on stdin and reads Username/Secret", async () => {
    writeFileSync(
      keyFile("127.0.0.1:5000"),
      JSON.stringify({ ServerURL: "127.0.0.1:5000", Username: "kiln", Secret: "pw:from-helper" }),
    );
    const auth = await getFromCredentialHelper("kilntest", "127.0.0.1:5000", { env });
    assert.deepEqual(auth, { username: "kiln", password: "pw:from-helper", serveraddress: "127.0.0.1:5000" });
    // argv is only `get`; the server came through stdin.
    assert.equal(readFileSync(path.join(dir, "calls.log"), "utf8"), "get|127.0.0.1:5000\n");
  });

  it("maps the <token> user name to an identity token", async () => {
    writeFileSync(
      keyFile("https://index.docker.io/v1/"),
      JSON.stringify({ Username: "<token>", Secret: "idtok-123456" }),
    );
    const auth = await getFromCredentialHelper("kilntest", "https://index.docker.io/v1/", { env });
    assert.deepEqual(auth, { identitytoken: "idtok-123456", serveraddress: "https://index.docker.io/v1/" });
  });

  it("returns undefined for 'credentials not found'", async () => {
    assert.equal(await getFromCredentialHelper("kilntest", "nowhere.example", { env }), undefined);
  });

  it("reports a helper that fails for another reason", async () => {
    writeFileSync(path.join(dir, "broken"), "");
    await assert.rejects(
      getFromCredentialHelper("kilntest", "locked.example", { env }),
      (e: unknown) =>
        e instanceof CredentialHelperError &&
        e.reason === "failed" &&
        /exit 3.*keychain is locked/.test(e.message),
    );
  });

  it("reports a helper missing from PATH", async () => {
    await assert.rejects(
      getFromCredentialHelper("kilntest-missing", "x.example", { env }),
      (e: unknown) =>
        e instanceof CredentialHelperError &&
        e.reason === "missing" &&
        e.message.includes("docker-credential-kilntest-missing"),
    );
  });

  it("gives up on a helper that hangs", async () => {
    const started = Date.now();
    await assert.rejects(
      getFromCredentialHelper("kilntest", "slow.example", {
        env: { ...env, KILNTEST_HELPER_SLEEP: "5" },
        timeoutMs: 300,
      }),
      (e: unknown) => e instanceof CredentialHelperError && e.reason === "timeout",
    );
    assert.ok(Date.now() - started < 3000);
  });

  it("refuses helper names that are paths", async () => {
    await assert.rejects(getFromCredentialHelper("../../bin/sh", "x", { env }), CredentialHelperError);
  });
});

describe("parseHelperOutput", () => {
  it("never quotes output that is not JSON (it may be the secret)", () => {
    assert.throws(
      () => parseHelperOutput("x", "plain-secret-text", "s"),
      (e: unknown) => e instanceof CredentialHelperError && !e.message.includes("plain-secret-text"),
    );
  });
  it("treats an empty secret as no credentials", () => {
    assert.equal(parseHelperOutput("x", JSON.stringify({ Username: "u", Secret: "" }), "s"), undefined);
  });
});
