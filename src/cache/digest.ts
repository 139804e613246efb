// Content digests of local inputs, as the per-step cache sees them: file content, type, mode bits,
// symlink targets and names, in a fixed (byte-order) walk; never times or host owners (as Docker
// and BuildKit leave them out). A top-level symlink is followed, as uploads follow it.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { join } from "node:path";

export interface PathDigest {
  kind: "file" | "dir" | "symlink" | "missing";
  digest: string;
  entries: number;
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const mode = (m: number) => (m & 0o7777).toString(8);

/** Canonical JSON: object keys sorted, so equal values always serialise to the same text. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Digests a file or directory tree. Each entry is one line `type mode "relative/path" content`,
 * where content is the file's sha256 or the link's target, so no two trees share a document.
 */
export async function digestPath(abs: string): Promise<PathDigest> {
  const top = await stat(abs).catch(() => undefined);
  if (!top) {
    const link = await lstat(abs).catch(() => undefined);
    if (link?.isSymbolicLink()) {
      const target = await readlink(abs);
      return { kind: "symlink", digest: sha256Hex(`dangling ${JSON.stringify(target)}`), entries: 1 };
    }
    return { kind: "missing", digest: sha256Hex("missing"), entries: 0 };
  }
  if (!top.isDirectory()) {
    const sha = await fileSha256(abs);
    return { kind: "file", digest: sha256Hex(`f ${mode(top.mode)} "" ${sha}\n`), entries: 1 };
  }
  const hash = createHash("sha256");
  let entries = 0;
  const walk = async (dir: string, rel: string, dirMode: number): Promise<void> => {
    hash.update(`d ${mode(dirMode)} ${JSON.stringify(rel)}\n`);
    entries++;
    const names = (await readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const path = join(dir, name);
      const childRel = rel === "" ? name : `${rel}/${name}`;
      const st = await lstat(path);
      if (st.isSymbolicLink()) {
        hash.update(
          `l ${mode(st.mode)} ${JSON.stringify(childRel)} ${JSON.stringify(await readlink(path))}\n`,
        );
        entries++;
      } else if (st.isDirectory()) {
        await walk(path, childRel, st.mode);
      } else if (st.isFile()) {
        hash.update(`f ${mode(st.mode)} ${JSON.stringify(childRel)} ${await fileSha256(path)}\n`);
        entries++;
      } else {
        // Sockets, fifos, devices: uploads skip them; their presence still shows.
        hash.update(`o ${mode(st.mode)} ${JSON.stringify(childRel)}\n`);
        entries++;
      }
    }
  };
  await walk(abs, "", top.mode);
  return { kind: "dir", digest: hash.digest("hex"), entries };
}
