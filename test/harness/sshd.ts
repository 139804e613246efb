// A real OpenSSH server in a network namespace of its own, reached over a veth pair, whose
// `docker` CLI talks to the test engine: the remote end of DOCKER_HOST=ssh://. Keys, known_hosts
// and the client config are generated in a temp dir; OpenSSH reads ~/.ssh from the passwd entry,
// not $HOME, so the tests put a `ssh` wrapper first on PATH that adds `-F <that config>` (the only
// thing a user's own ~/.ssh/config would do differently). Needs root and Debian's openssh-server.
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const SSHD_BIN = "/usr/sbin/sshd";
/** The name the client config gives the server (DOCKER_HOST=ssh://root@<this>). */
export const SSH_HOST_ALIAS = "kiln-sshd";

export interface Sshd {
  /** `ssh://root@kiln-sshd`: resolved by the generated client config. */
  readonly dockerHost: string;
  /** Prepend to PATH: holds the `ssh` wrapper that uses the generated client config. */
  readonly binDir: string;
  readonly address: string;
  readonly netns: string;
  /** Kills the server and every process in its namespace (open sessions included): the connection is cut. */
  cut(): Promise<void>;
  /** Starts the server again after `cut`. */
  start(): Promise<void>;
  /** Accepted logins so far (from the server's log). */
  logins(): number;
  log(): string;
  /** Stops everything and removes the namespace, the veth pair and the temp dir. Idempotent. */
  close(): Promise<void>;
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export async function startSshd(opts: { engineHost: string }): Promise<Sshd> {
  if (process.getuid?.() !== 0) throw new Error("the ssh tests need root (a network namespace and sshd)");
  if (!existsSync(SSHD_BIN)) throw new Error(`${SSHD_BIN} is missing: apt-get install openssh-server`);
  const id = randomBytes(3).toString("hex");
  const netns = `kiln-sshd-${id}`;
  const hostSide = `ksh${id}`;
  const nsSide = `ksn${id}`;
  // A /30 out of link-local space: only this pair of interfaces uses it.
  let third = randomInt(100, 199);
  if (third === 169) third = 199; // never 169.254.169.x, where clouds keep their metadata service
  const fourth = randomInt(0, 63) * 4;
  const hostIp = `169.254.${third}.${fourth + 1}`;
  const address = `169.254.${third}.${fourth + 2}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-sshd-"));
  chmodSync(dir, 0o700);

  run("ip", ["netns", "add", netns]);
  let child: ChildProcess | undefined;
  const logFile = path.join(dir, "sshd.log");
  const close = once(async () => {
    await killNamespace(netns, child);
    try {
      run("ip", ["netns", "del", netns]); // also removes the veth pair
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    run("ip", ["link", "add", hostSide, "type", "veth", "peer", "name", nsSide, "netns", netns]);
    run("ip", ["addr", "add", `${hostIp}/30`, "dev", hostSide]);
    run("ip", ["link", "set", hostSide, "up"]);
    run("ip", ["-n", netns, "addr", "add", `${address}/30`, "dev", nsSide]);
    run("ip", ["-n", netns, "link", "set", nsSide, "up"]);
    run("ip", ["-n", netns, "link", "set", "lo", "up"]);

    const key = (name: string): string => {
      run("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        `kiln-test-${name}`,
        "-f",
        path.join(dir, name),
      ]);
      return readFileSync(path.join(dir, `${name}.pub`), "utf8").trim();
    };
    const hostKey = key("host_key");
    const clientKey = key("client_key");
    // The remote `docker` reaches the test engine through the environment sshd gives the session.
    writeFileSync(
      path.join(dir, "authorized_keys"),
      `environment="DOCKER_HOST=${opts.engineHost}" ${clientKey}\n`,
      { mode: 0o600 },
    );
    writeFileSync(path.join(dir, "known_hosts"), `${address} ${hostKey.split(" ").slice(0, 2).join(" ")}\n`);
    mkdirSync("/run/sshd", { recursive: true }); // sshd's privilege-separation directory
    writeFileSync(
      path.join(dir, "sshd_config"),
      [
        `ListenAddress ${address}:22`,
        `HostKey ${path.join(dir, "host_key")}`,
        `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
        `PidFile ${path.join(dir, "sshd.pid")}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitUserEnvironment DOCKER_HOST",
        "UsePAM no",
        "StrictModes no",
        "LogLevel VERBOSE",
        "",
      ].join("\n"),
    );
    writeFileSync(
      path.join(dir, "ssh_config"),
      [
        `Host ${SSH_HOST_ALIAS}`,
        `  HostName ${address}`,
        `  IdentityFile ${path.join(dir, "client_key")}`,
        "  IdentitiesOnly yes",
        `  UserKnownHostsFile ${path.join(dir, "known_hosts")}`,
        "  GlobalKnownHostsFile /dev/null",
        "  StrictHostKeyChecking yes",
        "",
      ].join("\n"),
    );
    const binDir = path.join(dir, "bin");
    mkdirSync(binDir);
    const ssh = run("sh", ["-c", "command -v ssh"]).trim();
    writeFileSync(
      path.join(binDir, "ssh"),
      `#!/bin/sh\nexec ${ssh} -F ${path.join(dir, "ssh_config")} "$@"\n`,
      {
        mode: 0o755,
      },
    );

    const start = async (): Promise<void> => {
      const out = openSync(logFile, "a"); // appending: a restarted server keeps the earlier log
      child = spawn(
        "nsenter",
        [`--net=/var/run/netns/${netns}`, SSHD_BIN, "-D", "-e", "-f", path.join(dir, "sshd_config")],
        { stdio: ["ignore", out, out] },
      );
      closeSync(out);
      let exited: string | undefined;
      child.on("exit", (code, signal) => (exited = `exited with ${signal ?? code}`));
      const deadline = Date.now() + 15_000;
      while (!(await answers(address, 22))) {
        if (exited !== undefined || Date.now() > deadline) {
          throw new Error(`sshd ${exited ?? "did not listen within 15 s"}: ${readLog(logFile)}`);
        }
        await sleep(100);
      }
    };
    await start();
    return {
      dockerHost: `ssh://root@${SSH_HOST_ALIAS}`,
      binDir,
      address,
      netns,
      cut: () => killNamespace(netns, child),
      start,
      logins: () => (readLog(logFile).match(/Accepted publickey/g) ?? []).length,
      log: () => readLog(logFile),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** The pids whose network namespace is `netns` (ours: the server, its sessions, their children). */
export function processesIn(netns: string): number[] {
  let inode: number;
  try {
    inode = statSync(`/var/run/netns/${netns}`).ino;
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === `net:[${inode}]`) pids.push(Number(entry));
    } catch {
      // gone, or a kernel thread
    }
  }
  return pids;
}

async function killNamespace(netns: string, child: ChildProcess | undefined): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pids = processesIn(netns).filter((pid) => pid !== process.pid);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
  if (child && child.exitCode === null && child.signalCode === null) {
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      setTimeout(resolve, 2000);
    });
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
