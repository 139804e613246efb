// A minimal tar writer for uploads of host files (ustar headers, PAX records when a name, link
// target, size or id does not fit). It exists for speed: packing 2,000 small files through
// tar-stream took ~5 s (a stream and two promises per file); here small files are read whole and
// many entries are sent as one chunk, large files in 1 MiB reads, so memory stays bounded.
import { Buffer } from "node:buffer";

export interface TarHeader {
  name: string;
  type: "file" | "directory" | "symlink";
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
}

const BLOCK = 512;
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

/** The header block(s) for one entry: a PAX record first when a field does not fit ustar. */
export function encodeHeader(h: TarHeader): Buffer {
  const name = h.name;
  const pax: [string, string][] = [];
  const split = splitName(name);
  if (!split) pax.push(["path", name]);
  const link = h.linkname ?? "";
  if (Buffer.byteLength(link) > 100) pax.push(["linkpath", link]);
  if (h.size > MAX_OCTAL_11) pax.push(["size", String(h.size)]);
  if (h.uid > MAX_OCTAL_7) pax.push(["uid", String(h.uid)]);
  if (h.gid > MAX_OCTAL_7) pax.push(["gid", String(h.gid)]);
  const main = ustar({
    name: split?.name ?? asciiTail(name),
    prefix: split?.prefix ?? "",
    type: h.type === "file" ? "0" : h.type === "directory" ? "5" : "2",
    mode: h.mode,
    uid: h.uid > MAX_OCTAL_7 ? 0 : h.uid,
    gid: h.gid > MAX_OCTAL_7 ? 0 : h.gid,
    size: h.type === "file" && h.size <= MAX_OCTAL_11 ? h.size : 0,
    mtime: h.mtime,
    linkname: Buffer.byteLength(link) > 100 ? "" : link,
  });
  if (pax.length === 0) return main;
  const body = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(""));
  const paxHeader = ustar({
    name: asciiTail(`PaxHeaders/${name}`),
    prefix: "",
    type: "x",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: h.mtime,
    linkname: "",
  });
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.length)), main]);
}

/** Zero bytes that complete a `size`-byte body to a whole block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

interface UstarFields {
  name: string;
  prefix: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
}

function ustar(f: UstarFields): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(f.name, 0, 100);
  octal(b, 100, 8, f.mode & 0o7777);
  octal(b, 108, 8, f.uid);
  octal(b, 116, 8, f.gid);
  octal(b, 124, 12, f.size);
  octal(b, 136, 12, Math.max(0, Math.floor(f.mtime)));
  b.write(f.type, 156, 1);
  b.write(f.linkname, 157, 100);
  b.write("ustar\u000000", 257, 8);
  b.write(f.prefix, 345, 155);
  // The checksum is computed with its own field as spaces.
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  b.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8);
  return b;
}

function octal(b: Buffer, offset: number, width: number, value: number): void {
  b.write(`${value.toString(8).padStart(width - 1, "0")}\u0000`, offset, width);
}

/** ustar's name/prefix split, or undefined when the name needs a PAX path record. */
function splitName(name: string): { name: string; prefix: string } | undefined {
  if (!/^[\x20-\x7e]*$/.test(name)) return undefined;
  if (name.length <= 100) return { name, prefix: "" };
  // The prefix ends at a slash; the rest (without that slash) must fit 100 bytes.
  for (let i = name.length - 101; i < name.length; i++) {
    if (i < 0 || name[i] !== "/") continue;
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0)
      return { prefix: name.slice(0, i), name: name.slice(i + 1) };
  }
  return undefined;
}

/** A printable stand-in for the ustar name field when the real name is in a PAX record. */
function asciiTail(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, "_").slice(-100);
}

/** "%d %s=%s\n" where the leading length counts the whole record, itself included. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restLen = Buffer.byteLength(rest);
  let len = restLen + String(restLen).length;
  if (String(len).length + restLen !== len) len = restLen + String(len).length;
  return `${len}${rest}`;
}
