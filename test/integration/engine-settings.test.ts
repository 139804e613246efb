// Engine settings through the CLI: an unusable DOCKER_HOST or docker context is invalid input
// (exit 2, before anything else), a docker context made by the real docker CLI selects the
// engine when DOCKER_HOST is unset, and DOCKER_HOST wins over it, as in the docker CLI.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runKiln, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { BUSYBOX, describeRun, removeProduced } from "./support/build.js";

after(async () => {
  await removeProduced();
  await assertNoKilnLeftovers({ context: "after the engine settings tests" });
});

function template(dir: string): string {
  const file = join(dir, "template.json");
  writeFileSync(
    file,
    JSON.stringify({
      variables: { how: "{{env `KILN_HOW`}}" },
      builders: [{ type: "docker", image: BUSYBOX, pull: false, discard: true }],
      provisioners: [{ type: "shell", inline: ["echo built-through-{{user `how`}}"] }],
    }),
  );
  return file;
}

/** A docker config dir with one context, made by the docker CLI itself. */
function contextConfig(dir: string, name: string, host: string): string {
  const config = join(dir, "docker-config");
  execFileSync("docker", ["context", "create", name, "--docker", `host=${host}`], {
    env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: config },
    stdio: "ignore",
  });
  return config;
}

describe("engine settings", () => {
  for (const [value, guess] of [
    ["npipe:////./pipe/docker_engine", "unix:///var/run/docker.sock"],
    ["fd://", "unix:///var/run/docker.sock"],
    ["unx:///var/run/docker.sock", "unix:///var/run/docker.sock"],
    ["tcp:/127.0.0.1:2375", "tcp://127.0.0.1:2375"],
  ] as const) {
    it(`DOCKER_HOST=${value} is invalid input for build and prune (exit 2), not an internal error`, async (t) => {
      const dir = tempDir(t);
      for (const args of [["build", template(dir)], ["prune"]]) {
        const r = await runKiln(args, { cwd: dir, env: { DOCKER_HOST: value, KILN_STATE_DIR: dir } });
        assert.equal(r.code, 2, `${args[0]}: ${describeRun(r)}`);
        assert.equal(r.stdout, "", "nothing else happened first");
        assert.match(
          r.stderr,
          new RegExp(`DOCKER_HOST=${value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not supported`),
        );
        assert.match(r.stderr, /Supported: unix:\/\/, tcp:\/\/, http:\/\/, https:\/\/ and ssh:\/\//);
        assert.ok(r.stderr.includes(`Did you mean DOCKER_HOST=${guess}?`), r.stderr);
        assert.doesNotMatch(r.stderr, /internal error/);
      }
    });
  }

  it("builds through the docker context named by DOCKER_CONTEXT (DOCKER_HOST unset)", async (t) => {
    const dir = tempDir(t);
    const engine = process.env.DOCKER_HOST ?? "";
    assert.ok(engine.startsWith("unix://"), "the harness exports the test engine's socket");
    const config = contextConfig(dir, "kiln-it", engine);
    const r = await runKiln(["build", "-color=false", template(dir)], {
      cwd: dir,
      env: { DOCKER_HOST: undefined, DOCKER_CONTEXT: "kiln-it", DOCKER_CONFIG: config, KILN_HOW: "context" },
    });
    assert.equal(r.code, 0, describeRun(r));
    const product = /^Using the (Docker|Podman) engine/.exec(r.stdout)?.[1] ?? "Docker";
    const version = new RegExp(`\\(${product} ([^,]+),`).exec(r.stdout)?.[1] ?? "?";
    assert.equal(
      r.stdout.split("\n")[0],
      `Using the ${product} engine at ${engine} (docker context "kiln-it") (${product} ${version}, API 1.41)`,
    );
    assert.match(r.stdout, /docker: built-through-context/);
  });

  it("DOCKER_HOST wins over DOCKER_CONTEXT; an unknown context is invalid input with a did-you-mean", async (t) => {
    const dir = tempDir(t);
    const config = contextConfig(dir, "nowhere", "unix:///nonexistent/kiln-it.sock");
    const wins = await runKiln(["build", "-color=false", template(dir)], {
      cwd: dir,
      env: { DOCKER_CONTEXT: "nowhere", DOCKER_CONFIG: config, KILN_HOW: "docker-host" },
    });
    assert.equal(wins.code, 0, describeRun(wins));
    assert.match(wins.stdout, /docker: built-through-docker-host/);

    const unknown = await runKiln(["build", template(dir)], {
      cwd: dir,
      env: { DOCKER_HOST: undefined, DOCKER_CONTEXT: "nowher", DOCKER_CONFIG: config },
    });
    assert.equal(unknown.code, 2, describeRun(unknown));
    assert.match(unknown.stderr, /the docker context "nowher" \(from DOCKER_CONTEXT\) does not exist/);
    assert.match(unknown.stderr, /Known contexts: default, nowhere\. Did you mean "nowhere"\?/);
  });
});
