// Rootless Podman: kiln run by an unprivileged user with no engine it may use starts that user's
// own `podman system service` (in $XDG_RUNTIME_DIR) and builds through it. The user, its subuid /
// subgid ranges, the overlay storage (set explicitly) and containers.conf are made here.
//
// This machine kind's /dev/net/tun is mode 0600, so slirp4netns (rootless networking) cannot
// open it and the build container runs with --network=none (docs/engines.md); everything else
// is the real rootless path: user namespace, overlay, runc, the archive API, commit, tag.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxRootfs } from "../harness/base-images.js";
import { KILN_BIN, runCommand, tempDir } from "../harness/kiln.js";
import { CONTAINERS_CONF, PODMAN_BIN } from "../harness/podman.js";
import { describeRun } from "./support/build.js";

const USER = "kiln-rootless";
let uid = 0;
let gid = 0;
let dir: string;

function userEnv(): Record<string, string> {
  return {
    HOME: join(dir, "home"),
    USER,
    PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    XDG_RUNTIME_DIR: join(dir, "run"),
    CONTAINERS_CONF: join(dir, "containers.conf"),
    CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
    KILN_STATE_DIR: join(dir, "state"),
  };
}

/** A command as the rootless user, with only its own environment. */
function asUser(command: string, args: string[]): ReturnType<typeof runCommand> {
  const env = Object.entries(userEnv()).map(([k, v]) => `${k}=${v}`);
  return runCommand(
    "setpriv",
    [`--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "env", "-i", ...env, command, ...args],
    { cwd: dir, timeoutMs: 180_000 },
  );
}

function ownedByUser(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (statSync(`/proc/${entry}`).uid === uid) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

before(async () => {
  assert.ok(existsSync(PODMAN_BIN), `${PODMAN_BIN} is missing: apt-get install podman`);
  assert.ok(existsSync("/usr/bin/newuidmap"), "newuidmap is missing: apt-get install uidmap");
  try {
    execFileSync("id", ["-u", USER], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER]);
  }
  uid = Number(execFileSync("id", ["-u", USER], { encoding: "utf8" }).trim());
  gid = Number(execFileSync("id", ["-g", USER], { encoding: "utf8" }).trim());
  for (const file of ["/etc/subuid", "/etc/subgid"]) {
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (!text.split("\n").some((line) => line.startsWith(`${USER}:`))) {
      execFileSync("usermod", [
        file === "/etc/subuid" ? "--add-subuids" : "--add-subgids",
        "500000-565535",
        USER,
      ]);
    }
  }
  dir = tempDir(undefined, "kiln-rootless-");
  chmodSync(dir, 0o755);
  for (const sub of ["home", "run", "state"]) {
    execFileSync("install", ["-d", "-m", "0700", "-o", String(uid), "-g", String(gid), join(dir, sub)]);
  }
  // CONTAINERS_CONF ends in its [engine] table; rootless on cgroup v1 has no systemd to ask.
  writeFileSync(join(dir, "containers.conf"), `${CONTAINERS_CONF}cgroup_manager = "cgroupfs"\n`);
  writeFileSync(
    join(dir, "storage.conf"),
    `[storage]\ndriver = "overlay"\ngraphroot = "${join(dir, "home", "storage")}"\nrunroot = "${join(dir, "run", "storage")}"\n`,
  );
  writeFileSync(join(dir, "rootfs.tar"), await busyboxRootfs());
  writeFileSync(
    join(dir, "template.json"),
    JSON.stringify({
      builders: [
        {
          type: "docker",
          image: "kiln-test/busybox:1",
          pull: false,
          commit: true,
          run_command: ["-d", "-i", "-t", "--network=none", "--entrypoint=/bin/sh", "--", "{{.Image}}"],
        },
      ],
      provisioners: [
        { type: "shell", inline: ["echo uid-in-container=$(id -u)", "echo made > /made.txt"] },
        { type: "file", content: "uploaded\n", destination: "/tmp/up.txt" },
        {
          type: "file",
          direction: "download",
          source: "/tmp/up.txt",
          destination: join(dir, "run", "down.txt"),
        },
      ],
      "post-processors": [{ type: "docker-tag", repository: "kiln-it/rootless", tags: ["1"] }],
    }),
  );
  for (const file of ["containers.conf", "storage.conf", "rootfs.tar", "template.json"]) {
    chownSync(join(dir, file), uid, gid);
  }
  const imported = await asUser(PODMAN_BIN, [
    "import",
    "--change",
    'CMD ["/bin/sh"]',
    join(dir, "rootfs.tar"),
    "kiln-test/busybox:1",
  ]);
  assert.equal(imported.code, 0, describeRun(imported));
});

after(async () => {
  if (dir === undefined) return;
  await asUser(PODMAN_BIN, ["system", "reset", "--force"]);
  // Podman's rootless helpers (its user-namespace pause process, exec conmons that linger for
  // 5 minutes by design) belong to the test user alone: stop them before the next test.
  for (const pid of ownedByUser()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

describe("rootless Podman", () => {
  it("an unprivileged user's kiln starts its own Podman service and builds through it", async () => {
    const r = await asUser(process.execPath, [KILN_BIN, "build", "-color=false", join(dir, "template.json")]);
    assert.equal(r.code, 0, describeRun(r));
    const run = join(dir, "run");
    assert.match(
      r.stdout.split("\n")[0] ?? "",
      new RegExp(
        `^Using the Podman engine at unix://${run}/kiln-podman-\\w+/podman\\.sock \\(Podman 4\\.\\d+\\.\\d+, API 1\\.41\\), started by kiln for this run`,
      ),
    );
    assert.match(r.stdout, /docker: uid-in-container=0/);
    assert.equal(readFileSync(join(run, "down.txt"), "utf8"), "uploaded\n");
    const images = await asUser(PODMAN_BIN, [
      "image",
      "inspect",
      "--format",
      "{{.Config.Cmd}}",
      "kiln-it/rootless:1",
    ]);
    assert.equal(images.stdout.trim(), "[/bin/sh]", describeRun(images));
    const ps = await asUser(PODMAN_BIN, ["ps", "-aq"]);
    assert.equal(ps.stdout.trim(), "", "the build container was removed");
    assert.deepEqual(
      ownedByUser().filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("system\0service")),
      [],
      "the user's Podman service stopped with kiln",
    );
  });
});
