// Merges image layers (bottom first) into one layer tar, as the engine would see them stacked:
// a path takes its topmost version; whiteouts (`.wh.name`) and opaque markers (`.wh..wh..opq`)
// hide what lies below them, within the merged layers and, carried into the result, in the layers
// the result sits on (the base image's). Two passes over the layer files: the first, top-down and
// headers only, decides each path's winner; the second writes the winners, directories first (so
// every parent precedes its children), then whiteouts, then contents layer by layer, hard links last.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { posix } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extract as tarExtract, pack as tarPack, type Header } from "tar-stream";

/** A tar header as written: every field but the name may be left to tar-stream's defaults. */
type Headers = Partial<Header> & Pick<Header, "name">;

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";
const CHUNK = 1024 * 1024;

interface Winner {
  layer: number;
  header: Headers;
}

export interface MergedLayer {
  /** sha256 of the merged tar: its diff ID. */
  diffId: string;
  size: number;
  /** Paths in the result (files, directories, links), whiteouts and opaque markers included. */
  entries: number;
}

function clean(name: string): string {
  const n = posix.normalize(`/${name.replace(/^\.\//, "")}`).replace(/\/+$/, "");
  return n === "" ? "/" : n;
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = posix.dirname(path); p !== "/" && p !== "."; p = posix.dirname(p)) out.push(p);
  return out;
}

/** Reads a layer tar, calling `visit` with each header (and its content stream, to consume). */
async function eachEntry(
  file: string,
  visit: (header: Headers, stream: Readable) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const extract = tarExtract();
  extract.on("entry", (header, stream, next) => {
    visit(header, stream as unknown as Readable).then(
      () => next(),
      (e: unknown) => extract.destroy(e instanceof Error ? e : new Error(String(e))),
    );
  });
  // 1 MiB reads: a 64 kB default means thousands more thread-pool round trips per layer.
  await pipeline(createReadStream(file, { highWaterMark: CHUNK }), extract, { signal });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function drain(stream: Readable): Promise<void> {
  stream.resume();
  await new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("error", reject);
  });
}

export async function mergeLayers(
  layers: readonly string[],
  out: string,
  signal?: AbortSignal,
): Promise<MergedLayer> {
  const winners = new Map<string, Winner>();
  /** Path → the highest layer that deleted it (whiteout). */
  const deletedAt = new Map<string, number>();
  /** Directory → the highest layer that made it opaque. */
  const opaqueAt = new Map<string, number>();
  const markers = new Map<string, Headers>();

  const hidden = (path: string, layer: number): boolean => {
    if ((deletedAt.get(path) ?? -1) > layer) return true;
    for (const a of ancestors(path)) {
      if ((deletedAt.get(a) ?? -1) > layer || (opaqueAt.get(a) ?? -1) > layer) return true;
    }
    return false;
  };
  const marker = (path: string, mtime?: Date): void => {
    markers.set(path, {
      name: path.slice(1),
      type: "file",
      mode: 0o644,
      size: 0,
      mtime: mtime ?? new Date(0),
    });
  };

  for (let i = layers.length - 1; i >= 0; i--) {
    await eachEntry(
      layers[i]!,
      async (header, stream) => {
        const path = clean(header.name);
        const base = posix.basename(path);
        if (base === OPAQUE) {
          const dir = posix.dirname(path);
          if (!hidden(dir, i)) {
            marker(path, header.mtime);
            if (!opaqueAt.has(dir)) opaqueAt.set(dir, i);
          }
        } else if (base.startsWith(WHITEOUT)) {
          const target = posix.join(posix.dirname(path), base.slice(WHITEOUT.length));
          if (!hidden(target, i)) {
            const upper = winners.get(target);
            // A path an upper layer made again: a file replaces the base's; a directory must hide
            // the base's contents of that path.
            if (upper === undefined) marker(path, header.mtime);
            else if (upper.header.type === "directory") marker(posix.join(target, OPAQUE), header.mtime);
            if (!deletedAt.has(target)) deletedAt.set(target, i);
          }
        } else if (!winners.has(path) && !hidden(path, i) && path !== "/") {
          winners.set(path, {
            layer: i,
            header: { ...header, name: path.slice(1), size: header.type === "file" ? header.size : 0 },
          });
        }
        await drain(stream);
      },
      signal,
    );
  }

  const pack = tarPack();
  const hash = createHash("sha256");
  let size = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const written = pipeline(pack, counted, createWriteStream(out, { highWaterMark: CHUNK }), { signal });
  const put = (header: Headers, content?: Buffer | Readable): Promise<void> =>
    new Promise((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (content === undefined || Buffer.isBuffer(content)) {
        pack.entry(header, content ?? Buffer.alloc(0), done);
        return;
      }
      const sink = pack.entry(header, done);
      pipeline(content, sink).catch(reject);
    });

  let entries = 0;
  const dirs = [...winners.values()].filter((w) => w.header.type === "directory");
  for (const w of dirs.sort((a, b) => (a.header.name < b.header.name ? -1 : 1))) {
    await put({ ...w.header, name: `${w.header.name}/` });
    entries++;
  }
  for (const m of [...markers.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    await put(m);
    entries++;
  }
  // A hard link names an entry of its own layer. When that entry is not the result's (a layer
  // above replaced it, or changed its mode, or deleted it), the link keeps the content it had: it
  // becomes a file with a copy of that entry, as the stacked layers show it.
  const broken = new Map<string, Winner[]>();
  for (const w of winners.values()) {
    if (w.header.type !== "link") continue;
    const target = clean(w.header.linkname ?? "");
    if (winners.get(target)?.layer === w.layer) continue;
    const key = `${w.layer}:${target}`;
    broken.set(key, [...(broken.get(key) ?? []), w]);
  }
  const links: Winner[] = [];
  for (let i = 0; i < layers.length; i++) {
    await eachEntry(
      layers[i]!,
      async (header, stream) => {
        const path = clean(header.name);
        const w = winners.get(path);
        const copies = header.type === "file" ? broken.get(`${i}:${path}`) : undefined;
        if (copies) {
          const content = await readAll(stream);
          for (const link of copies) {
            const { linkname: _linkname, ...rest } = link.header;
            await put({ ...rest, type: "file", size: content.length, mode: header.mode }, content);
            entries++;
          }
          if (w && w.layer === i) {
            await put(w.header, content);
            entries++;
          }
          return;
        }
        if (w && w.layer === i && w.header.type !== "directory") {
          if (w.header.type === "link") links.push(w);
          else if (w.header.type === "file") {
            await put(w.header, stream);
            entries++;
            return;
          } else {
            await put(w.header);
            entries++;
          }
        }
        await drain(stream);
      },
      signal,
    );
  }
  for (const w of links) {
    if (winners.get(clean(w.header.linkname ?? ""))?.layer !== w.layer) continue; // copied above
    await put({ ...w.header, linkname: (w.header.linkname ?? "").replace(/^\.?\//, "") });
    entries++;
  }
  pack.finalize();
  await written;
  return { diffId: `sha256:${hash.digest("hex")}`, size, entries };
}
