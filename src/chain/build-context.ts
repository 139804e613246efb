// A Dockerfile node's build context as a tar stream, written as the docker CLI writes it: the
// context folder walked in name order, .dockerignore applied, owners 0:0, modes, times and symlinks
// kept, one file at a time (memory stays flat whatever the context's size). A Dockerfile outside
// the context travels inside it under a private name, as the CLI does.
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pack as tarPack, type Pack } from "tar-stream";
import {
  isExcluded,
  keepBuildFiles,
  mayContainExceptions,
  parseDockerignore,
  type IgnorePattern,
} from "./dockerignore.js";

export interface BuildContext {
  /** The tar stream (read once). */
  stream: Readable;
  /** The Dockerfile's path inside the context (posix). */
  dockerfile: string;
}

export interface ContextStats {
  files: number;
  bytes: number;
}

/** Reads .dockerignore first (its syntax errors surface before anything is sent). */
export async function buildContext(
  contextDir: string,
  dockerfile: string,
  onDone?: (stats: ContextStats) => void,
): Promise<BuildContext> {
  let patterns: IgnorePattern[] = [];
  try {
    patterns = parseDockerignore(await readFile(join(contextDir, ".dockerignore"), "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const rel = relative(contextDir, dockerfile);
  const outside = rel.startsWith(`..${sep}`) || rel === ".." || rel.startsWith(sep);
  const inside = outside ? `.dockerfile.${randomBytes(10).toString("hex")}` : rel.split(sep).join("/");
  patterns = keepBuildFiles(patterns, inside);
  const p = tarPack();
  const stats: ContextStats = { files: 0, bytes: 0 };
  (async () => {
    await addDir(p, contextDir, "", patterns, stats);
    if (outside) {
      const st = await lstat(dockerfile);
      await addFile(p, dockerfile, inside, st, stats);
    }
  })().then(
    () => {
      p.finalize();
      onDone?.(stats);
    },
    (err: Error) => p.destroy(err),
  );
  return { stream: Readable.from(p, { objectMode: false }), dockerfile: inside };
}

async function addDir(
  p: Pack,
  dir: string,
  rel: string,
  patterns: IgnorePattern[],
  stats: ContextStats,
): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const relPath = rel === "" ? name : `${rel}/${name}`;
    const local = join(dir, name);
    const st = await lstat(local);
    const excluded = isExcluded(patterns, relPath);
    if (st.isDirectory()) {
      if (excluded) {
        // Walked without its own entry only when an exception may name something inside.
        if (mayContainExceptions(patterns, relPath)) await addDir(p, local, relPath, patterns, stats);
        continue;
      }
      await entry(p, {
        name: relPath,
        type: "directory",
        mode: st.mode & 0o7777,
        mtime: st.mtime,
        uid: 0,
        gid: 0,
      });
      await addDir(p, local, relPath, patterns, stats);
    } else if (excluded) {
      continue;
    } else if (st.isSymbolicLink()) {
      await entry(p, {
        name: relPath,
        type: "symlink",
        linkname: await readlink(local),
        mode: st.mode & 0o7777,
        mtime: st.mtime,
        uid: 0,
        gid: 0,
      });
    } else if (st.isFile()) {
      await addFile(p, local, relPath, st, stats);
    }
    // Sockets, fifos and devices are not sent, as the CLI does.
  }
}

async function addFile(
  p: Pack,
  local: string,
  name: string,
  st: { mode: number; size: number; mtime: Date },
  stats: ContextStats,
): Promise<void> {
  const sink = p.entry({
    name,
    type: "file",
    mode: st.mode & 0o7777,
    size: st.size,
    mtime: st.mtime,
    uid: 0,
    gid: 0,
  });
  await pipeline(createReadStream(local), sink);
  stats.files++;
  stats.bytes += st.size;
}

function entry(p: Pack, header: Parameters<Pack["entry"]>[0]): Promise<void> {
  return new Promise((resolve, reject) => p.entry(header, (err) => (err ? reject(err) : resolve())));
}
