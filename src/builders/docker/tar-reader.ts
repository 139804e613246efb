// A minimal tar reader for downloads (the Engine API's archive and export endpoints, written by Go's
// archive/tar: ustar headers, PAX records for long names and large sizes, GNU long names too).
// It exists for speed: tar-stream gives every entry its own stream and callbacks, and writing
// 2,000 small files through it cost several promises and thread-pool round trips each. Here the
// parser is one Writable that hands each entry's bytes to synchronous callbacks.
import { Writable } from "node:stream";

export interface TarEntry {
  name: string;
  type: "file" | "directory" | "symlink" | "link" | "other";
  mode: number;
  size: number;
  linkname: string;
}

/**
 * What to do with an entry's body: data() gets its bytes in order, end() after the last. A
 * returned promise holds the stream until it settles (backpressure for asynchronous writes).
 */
export interface TarEntrySink {
  data(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
}

const BLOCK = 512;

/**
 * Parses a tar stream; `onEntry` is called once per entry (PAX and GNU long-name records applied)
 * and returns a sink for the body, or undefined to skip it. Throwing from a callback fails the
 * stream with that error. `onEntry`/sink calls are synchronous, in archive order.
 */
export class TarReader extends Writable {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of the current body still to come, then its padding. */
  private bodyLeft = 0;
  private padLeft = 0;
  private sink: TarEntrySink | undefined;
  /** A PAX or GNU record being collected (its body is needed before the next header). */
  private meta: { kind: string; parts: Buffer[] } | undefined;
  private pax: Record<string, string> = {};
  private done = false;

  constructor(private readonly onEntry: (entry: TarEntry) => TarEntrySink | undefined) {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const fail = (e: unknown) => cb(e instanceof Error ? e : new Error(String(e)));
    const step = (off: number): void => {
      try {
        const wait = this.consume(chunk, off);
        if (!wait) cb();
        else wait.promise.then(() => step(wait.off), fail);
      } catch (e) {
        fail(e);
      }
    };
    step(0);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.done && (this.bodyLeft > 0 || this.pendingBytes > 0 || this.sink || this.meta)) {
      cb(new Error("the archive ended in the middle of an entry"));
      return;
    }
    cb();
  }

  /** Parses from `off`; stops early with a promise when a sink asks to wait. */
  private consume(chunk: Buffer, off: number): { promise: Promise<void>; off: number } | undefined {
    while (off < chunk.length && !this.done) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - off);
        const part = chunk.subarray(off, off + n);
        let wait: void | Promise<void> = undefined;
        if (this.meta) this.meta.parts.push(Buffer.from(part));
        else wait = this.sink?.data(part);
        this.bodyLeft -= n;
        off += n;
        if (this.bodyLeft === 0) {
          const ended = this.endBody();
          wait = wait && ended ? wait.then(() => ended) : (wait ?? ended);
        }
        if (wait) return { promise: wait, off };
        continue;
      }
      if (this.padLeft > 0) {
        const n = Math.min(this.padLeft, chunk.length - off);
        this.padLeft -= n;
        off += n;
        continue;
      }
      // A header: 512 bytes, possibly split across chunks.
      const need = BLOCK - this.pendingBytes;
      const avail = chunk.length - off;
      if (avail < need) {
        this.pending.push(chunk.subarray(off));
        this.pendingBytes += avail;
        return;
      }
      let block: Buffer;
      if (this.pendingBytes > 0) {
        this.pending.push(chunk.subarray(off, off + need));
        block = Buffer.concat(this.pending, BLOCK);
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        block = chunk.subarray(off, off + BLOCK);
      }
      off += need;
      const wait = this.header(block);
      if (wait) return { promise: wait, off };
    }
    return undefined;
  }

  private header(b: Buffer): void | Promise<void> {
    if (isZero(b)) {
      // The end-of-archive marker (two zero blocks; one is enough to stop).
      this.done = true;
      return;
    }
    if (!checksumOk(b)) throw new Error("invalid tar header (bad checksum): the archive is corrupt");
    const flag = String.fromCharCode(b[156]!);
    const size = num(b, 124, 12);
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      this.meta = { kind: flag, parts: [] };
      return this.startBody(size);
    }
    const magic = b.toString("latin1", 257, 263);
    let name = str(b, 0, 100);
    // Only POSIX ustar has a prefix field; GNU tar keeps times there.
    if (magic === "ustar\u0000") {
      const prefix = str(b, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const pax = this.pax;
    this.pax = {};
    const entry: TarEntry = {
      name: pax.path ?? name,
      type:
        flag === "0" || flag === "\u0000" || flag === "7"
          ? "file"
          : flag === "5"
            ? "directory"
            : flag === "2"
              ? "symlink"
              : flag === "1"
                ? "link"
                : "other",
      mode: num(b, 100, 8) & 0o7777,
      size: pax.size !== undefined ? Number(pax.size) : size,
      linkname: pax.linkpath ?? str(b, 157, 100),
    };
    // An old-style file entry whose name ends in a slash is a directory.
    if (entry.type === "file" && flag === "\u0000" && entry.name.endsWith("/")) entry.type = "directory";
    // Only regular files carry data here (Go writes size 0 for the others).
    const bodySize = entry.type === "file" || entry.type === "other" ? entry.size : 0;
    this.sink = this.onEntry(entry);
    return this.startBody(bodySize);
  }

  private startBody(size: number): void | Promise<void> {
    this.bodyLeft = size;
    this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) return this.endBody();
  }

  private endBody(): void | Promise<void> {
    const meta = this.meta;
    if (meta) {
      this.meta = undefined;
      const body = Buffer.concat(meta.parts);
      if (meta.kind === "x") Object.assign(this.pax, parsePax(body));
      else if (meta.kind === "L") this.pax.path = cString(body);
      else if (meta.kind === "K") this.pax.linkpath = cString(body);
      // "g" (global PAX) records carry nothing kiln uses.
      return;
    }
    const sink = this.sink;
    this.sink = undefined;
    return sink?.end();
  }
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function checksumOk(b: Buffer): boolean {
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += b[i]!;
  for (let i = 156; i < BLOCK; i++) sum += b[i]!;
  return sum === num(b, 148, 8);
}

/** A NUL-terminated field. Names are UTF-8 in Go's archives. */
function str(b: Buffer, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return b.toString("utf8", off, end);
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString("utf8", 0, nul < 0 ? b.length : nul);
}

/** An octal field, or GNU's base-256 form (high bit of the first byte set) for large values. */
function num(b: Buffer, off: number, len: number): number {
  if (b[off]! & 0x80) {
    let v = b[off]! & 0x7f;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i]!;
    return v;
  }
  let v = 0;
  for (let i = off; i < off + len; i++) {
    const c = b[i]!;
    if (c === 0 || c === 0x20) {
      if (v === 0 && c === 0x20) continue;
      break;
    }
    v = v * 8 + (c - 0x30);
  }
  return v;
}

/** "%d %s=%s\n" records; the length counts bytes, the whole record included. */
function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < body.length) {
    const space = body.indexOf(0x20, off);
    if (space < 0) break;
    const len = Number(body.toString("latin1", off, space));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = body.toString("utf8", space + 1, off + len - 1);
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    off += len;
  }
  return out;
}
