// Podman as the daemonless default: with no DOCKER_HOST, no context, and nothing answering at
// /var/run/docker.sock, kiln starts `podman system service` on a private socket for the run and
// stops it at the end, also when kiln is killed with SIGKILL. "Nothing answers" is made real in a
// private mount namespace where /var/run/docker.sock is /dev/null (the machine's own socket stays
// untouched for everyone else). Podman runs on a private storage root (CONTAINERS_STORAGE_CONF)
// with this machine's containers.conf (test/harness/podman.ts), never the system's storage.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { busyboxRootfs } from "../harness/base-images.js";
import { runCommand, tempDir, KILN_BIN } from "../harness/kiln.js";
import { CONTAINERS_CONF, PODMAN_BIN } from "../harness/podman.js";
import { describeRun } from "./support/build.js";

let dir: string;
let env: Record<string, string | undefined>;

function podman(...args: string[]): string {
  return execFileSync(PODMAN_BIN, args, {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
}

/** kiln in a mount namespace where the default socket is /dev/null: no engine answers there. */
function kilnWithoutDocker(
  args: string[],
  opts: Parameters<typeof runCommand>[2] = {},
): ReturnType<typeof runCommand> {
  // The root mount is made private in the namespace (so the bind stays there), while the shared
  // /run/netns keeps propagating: Podman's per-container network namespaces, mounted there, must
  // outlive this namespace for the next run (and the podman CLI) to remove the container.
  const script =
    'mount --make-private / && { [ ! -e /var/run/docker.sock ] || mount --bind /dev/null /var/run/docker.sock; } && exec "$@"';
  return runCommand(
    "unshare",
    ["--mount", "--propagation", "unchanged", "sh", "-c", script, "sh", process.execPath, KILN_BIN, ...args],
    { ...opts, cwd: dir, env: { ...env, ...opts.env } },
  );
}

/** Processes whose command line names `text` (the private socket of one run). */
function processesNaming(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

before(async () => {
  assert.ok(existsSync(PODMAN_BIN), `${PODMAN_BIN} is missing: apt-get install podman`);
  dir = tempDir(undefined, "kiln-daemonless-");
  writeFileSync(join(dir, "containers.conf"), CONTAINERS_CONF);
  writeFileSync(
    join(dir, "storage.conf"),
    `[storage]\ndriver = "overlay"\ngraphroot = "${join(dir, "storage")}"\nrunroot = "${join(dir, "runroot")}"\n`,
  );
  env = {
    DOCKER_HOST: undefined,
    DOCKER_CONTEXT: undefined,
    DOCKER_CONFIG: join(dir, "docker-config"),
    CONTAINERS_CONF: join(dir, "containers.conf"),
    CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
    XDG_RUNTIME_DIR: join(dir),
    KILN_STATE_DIR: join(dir, "state"),
  };
  writeFileSync(join(dir, "rootfs.tar"), await busyboxRootfs());
  podman("import", "--change", 'CMD ["/bin/sh"]', join(dir, "rootfs.tar"), "kiln-test/busybox:1");
  writeFileSync(
    join(dir, "template.json"),
    JSON.stringify({
      builders: [{ type: "docker", image: "kiln-test/busybox:1", pull: false, commit: true }],
      provisioners: [{ type: "shell", inline: ["echo running-on-$container", "echo made > /made.txt"] }],
      "post-processors": [{ type: "docker-tag", repository: "kiln-it/daemonless", tags: ["1"] }],
    }),
  );
  writeFileSync(
    join(dir, "slow.json"),
    JSON.stringify({
      builders: [{ type: "docker", image: "kiln-test/busybox:1", pull: false, discard: true }],
      provisioners: [{ type: "shell", inline: ["echo ready-to-kill", "sleep 120"] }],
    }),
  );
});

after(() => {
  // The private storage holds overlay mounts of removed containers until podman lets go of them.
  try {
    podman("system", "reset", "--force");
  } catch {
    // reported by the tests themselves
  }
});

describe("Podman as the daemonless default", () => {
  it("starts podman system service for the run, says so first, and leaves nothing running", async () => {
    const r = await kilnWithoutDocker(["build", "-color=false", "template.json"]);
    assert.equal(r.code, 0, describeRun(r));
    const first = r.stdout.split("\n")[0] ?? "";
    const socket =
      /^Using the Podman engine at unix:\/\/(\S+\/kiln-podman-\w+\/podman\.sock) \(Podman 4\.\d+\.\d+, API 1\.41\), started by kiln for this run: no engine answers at unix:\/\/\/var\/run\/docker\.sock$/.exec(
        first,
      )?.[1];
    assert.ok(socket, `first line: ${first}`);
    assert.ok(socket.startsWith(dir), "the socket is under XDG_RUNTIME_DIR");
    assert.match(r.stdout, /docker: running-on-podman/);
    const image = JSON.parse(podman("image", "inspect", "kiln-it/daemonless:1")) as {
      Config: { Cmd: string[] };
    }[];
    assert.deepEqual(
      image[0]?.Config.Cmd,
      ["/bin/sh"],
      "the commit kept the base image's Cmd (config sent as changes)",
    );
    podman("rmi", "kiln-it/daemonless:1");
    assert.deepEqual(processesNaming(socket), [], "the Podman service is stopped when kiln exits");
    assert.equal(existsSync(join(socket, "..")), false, "its socket directory is removed");
    assert.equal(podman("ps", "-aq").trim(), "", "no container is left");
  });

  it("after SIGKILL, the watchdog stops the service; the next run removes the build container", async () => {
    let socket: string | undefined;
    const r = await kilnWithoutDocker(["build", "-color=false", "slow.json"], {
      signalAfter: { whenOutputMatches: /docker: ready-to-kill/, signal: "SIGKILL" },
      timeoutMs: 90_000,
      onOutput: (output) => (socket ??= /at unix:\/\/(\S+podman\.sock)/.exec(output)?.[1]),
    });
    assert.equal(r.signal, "SIGKILL", describeRun(r));
    assert.ok(socket, describeRun(r));
    for (let i = 0; i < 100 && processesNaming(socket).length > 0; i++) await sleep(100);
    assert.deepEqual(processesNaming(socket), [], "the Podman service stopped with kiln");
    assert.equal(existsSync(join(socket, "..")), false, "its socket directory is removed");
    assert.notEqual(podman("ps", "-aq").trim(), "", "the killed run left its container");

    const again = await kilnWithoutDocker(["build", "-color=false", "template.json"]);
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.stdout, /Removed [1-9]\d* leftover\(s\) of earlier interrupted kiln runs\./);
    podman("rmi", "kiln-it/daemonless:1");
    assert.equal(podman("ps", "-aq").trim(), "", "the leftover container was removed");
  });
});
