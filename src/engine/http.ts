// The HTTP transport to the engine: one keep-alive agent per engine, every request abortable,
// every response consumed or destroyed (an unread response keeps a socket, and on Podman the
// process, alive), every failure an EngineError. Request and response bodies are streamed, never
// buffered whole.
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { Duplex, Readable, Writable } from "node:stream";
import { PassThrough } from "node:stream";
import { EngineError } from "./errors.js";
import type { EngineErrorKind } from "./errors.js";
import type { EngineHost } from "./host.js";
import { SshAgent, SshConnectionError } from "./ssh.js";

/** Docker 20.10 and Podman 4's compat API both speak 1.41; older daemons are negotiated down. */
export const PINNED_API_VERSION = "1.41";

export type QueryValue = string | number | boolean | undefined | readonly string[];

export interface EngineRequest {
  method: "GET" | "HEAD" | "POST" | "PUT" | "DELETE";
  /** Without the version prefix: `/containers/create`. */
  path: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Streamed with chunked encoding; destroyed if the request fails. */
  body?: Readable;
  contentType?: string;
  signal?: AbortSignal;
  /** What is being done, for error messages: "start container 3f2a1b". */
  action: string;
  /** `/_ping` and `/version` answer without a version prefix on every engine. */
  unversioned?: boolean;
}

export interface UpgradedConnection {
  socket: Duplex;
  /** Bytes the engine sent after the 101 headers, before the socket was handed over. */
  head: Buffer;
}

const MAX_ERROR_BODY = 64 * 1024;

export class EngineTransport {
  private agent: http.Agent | undefined;
  private apiVersion = PINNED_API_VERSION;
  /** The engine has answered at least once: a connection failure now means it was lost. */
  private answered = false;

  constructor(readonly host: EngineHost) {}

  get endpoint(): string {
    return this.host.description;
  }

  /** The API version in use: the pinned one, or lower if the engine said it only speaks that. */
  get negotiatedApiVersion(): string {
    return this.apiVersion;
  }

  /** Sends the request; resolves with the response headers and unread body on status < 400. */
  async request(req: EngineRequest): Promise<http.IncomingMessage> {
    const versionUsed = this.apiVersion;
    const res = await this.send(req);
    if ((res.statusCode ?? 0) < 400) return res;
    const error = await this.errorFromResponse(res, req);
    // An engine older than the pinned version refuses the request with 400 and tells us its
    // version in the Api-Version header (adopted by `send`); replay once if the body allows it.
    if (
      res.statusCode === 400 &&
      this.apiVersion !== versionUsed &&
      !req.unversioned &&
      req.body === undefined
    ) {
      return this.request(req);
    }
    req.body?.destroy();
    throw error;
  }

  async json<T>(req: EngineRequest): Promise<T> {
    const res = await this.request(req);
    const text = await readAll(res, req, this);
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new EngineError(
        "server",
        `${req.action}: the engine answered with invalid JSON`,
        res.statusCode,
        { cause },
      );
    }
  }

  /** Sends the request and reads the body to the end; for calls whose answer is the status. */
  async drain(req: EngineRequest): Promise<http.IncomingMessage> {
    const res = await this.request(req);
    await readAll(res, req, this);
    return res;
  }

  /**
   * The response body as a stream, with the response headers. Its errors are EngineErrors;
   * destroying it closes the connection; the request's signal keeps working until it ends.
   */
  async stream(req: EngineRequest): Promise<{ body: Readable; headers: http.IncomingHttpHeaders }> {
    const res = await this.request(req);
    const body = new PassThrough();
    res.on("error", (err) => body.destroy(this.toEngineError(err, req)));
    // Some bodies (exec and attach output) run until the connection closes, so a broken
    // connection would read as a normal end: the transport's own error says otherwise.
    const socket = res.socket;
    const onSocketError = (err: Error): void => {
      body.destroy(this.toEngineError(err, req));
    };
    socket?.on("error", onSocketError);
    const detach = (): void => {
      socket?.off("error", onSocketError);
    };
    res.once("end", detach);
    body.on("close", () => {
      detach();
      if (!res.complete) res.destroy();
    });
    res.pipe(body);
    return { body, headers: res.headers };
  }

  /** An HTTP upgrade to a raw bidirectional stream (exec with stdin). */
  upgrade(req: EngineRequest): Promise<UpgradedConnection> {
    return new Promise<UpgradedConnection>((resolve, reject) => {
      const upgradeRequest = { ...req, headers: { ...req.headers, Connection: "Upgrade", Upgrade: "tcp" } };
      const onResponse = (res: http.IncomingMessage): void => {
        if ((res.statusCode ?? 0) >= 400) {
          this.errorFromResponse(res, req).then(reject, reject);
          return;
        }
        res.resume();
        reject(
          new EngineError(
            "server",
            `${req.action}: the engine did not upgrade the connection`,
            res.statusCode,
          ),
        );
      };
      const onUpgrade = (res: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
        this.adoptApiVersion(res);
        resolve({ socket, head });
      };
      this.open(upgradeRequest, onResponse, reject, onUpgrade);
    });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private send(req: EngineRequest): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => this.open(req, resolve, reject));
  }

  /** Starts the request; exactly one of the callbacks is called, once. */
  private open(
    req: EngineRequest,
    onResponse: (res: http.IncomingMessage) => void,
    onError: (err: unknown) => void,
    onUpgrade?: (res: http.IncomingMessage, socket: Duplex, head: Buffer) => void,
  ): void {
    const { signal } = req;
    let settled = false;
    let bodyError: unknown;
    let uploadRefused = false;
    let response: http.IncomingMessage | undefined;
    let clientRequest: http.ClientRequest | undefined;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      return true;
    };
    const fail = (err: unknown): void => {
      if (!settle()) return;
      signal?.removeEventListener("abort", onAbort);
      req.body?.destroy();
      onError(err);
    };
    const onAbort = (): void => {
      const err = abortedError(req, signal);
      clientRequest?.destroy(err);
      response?.destroy(err);
      fail(err);
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }

    let payload: string | undefined;
    try {
      ({ clientRequest, payload } = this.createRequest(req));
    } catch (err) {
      fail(err);
      return;
    }
    const sent = clientRequest;
    signal?.addEventListener("abort", onAbort, { once: true });
    sent.on("error", (err) => fail(bodyError ?? this.toEngineError(err, req)));
    sent.on("response", (res) => {
      response = res;
      this.adoptApiVersion(res);
      // The abort listener lives as long as the response body, so streams stay cancellable.
      res.on("close", () => signal?.removeEventListener("abort", onAbort));
      if (!settle()) {
        res.destroy();
        return;
      }
      if (req.body && (res.statusCode ?? 0) >= 400) {
        // The engine refused before reading the whole upload: stop sending once its answer is read.
        uploadRefused = true;
        res.on("end", () => sent.destroy());
      }
      onResponse(res);
    });
    sent.on("upgrade", (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      signal?.removeEventListener("abort", onAbort);
      if (!settle() || !onUpgrade) {
        socket.destroy();
        return;
      }
      onUpgrade(res, socket, head);
    });

    if (req.body) {
      writeBody(req.body, sent, () => uploadRefused).catch((err: unknown) => {
        bodyError = err;
        sent.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    } else {
      sent.end(payload);
    }
  }

  private createRequest(req: EngineRequest): { clientRequest: http.ClientRequest; payload?: string } {
    const headers: Record<string, string | number> = { ...req.headers };
    let payload: string | undefined;
    if (req.json !== undefined) {
      payload = JSON.stringify(req.json);
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = Buffer.byteLength(payload);
    } else if (req.body) {
      headers["Content-Type"] = req.contentType ?? "application/x-tar";
    } else if (req.method === "POST" || req.method === "PUT") {
      headers["Content-Length"] = 0;
    }
    const options: http.RequestOptions = {
      method: req.method,
      path: this.urlPath(req),
      headers,
      agent: this.getAgent(),
    };
    const { host } = this;
    let clientRequest: http.ClientRequest;
    if (host.kind === "unix") {
      clientRequest = http.request({ ...options, socketPath: host.socketPath });
    } else if (host.kind === "ssh") {
      // The agent's connections are ssh processes; the host name only fills the Host header.
      clientRequest = http.request({ ...options, hostname: "localhost" });
    } else {
      const target = { ...options, hostname: host.hostname, port: host.port };
      clientRequest = host.protocol === "https:" ? https.request(target) : http.request(target);
    }
    return payload === undefined ? { clientRequest } : { clientRequest, payload };
  }

  private urlPath(req: EngineRequest): string {
    const prefix = this.host.kind === "tcp" ? this.host.basePath : "";
    const version = req.unversioned ? "" : `/v${this.apiVersion}`;
    return `${prefix}${version}${req.path}${buildQuery(req.query)}`;
  }

  private getAgent(): http.Agent {
    if (this.agent) return this.agent;
    const { host } = this;
    if (host.kind === "tcp" && host.protocol === "https:") {
      this.agent = new https.Agent({ keepAlive: true, ...this.tlsOptions() });
    } else if (host.kind === "ssh") {
      this.agent = new SshAgent(host);
    } else {
      this.agent = new http.Agent({ keepAlive: true });
    }
    return this.agent;
  }

  private tlsOptions(): https.AgentOptions {
    const { host } = this;
    if (host.kind !== "tcp" || !host.tls) return {};
    const { tls } = host;
    const read = (file: string, required: boolean): Buffer | undefined => {
      try {
        return readFileSync(file);
      } catch (cause) {
        if (!required) return undefined;
        throw new EngineError(
          "unreachable",
          `cannot read the TLS file ${file} for ${host.description}; check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY`,
          undefined,
          { cause },
        );
      }
    };
    const ca = read(tls.ca, tls.verify);
    const cert = read(tls.cert, false);
    const key = read(tls.key, false);
    return {
      ...(ca ? { ca } : {}),
      ...(cert && key ? { cert, key } : {}),
      rejectUnauthorized: tls.verify,
    };
  }

  private adoptApiVersion(res: http.IncomingMessage): void {
    this.answered = true;
    const header = res.headers["api-version"];
    if (
      typeof header === "string" &&
      /^\d+\.\d+$/.test(header) &&
      compareVersions(header, this.apiVersion) < 0
    ) {
      this.apiVersion = header;
    }
  }

  /** @internal Maps a socket-level failure to an EngineError naming the endpoint and a fix. */
  toEngineError(err: unknown, req: EngineRequest): EngineError {
    if (err instanceof EngineError) return err;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const message = err instanceof Error ? err.message : String(err);
    const where = `${this.host.description}${this.host.origin ? ` (from ${this.host.origin})` : ""}`;
    const cannot = `${req.action}: cannot connect to the Docker engine at ${where}`;
    const unreachable = (text: string): EngineError =>
      new EngineError("unreachable", text, undefined, { cause: err });
    if (err instanceof SshConnectionError) {
      return unreachable(
        err.code === "ESSHLOST" || this.answered
          ? `${req.action}: lost the connection to the engine over ssh (${where}): ${err.message}`
          : `${cannot}: ${err.message}`,
      );
    }
    switch (code) {
      case "ENOENT":
        return unreachable(
          `${cannot}: the socket does not exist. Is dockerd running? (Set DOCKER_HOST to use another engine.)`,
        );
      case "ECONNREFUSED":
        return unreachable(`${cannot}: connection refused. Is dockerd running and listening there?`);
      case "EACCES":
      case "EPERM":
        return unreachable(`${cannot}: permission denied. Are you in the docker group?`);
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return unreachable(`${cannot}: the host name does not resolve.`);
      case "ETIMEDOUT":
      case "EHOSTUNREACH":
      case "ENETUNREACH":
        return unreachable(`${cannot}: the host cannot be reached (${code}).`);
      case "ECONNRESET":
      case "EPIPE":
        return unreachable(
          `${req.action}: the connection to the Docker engine at ${where} was lost (${code}).`,
        );
      default:
        if (typeof code === "string" && /CERT|SSL|TLS|SELF_SIGNED/.test(code)) {
          return unreachable(
            `${cannot}: TLS failed (${message}); check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY.`,
          );
        }
        return unreachable(`${cannot}: ${message}`);
    }
  }

  private async errorFromResponse(res: http.IncomingMessage, req: EngineRequest): Promise<EngineError> {
    const status = res.statusCode ?? 0;
    let text = "";
    try {
      text = await readAll(res, req, this, MAX_ERROR_BODY);
    } catch {
      // The status alone still says what happened.
    }
    let detail = text.trim();
    try {
      const parsed = JSON.parse(detail) as { message?: unknown };
      if (typeof parsed.message === "string") detail = parsed.message;
    } catch {
      // Not JSON: keep the text (HEAD responses have none).
    }
    if (detail === "") detail = `HTTP ${status} ${res.statusMessage ?? ""}`.trim();
    return new EngineError(kindForStatus(status), `${req.action}: ${oneLineDetail(detail)}`, status);
  }
}

/**
 * An engine's error text on one line: Podman sends Go's multi-error form ("1 error occurred:\n\t*
 * cause\n\n"), which would otherwise break a build's output across lines.
 */
export function oneLineDetail(detail: string): string {
  const items = /^\d+ errors? occurred:\s*\n/.test(detail)
    ? detail
        .replace(/^\d+ errors? occurred:\s*\n/, "")
        .split(/\n\s*\*\s+/)
        .map((item) => item.replace(/^\s*\*\s+/, ""))
    : [detail];
  return items
    .map((item) => item.replace(/\s*\n\s*/g, " ").trim())
    .filter((item) => item !== "")
    .join("; ");
}

export function kindForStatus(status: number): EngineErrorKind {
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status >= 500) return "server";
  return "bad-request";
}

export function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (typeof value === "boolean") params.append(key, value ? "1" : "0");
    else if (typeof value === "number") params.append(key, String(value));
    else if (typeof value === "string") params.append(key, value);
    else for (const item of value) params.append(key, item);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Encodes a name for the URL path, keeping the `/`, `:` and `@` of references (`localhost:5000/app@sha256:…`). */
export function pathName(name: string): string {
  return name
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/%3A/gi, ":").replace(/%40/g, "@"))
    .join("/");
}

/**
 * Streams an upload with backpressure. Iterating (rather than pipe()) works for any readable,
 * including tar-stream's streamx packs, and leaving the loop early destroys the source.
 */
export async function writeBody(body: Readable, target: Writable, stop: () => boolean): Promise<void> {
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    if (stop() || target.destroyed) return;
    if (!target.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          target.off("drain", done);
          target.off("close", done);
          resolve();
        };
        target.on("drain", done);
        target.on("close", done);
      });
    }
  }
  if (!target.destroyed) target.end();
}

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.split(".").map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

function abortedError(req: EngineRequest, signal: AbortSignal | undefined): EngineError {
  const reason: unknown = signal?.reason;
  const why = reason instanceof Error && reason.name === "TimeoutError" ? "timed out" : "was cancelled";
  return new EngineError("aborted", `${req.action} ${why}`, undefined, { cause: reason });
}

async function readAll(
  res: http.IncomingMessage,
  req: EngineRequest,
  transport: EngineTransport,
  limit = Number.POSITIVE_INFINITY,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (size < limit) {
        chunks.push(chunk);
        size += chunk.length;
      }
    }
  } catch (err) {
    throw transport.toEngineError(err, req);
  }
  return Buffer.concat(chunks).toString("utf8");
}
