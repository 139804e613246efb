// Real registries for the tests: Debian's `docker-registry` (CNCF distribution 2.8) on loopback
// ports, either plain HTTP or htpasswd basic auth behind TLS with a CA made by openssl at test time.
// The engine trusts the CA through /etc/docker/certs.d/<host:port>/ca.crt. (dockerd also treats
// 127.0.0.0/8 as an insecure registry range and would skip verification anyway; certs.d is set so
// the tests do not depend on that default.) Everything is removed by close().
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const REGISTRY_BIN = "/usr/bin/docker-registry";
export const CERTS_D = "/etc/docker/certs.d";

export interface RegistryUser {
  username: string;
  password: string;
}

export interface RegistryOptions {
  /** htpasswd users; basic auth is on when non-empty. */
  users?: RegistryUser[];
  tls?: boolean;
  /** Register the CA in the engine's certs.d (default: when tls). */
  certsD?: boolean;
  /** The IPv4 address it listens on and is named by (default 127.0.0.1): another network namespace's engine reaches it there. */
  address?: string;
}

export interface Registry {
  /** `127.0.0.1:<port>`: what image references and login_server name. */
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly tls: boolean;
  readonly users: RegistryUser[];
  /** PEM of the CA that signed the registry's certificate (tls only). */
  readonly caPem?: string;
  readonly dir: string;
  readonly running: boolean;
  /** Kills the registry (as a crash would); storage stays, the port is free. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same storage. */
  start(): Promise<void>;
  /** The manifest digest the registry serves for path:tag (HEAD, Docker-Content-Digest), or undefined on 404. */
  manifestDigest(repoPath: string, tag: string): Promise<string | undefined>;
  /** Stops it and removes its directory and certs.d entry. Idempotent. */
  close(): Promise<void>;
  log(): string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function randomPassword(): string {
  // A colon and symbols on purpose: config.json `auth` and basic auth split on the first colon only.
  return `pw:${randomBytes(12).toString("base64url")}!&`;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const users = options.users ?? [];
  const tls = options.tls ?? false;
  const port = await freePort();
  const address = options.address ?? "127.0.0.1";
  const host = `${address}:${port}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-registry-"));
  const certsDir = path.join(CERTS_D, host);
  let certsDCreated = false;
  let certsDRootCreated = false;
  let child: ChildProcess | undefined;
  let closed = false;

  try {
    const config: string[] = [
      "version: 0.1",
      "log:",
      "  level: error",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${path.join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${host}`,
      `  secret: ${randomBytes(16).toString("hex")}`,
    ];
    let caPem: string | undefined;
    if (tls) {
      caPem = makeCertificates(dir, address);
      config.push(
        "  tls:",
        `    certificate: ${path.join(dir, "server.crt")}`,
        `    key: ${path.join(dir, "server.key")}`,
      );
    }
    if (users.length > 0) {
      writeFileSync(path.join(dir, "htpasswd"), users.map((u) => htpasswdLine(u)).join(""), { mode: 0o600 });
      config.push("auth:", "  htpasswd:", "    realm: kiln-test", `    path: ${path.join(dir, "htpasswd")}`);
    }
    writeFileSync(path.join(dir, "config.yml"), `${config.join("\n")}\n`);

    if (tls && (options.certsD ?? true)) {
      certsDRootCreated = !existsSync(CERTS_D);
      mkdirSync(certsDir, { recursive: true });
      certsDCreated = true;
      writeFileSync(path.join(certsDir, "ca.crt"), caPem ?? "");
    }

    const logFile = path.join(dir, "registry.log");
    const probe = (): Promise<number | undefined> => probeV2(host, tls, caPem);

    const registry: Registry = {
      host,
      port,
      url: `${tls ? "https" : "http"}://${host}`,
      tls,
      users,
      ...(caPem !== undefined ? { caPem } : {}),
      dir,
      get running() {
        return child !== undefined;
      },
      async start() {
        if (child) return;
        const out = openSync(logFile, "a");
        const proc = spawn(REGISTRY_BIN, ["serve", path.join(dir, "config.yml")], {
          stdio: ["ignore", out, out],
        });
        closeSync(out);
        child = proc;
        proc.once("exit", () => {
          if (child === proc) child = undefined;
        });
        const deadline = Date.now() + 15_000;
        for (;;) {
          if (!child) throw new Error(`docker-registry on ${host} exited at start:\n${readLog(logFile)}`);
          if ((await probe()) !== undefined) return;
          if (Date.now() > deadline)
            throw new Error(`docker-registry on ${host} did not answer within 15s:\n${readLog(logFile)}`);
          await sleep(50);
        }
      },
      async stop() {
        const proc = child;
        if (!proc) return;
        const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
        proc.kill("SIGKILL");
        await exited;
        child = undefined;
      },
      async manifestDigest(repoPath, tag) {
        return headManifest(host, tls, caPem, users[0], repoPath, tag);
      },
      async close() {
        if (closed) return;
        closed = true;
        await registry.stop();
        cleanupDirs();
      },
      log: () => readLog(logFile),
    };
    await registry.start();
    return registry;
  } catch (error) {
    if (child) child.kill("SIGKILL");
    cleanupDirs();
    throw error;
  }

  function cleanupDirs(): void {
    rmSync(dir, { recursive: true, force: true });
    if (certsDCreated) {
      rmSync(certsDir, { recursive: true, force: true });
      if (certsDRootCreated) {
        try {
          rmdirSync(CERTS_D); // only if empty: another test's registry may still be using it
        } catch {
          /* not empty */
        }
      }
    }
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** bcrypt htpasswd line; the password goes to htpasswd on stdin (-i), never on its command line. */
function htpasswdLine(user: RegistryUser): string {
  return (
    execFileSync("htpasswd", ["-niB", user.username], { input: user.password, encoding: "utf8" }).trim() +
    "\n"
  );
}

/** A throwaway CA and a server certificate for 127.0.0.1; returns the CA's PEM. */
function makeCertificates(dir: string, address = "127.0.0.1"): string {
  const f = (name: string): string => path.join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const quiet = { stdio: ["ignore", "ignore", "pipe"] as ("ignore" | "pipe")[] };
  execFileSync("openssl", ["req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "2", "-subj", "/CN=kiln test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], quiet); // prettier-ignore
  execFileSync(
    "openssl",
    ["req", ...ec, "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1"],
    quiet,
  );
  writeFileSync(
    f("server.ext"),
    `subjectAltName=IP:127.0.0.1,IP:${address},DNS:localhost\n` +
      "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n",
  );
  execFileSync("openssl", ["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial",
    "-out", f("server.crt"), "-days", "2", "-extfile", f("server.ext")], quiet); // prettier-ignore
  rmSync(f("ca.key")); // nothing else should ever be signed with it
  return readFileSync(f("ca.crt"), "utf8");
}

function request(
  tls: boolean,
  options: http.RequestOptions & { ca?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders } | undefined> {
  return new Promise((resolve) => {
    const req = (tls ? https : http).request(options, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.setTimeout(2000, () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

async function probeV2(host: string, tls: boolean, ca: string | undefined): Promise<number | undefined> {
  const [hostname, port] = host.split(":");
  const res = await request(tls, {
    hostname,
    port: Number(port),
    path: "/v2/",
    method: "GET",
    ...(ca ? { ca } : {}),
  });
  return res?.status;
}

const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");

async function headManifest(
  host: string,
  tls: boolean,
  ca: string | undefined,
  user: RegistryUser | undefined,
  repoPath: string,
  tag: string,
): Promise<string | undefined> {
  const [hostname, port] = host.split(":");
  const headers: Record<string, string> = { Accept: MANIFEST_TYPES };
  if (user)
    headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;
  const res = await request(tls, {
    hostname,
    port: Number(port),
    path: `/v2/${repoPath}/manifests/${tag}`,
    method: "HEAD",
    headers,
    ...(ca ? { ca } : {}),
  });
  if (!res) throw new Error(`registry ${host} did not answer`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`HEAD manifest ${repoPath}:${tag} on ${host}: HTTP ${res.status}`);
  const digest = res.headers["docker-content-digest"];
  return typeof digest === "string" ? digest : undefined;
}
