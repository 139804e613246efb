// Sanity checks of the test harness itself: the engine answers, the base images exist and run, and
// the process helpers capture output and deliver signals.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { BASE_LABEL, REQUIRED_APPLETS } from "../harness/base-images.js";
import { dockerJson, dockerRequest, inspectImage, runContainer } from "../harness/docker-api.js";
import { runCommand, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers, countKilnObjects, snapshotKilnObjects } from "../harness/leaks.js";

function requiredEnv(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run integration tests through \`node scripts/test.mjs integration\``);
  return value;
}

describe("test harness", () => {
  const busybox = requiredEnv("KILN_TEST_BUSYBOX");
  const debian = requiredEnv("KILN_TEST_DEBIAN");
  let baseline: Set<string>;

  before(async () => {
    baseline = await snapshotKilnObjects();
  });
  after(async () => {
    await assertNoKilnLeftovers({ baseline });
  });

  it("talks to an engine that answers /_ping", async () => {
    const res = await dockerRequest("GET", "/_ping");
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "OK");
    const version = await dockerJson<{ ApiVersion: string }>("GET", "/version");
    assert.match(version.ApiVersion, /^1\.\d+$/);
  });

  for (const [name, cmd] of [
    ["busybox", ["/bin/sh"]],
    ["debian", ["bash"]],
  ] as const) {
    it(`has the ${name} base image, labelled, with its CMD`, async () => {
      const image = await inspectImage(name === "busybox" ? busybox : debian);
      assert.ok(image, `${name} base image missing`);
      assert.deepEqual(image.Config?.Cmd, cmd);
      assert.equal(image.Config?.Labels?.[BASE_LABEL], "1");
    });
  }

  it("runs a command in each base image", async () => {
    for (const image of [busybox, debian]) {
      const result = await runContainer(image, ["/bin/sh", "-c", "echo ok; echo err >&2"]);
      assert.deepEqual(result, { exitCode: 0, stdout: "ok\n", stderr: "err\n" }, image);
    }
  });

  it("busybox image has /tmp (1777), /etc/passwd, users and the applets tests rely on", async () => {
    const script = [
      "stat -c '%a %U' /tmp",
      "grep '^root:x:0:0:' /etc/passwd",
      "id app",
      "id -u nobody",
      `for a in ${REQUIRED_APPLETS.map((a) => `'${a}'`).join(" ")}; do command -v "$a" >/dev/null || echo "missing $a"; done`,
    ].join(" && ");
    const result = await runContainer(busybox, ["/bin/sh", "-c", script]);
    assert.equal(result.stderr, "");
    assert.equal(result.exitCode, 0);
    assert.deepEqual(result.stdout.trim().split("\n"), [
      "1777 root",
      "root:x:0:0:root:/root:/bin/sh",
      "uid=1000(app) gid=1000(app) groups=1000(app)",
      "65534",
    ]);
    const asApp = await runContainer(busybox, ["/bin/sh", "-c", "id -un && touch /tmp/x && echo $HOME"], {
      user: "app",
    });
    assert.deepEqual(asApp, { exitCode: 0, stdout: "app\n/home/app\n", stderr: "" });
  });

  it("debian image is bookworm with apt", async () => {
    const result = await runContainer(debian, ["bash", "-c", "cat /etc/debian_version; command -v apt-get"]);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /^12\.\d+\n\/usr\/bin\/apt-get\n$/);
  });

  it("counts and ignores objects by label", async () => {
    const counts = await countKilnObjects();
    assert.equal(counts.containers + counts.images, counts.objects.length);
    assert.ok(
      counts.objects.every((o) => baseline.has(o.id)),
      "no new kiln objects during these tests",
    );
  });

  it("runCommand captures output and sends a signal when the output matches", async (t) => {
    const dir = tempDir(t);
    assert.ok(existsSync(dir));
    const script =
      "process.stdin.pipe(process.stdout); process.on('SIGTERM', () => { console.error('got SIGTERM'); process.exit(3); }); setTimeout(() => {}, 30000);";
    const result = await runCommand(process.execPath, ["-e", script], {
      cwd: dir,
      input: "ready\n",
      timeoutMs: 20_000,
      signalAfter: { signal: "SIGTERM", whenOutputMatches: /ready/ },
    });
    assert.equal(result.timedOut, false);
    assert.deepEqual(result.signalsSent, ["SIGTERM"]);
    assert.equal(result.code, 3);
    assert.equal(result.stdout, "ready\n");
    assert.equal(result.stderr, "got SIGTERM\n");
  });
});
