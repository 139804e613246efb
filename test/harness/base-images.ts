// The two base images the integration tests build on, made from this machine (Docker Hub is not
// reachable in CI): a busybox-static root fs and a Debian bookworm minbase from debootstrap. Each is
// built once and reused by tag; the engine's image store is the cache.
import { execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  createReadStream,
  mkdirSync,
  renameSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Readable } from "node:stream";
import { pack } from "tar-stream";
import type { DockerEndpoint } from "./docker-api.js";
import { dockerRequest, inspectImage, parseProgress } from "./docker-api.js";

export const BUSYBOX_IMAGE = "kiln-test/busybox:1";
export const DEBIAN_IMAGE = "kiln-test/debian:bookworm";
export const BASE_LABEL = "kiln.test.base";

/** Applets the tests may rely on; the build fails if the host's busybox lacks one. */
export const REQUIRED_APPLETS = [
  "sh", "ls", "cat", "echo", "id", "mkdir", "rm", "chmod", "chown", "env", "sleep", "touch", "grep",
  "sed", "head", "tail", "wc", "sha256sum", "stat", "find", "tar", "true", "false", "hostname", "dd",
  "yes", "printf", "test", "[",
]; // prettier-ignore

type Log = (message: string) => void;

export interface BaseImages {
  KILN_TEST_BUSYBOX: string;
  KILN_TEST_DEBIAN: string;
}

export async function ensureBaseImages(endpoint: DockerEndpoint, log: Log = () => {}): Promise<BaseImages> {
  await ensureBusyboxImage(endpoint, log);
  await ensureDebianImage(endpoint, log);
  return { KILN_TEST_BUSYBOX: BUSYBOX_IMAGE, KILN_TEST_DEBIAN: DEBIAN_IMAGE };
}

async function importImage(
  endpoint: DockerEndpoint,
  ref: string,
  tar: Readable | Buffer,
  cmd: string[],
): Promise<string> {
  const res = await dockerRequest("POST", "/images/create", {
    endpoint,
    query: {
      fromSrc: "-",
      // name:tag in repo, no tag: Podman ignores `tag` (and would name the image :latest).
      repo: ref,
      message: "kiln test base image",
      changes: [`CMD ${JSON.stringify(cmd)}`, `LABEL ${BASE_LABEL}=1`],
    },
    headers: { "Content-Type": "application/x-tar" },
    body: tar,
  });
  const lines = parseProgress(`importing ${ref}`, res);
  const id = lines.map((l) => l.status ?? "").find((s) => s.startsWith("sha256:"));
  if (id === undefined) throw new Error(`importing ${ref}: the engine did not report an image id`);
  return id;
}

// ---- lock: one builder per image across concurrent setups -------------------------------------

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Runs `fn` holding an exclusive lock file (stale locks of dead processes are taken over). */
export async function withLock<T>(
  name: string,
  fn: () => Promise<T>,
  log: Log,
  timeoutMs = 15 * 60_000,
): Promise<T> {
  const lockFile = path.join(os.tmpdir(), `kiln-test-${name.replace(/[^a-z0-9.-]+/gi, "_")}.lock`);
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(lockFile, "utf8").trim());
    } catch {
      continue; // released between our open and read
    }
    if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
      rmSync(lockFile, { force: true }); // stale: its holder died
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockFile} (held by pid ${holder})`);
    if (!announced) log(`waiting for pid ${holder} to finish building ${name}`);
    announced = true;
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

// ---- busybox ---------------------------------------------------------------------------------

function findBusybox(): string {
  for (const candidate of ["/bin/busybox", "/usr/bin/busybox"]) {
    if (existsSync(candidate)) return realpathSync(candidate);
  }
  throw new Error("/bin/busybox is missing: `apt-get install busybox-static`");
}

const PASSWD = [
  "root:x:0:0:root:/root:/bin/sh",
  "app:x:1000:1000:app:/home/app:/bin/sh",
  "nobody:x:65534:65534:nobody:/nonexistent:/bin/false",
  "",
].join("\n");
const GROUP = ["root:x:0:", "app:x:1000:", "nogroup:x:65534:", ""].join("\n");

/** The busybox root fs as an in-memory tar. Fixed mtimes keep the layer reproducible. */
export async function busyboxRootfs(busyboxPath = findBusybox()): Promise<Buffer> {
  const binary = readFileSync(busyboxPath);
  const applets = execFileSync(busyboxPath, ["--list-full"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const names = new Set(applets.map((p) => path.posix.basename(p)));
  const missing = REQUIRED_APPLETS.filter((a) => !names.has(a));
  if (missing.length > 0) throw new Error(`${busyboxPath} lacks applets: ${missing.join(" ")}`);

  const mtime = new Date("2024-01-01T00:00:00Z");
  const tar = pack();
  const dir = (name: string, mode = 0o755, uid = 0): void => {
    tar.entry({ name, type: "directory", mode, uid, gid: uid, mtime });
  };
  const file = (name: string, content: string | Buffer, mode = 0o644): void => {
    tar.entry({ name, type: "file", mode, mtime }, content);
  };
  for (const d of ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "var", "dev", "proc", "sys", "home"])
    dir(d);
  dir("tmp", 0o1777);
  dir("var/tmp", 0o1777);
  dir("root", 0o700);
  dir("home/app", 0o755, 1000);
  file("bin/busybox", binary, 0o755);
  const linked = new Set<string>(["bin/busybox"]);
  for (const applet of applets) {
    if (linked.has(applet)) continue;
    linked.add(applet);
    tar.entry({ name: applet, type: "symlink", linkname: "/bin/busybox", mode: 0o777, mtime });
  }
  file("etc/passwd", PASSWD);
  file("etc/group", GROUP);
  file(
    "etc/shadow",
    "root:*:19000:0:99999:7:::\napp:!:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
    0o640,
  );
  tar.finalize();
  // tar-stream's pack is a streamx stream, not a node:stream Readable: collect it.
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function ensureBusyboxImage(endpoint: DockerEndpoint, log: Log = () => {}): Promise<void> {
  if ((await inspectImage(BUSYBOX_IMAGE, endpoint)) !== undefined) {
    log(`${BUSYBOX_IMAGE} present`);
    return;
  }
  await withLock(
    BUSYBOX_IMAGE,
    async () => {
      if ((await inspectImage(BUSYBOX_IMAGE, endpoint)) !== undefined) return;
      const started = Date.now();
      const id = await importImage(endpoint, BUSYBOX_IMAGE, await busyboxRootfs(), ["/bin/sh"]);
      log(`built ${BUSYBOX_IMAGE} (${id.slice(0, 19)}) in ${seconds(started)}`);
    },
    log,
  );
}

// ---- debian ----------------------------------------------------------------------------------

const DEFAULT_MIRROR = "http://deb.debian.org/debian";

/**
 * The Debian mirror this machine's apt uses for `suite` (deb822 `.sources` or one-line `.list`
 * entries), since that is the one known to be reachable; deb.debian.org otherwise.
 */
export function hostDebianMirror(suite = "bookworm", aptDir = "/etc/apt"): string {
  const files: string[] = [];
  if (existsSync(path.join(aptDir, "sources.list"))) files.push(path.join(aptDir, "sources.list"));
  const partsDir = path.join(aptDir, "sources.list.d");
  if (existsSync(partsDir)) {
    for (const name of readdirSync(partsDir).sort()) {
      if (name.endsWith(".list") || name.endsWith(".sources")) files.push(path.join(partsDir, name));
    }
  }
  const usable = (uri: string): boolean => /^(https?|file):/.test(uri);
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    if (file.endsWith(".sources")) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const fields = new Map<string, string>();
        for (const line of stanza.split("\n")) {
          const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (match !== null) fields.set(match[1]!.toLowerCase(), match[2]!.trim());
        }
        if ((fields.get("enabled") ?? "yes") === "no") continue;
        if (!(fields.get("types") ?? "").split(/\s+/).includes("deb")) continue;
        if (!(fields.get("suites") ?? "").split(/\s+/).includes(suite)) continue;
        const uri = (fields.get("uris") ?? "").split(/\s+/).find(usable);
        if (uri !== undefined) return uri.replace(/\/+$/, "");
      }
    } else {
      for (const raw of text.split("\n")) {
        const words = raw
          .replace(/#.*/, "")
          .replace(/\[[^\]]*\]/, "")
          .trim()
          .split(/\s+/);
        if (words[0] === "deb" && words[2] === suite && usable(words[1] ?? ""))
          return words[1]!.replace(/\/+$/, "");
      }
    }
  }
  return DEFAULT_MIRROR;
}

function run(command: string, args: string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = openSync(logFile, "a");
    const child = spawn(command, args, { stdio: ["ignore", out, out] });
    closeSync(out);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else {
        const tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
        reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? code}); last lines:\n${tail}`));
      }
    });
  });
}

async function importDirectory(
  endpoint: DockerEndpoint,
  ref: string,
  dir: string,
  cmd: string[],
): Promise<string> {
  const tar = spawn("tar", ["-C", dir, "--numeric-owner", "--xattrs", "-cf", "-", "."], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  tar.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => tar.on("close", resolve));
  try {
    const id = await importImage(endpoint, ref, tar.stdout, cmd);
    const code = await exited;
    if (code !== 0) throw new Error(`tar -C ${dir} failed (${code}): ${stderr.trim()}`);
    return id;
  } catch (err) {
    tar.kill();
    throw err;
  }
}

export async function ensureDebianImage(endpoint: DockerEndpoint, log: Log = () => {}): Promise<void> {
  if ((await inspectImage(DEBIAN_IMAGE, endpoint)) !== undefined) {
    log(`${DEBIAN_IMAGE} present`);
    return;
  }
  await withLock(
    DEBIAN_IMAGE,
    async () => {
      if ((await inspectImage(DEBIAN_IMAGE, endpoint)) !== undefined) return;
      // The engine matrix builds the same root fs for several engines: debootstrap once, then
      // import the cached tar (KILN_TEST_ROOTFS_CACHE, set by .ci/engine-matrix).
      const cache = process.env.KILN_TEST_ROOTFS_CACHE;
      const cached = cache ? path.join(cache, "debian-bookworm-minbase.tar") : undefined;
      if (cached !== undefined && existsSync(cached)) {
        const started = Date.now();
        const id = await importImage(endpoint, DEBIAN_IMAGE, createReadStream(cached), ["bash"]);
        log(`imported ${DEBIAN_IMAGE} (${id.slice(0, 19)}) from ${cached} in ${seconds(started)}`);
        return;
      }
      if (process.getuid?.() !== 0) {
        throw new Error(`building ${DEBIAN_IMAGE} runs debootstrap, which needs root`);
      }
      if (!existsSync("/usr/sbin/debootstrap")) {
        throw new Error("debootstrap is missing: `apt-get install debootstrap`");
      }
      const mirror = hostDebianMirror();
      const work = mkdtempSync(path.join(os.tmpdir(), "kiln-test-debootstrap-"));
      const rootfs = path.join(work, "rootfs");
      const logFile = path.join(work, "debootstrap.log");
      try {
        let started = Date.now();
        log(
          `building ${DEBIAN_IMAGE}: debootstrap --variant=minbase bookworm from ${mirror} (about a minute)`,
        );
        await run("/usr/sbin/debootstrap", ["--variant=minbase", "bookworm", rootfs, mirror], logFile);
        log(`debootstrap finished in ${seconds(started)}`);
        // Host-specific files debootstrap copies in; the engine provides its own at run time.
        rmSync(path.join(rootfs, "etc/resolv.conf"), { force: true });
        rmSync(path.join(rootfs, "etc/hostname"), { force: true });
        const archives = path.join(rootfs, "var/cache/apt/archives");
        for (const deb of readdirSync(archives).filter((name) => name.endsWith(".deb"))) {
          rmSync(path.join(archives, deb), { force: true });
        }
        if (cached !== undefined) {
          mkdirSync(path.dirname(cached), { recursive: true });
          await run(
            "tar",
            ["-C", rootfs, "--numeric-owner", "--xattrs", "-cf", `${cached}.partial`, "."],
            logFile,
          );
          renameSync(`${cached}.partial`, cached);
        }
        started = Date.now();
        const id = await importDirectory(endpoint, DEBIAN_IMAGE, rootfs, ["bash"]);
        log(`imported ${DEBIAN_IMAGE} (${id.slice(0, 19)}) in ${seconds(started)}`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
    log,
  );
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
