// Streams local files into tar archives for the Engine API's archive endpoint, one file at a time
// so memory stays bounded whatever the size. Ownership is written into the headers, so uploads
// need no `chown` exec (which fails on images without /etc/passwd).
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { pack as tarPack, type Pack } from "tar-stream";
import { Readable } from "node:stream";

export interface Owner {
  uid: number;
  gid: number;
}

export interface TarEntrySource {
  /** Path inside the archive (relative, posix). */
  name: string;
  data: Buffer | string;
  mode: number;
}

function addEntry(p: Pack, header: Parameters<Pack["entry"]>[0], body?: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body === undefined) p.entry(header, cb);
    else p.entry(header, body, cb);
  });
}

async function addFile(
  p: Pack,
  local: string,
  name: string,
  owner: Owner,
  mode: number,
  size: number,
  mtime: Date,
) {
  const sink = p.entry({ name, mode, size, mtime, uid: owner.uid, gid: owner.gid, type: "file" });
  await pipeline(createReadStream(local), sink);
}

/**
 * `root`: the path the user named. It is followed when it is a symlink (the upload is what it
 * points to, as Packer uploads a symlinked file's content); symlinks below it are archived as
 * symlinks, as `docker cp` does.
 */
async function addTree(p: Pack, local: string, name: string, owner: Owner, root = false): Promise<void> {
  const st = root ? await stat(local) : await lstat(local);
  const common = { name, mtime: st.mtime, uid: owner.uid, gid: owner.gid, mode: st.mode & 0o7777 };
  if (st.isSymbolicLink()) {
    await addEntry(p, { ...common, type: "symlink", linkname: await readlink(local) });
  } else if (st.isDirectory()) {
    if (name !== "" && name !== ".") await addEntry(p, { ...common, type: "directory" });
    const children = (await readdir(local)).sort();
    for (const child of children) {
      await addTree(
        p,
        join(local, child),
        name === "" || name === "." ? child : posix.join(name, child),
        owner,
      );
    }
  } else if (st.isFile()) {
    await addFile(p, local, name, owner, st.mode & 0o7777, st.size, st.mtime);
  }
  // sockets, fifos and devices are skipped, as `docker cp` does for sockets
}

/**
 * A tar of `local` (file or directory). With `contentsOnly`, a directory's children are placed at
 * the archive root under `prefix`; otherwise the directory itself becomes `prefix`.
 */
export function packPath(local: string, prefix: string, owner: Owner): Readable {
  const p = tarPack();
  addTree(p, local, prefix, owner, true).then(
    () => p.finalize(),
    (err: Error) => p.destroy(err),
  );
  return toNodeReadable(p);
}

/** A tar of in-memory entries (scripts, env files, inline content). */
export function packData(entries: TarEntrySource[], owner: Owner): Readable {
  const p = tarPack();
  (async () => {
    for (const e of entries) {
      const body = typeof e.data === "string" ? Buffer.from(e.data) : e.data;
      await addEntry(
        p,
        { name: e.name, mode: e.mode, uid: owner.uid, gid: owner.gid, size: body.length, mtime: new Date() },
        body,
      );
    }
  })().then(
    () => p.finalize(),
    (err: Error) => p.destroy(err),
  );
  return toNodeReadable(p);
}

/** A tar of empty directories (`a/`, `a/b/`…), 0755, owned by `owner`. */
export function packDirs(names: string[], owner: Owner): Readable {
  const p = tarPack();
  (async () => {
    for (const name of names) {
      await addEntry(p, {
        name,
        type: "directory",
        mode: 0o755,
        uid: owner.uid,
        gid: owner.gid,
        mtime: new Date(),
      });
    }
  })().then(
    () => p.finalize(),
    (err: Error) => p.destroy(err),
  );
  return toNodeReadable(p);
}

/** tar-stream's packs are streamx streams; the Engine seam takes Node Readables. */
function toNodeReadable(p: Pack): Readable {
  return Readable.from(p, { objectMode: false });
}
