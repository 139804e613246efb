// Reads a filesystem out of a tar stream into a comparable map: path → type, mode, owner, size,
// content hash (and link target or device numbers). Serves `docker export` streams of an image's
// root fs, export_path files, and `docker save` files (whose layers are merged, whiteouts applied).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { extract, type Header } from "tar-stream";

export interface FsEntry {
  type: "file" | "dir" | "symlink" | "char" | "block" | "fifo";
  /** Permission bits with setuid/setgid/sticky, 4 octal digits. */
  mode: string;
  uid: number;
  gid: number;
  size: number;
  sha256?: string;
  /** Symlink target. */
  link?: string;
  /** `major,minor` of a device node. */
  device?: string;
}

export type FsMap = Map<string, FsEntry>;

/**
 * Paths whose content says nothing about the build: Docker creates or mounts them in every
 * container (README.md lists each with the reason). The subtree below each is skipped too.
 */
export const VOLATILE_PATHS = [
  "/etc/hostname",
  "/etc/hosts",
  "/etc/resolv.conf",
  "/.dockerenv",
  "/proc",
  "/sys",
  "/dev",
];

export function isVolatile(p: string): boolean {
  return VOLATILE_PATHS.some((v) => p === v || p.startsWith(`${v}/`));
}

/** `file 0644 0:0 12 <sha256>`, `dir 0755 0:0`, `symlink 0777 0:0 -> target`: one line per entry. */
export function describeEntry(e: FsEntry): string {
  const head = `${e.type} ${e.mode} ${e.uid}:${e.gid}`;
  switch (e.type) {
    case "file":
      return `${head} ${e.size} ${e.sha256 ?? "?"}`;
    case "symlink":
      return `${head} -> ${e.link ?? ""}`;
    case "char":
    case "block":
      return `${head} ${e.device ?? ""}`;
    default:
      return head;
  }
}

/** How many properties one entry stands for (type, mode, uid, gid, and size/hash or link or device). */
export function entryWeight(e: FsEntry): number {
  switch (e.type) {
    case "file":
      return 6;
    case "symlink":
    case "char":
    case "block":
      return 5;
    default:
      return 4;
  }
}

export function normalizeTarPath(name: string): string {
  const clean = path.posix.normalize(`/${name}`).replace(/\/+$/, "");
  return clean === "" ? "/" : clean;
}

const TYPES: Partial<Record<Header["type"], FsEntry["type"]>> = {
  file: "file",
  "contiguous-file": "file",
  directory: "dir",
  symlink: "symlink",
  "character-device": "char",
  "block-device": "block",
  fifo: "fifo",
};

export interface TarVisit {
  header: Header;
  /** The normalized absolute path. */
  path: string;
  /** Entry content, when `keep` asked for it. */
  content?: Buffer;
}

/**
 * Walks a tar stream, hashing every regular file. `keep(path)` selects entries whose content is
 * also returned (docker save's manifest, configs and layer tars).
 */
export async function walkTar(
  stream: Readable,
  opts: { keep?: (p: string) => boolean } = {},
): Promise<{ fs: FsMap; kept: Map<string, Buffer> }> {
  const fs: FsMap = new Map();
  const kept = new Map<string, Buffer>();
  const ex = extract();
  stream.on("error", (err) => ex.destroy(err));
  stream.pipe(ex);
  for await (const entry of ex) {
    const h = entry.header;
    const p = normalizeTarPath(h.name);
    const keep = opts.keep?.(p) ?? false;
    const hash = createHash("sha256");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      if (keep) chunks.push(chunk);
    }
    if (keep) kept.set(p, Buffer.concat(chunks));
    addEntry(fs, h, p, size, hash.digest("hex"));
  }
  return { fs, kept };
}

function addEntry(fs: FsMap, h: Header, p: string, size: number, sha256: string): void {
  if (p === "/") return;
  const base = {
    mode: ((h.mode ?? 0) & 0o7777).toString(8).padStart(4, "0"),
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
  };
  if (h.type === "link") {
    // A hard link is the same file under another name; which name a tar lists first depends on
    // directory order, so both are recorded as files with the target's content.
    const target = fs.get(normalizeTarPath(h.linkname ?? ""));
    fs.set(
      p,
      target === undefined
        ? { type: "file", ...base, size: 0, sha256: "<dangling hard link>" }
        : { ...target },
    );
    return;
  }
  const type = TYPES[h.type];
  if (type === undefined) return; // pax headers and the like are consumed by tar-stream
  const entry: FsEntry = { type, ...base, size: type === "file" ? size : 0 };
  if (type === "file") entry.sha256 = sha256;
  if (type === "symlink") entry.link = h.linkname ?? "";
  if (type === "char" || type === "block") entry.device = `${h.devmajor ?? 0},${h.devminor ?? 0}`;
  fs.set(p, entry);
}

export type TarFileSnapshot =
  | { kind: "rootfs"; fs: FsMap }
  | { kind: "save"; repoTags: string[]; config: Record<string, unknown>; fs: FsMap };

interface SaveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** A tar file: a root fs (docker export) or an image archive (docker save, layers merged). */
export async function snapshotTarFile(file: string): Promise<TarFileSnapshot> {
  const { fs, kept } = await walkTar(createReadStream(file), {
    keep: (p) => p === "/manifest.json" || /^\/[^/]+\.json$/.test(p) || /^\/[^/]+\/layer\.tar$/.test(p),
  });
  const manifestText = kept.get("/manifest.json");
  if (manifestText === undefined) {
    for (const p of [...fs.keys()]) if (isVolatile(p)) fs.delete(p);
    return { kind: "rootfs", fs };
  }
  const manifest = JSON.parse(manifestText.toString("utf8")) as SaveManifestEntry[];
  const image = manifest[0];
  if (image === undefined) return { kind: "save", repoTags: [], config: {}, fs: new Map() };
  const configText = kept.get(normalizeTarPath(image.Config));
  const config =
    configText === undefined ? {} : (JSON.parse(configText.toString("utf8")) as Record<string, unknown>);
  const merged: FsMap = new Map();
  for (const layer of image.Layers) {
    const content = kept.get(normalizeTarPath(layer));
    if (content === undefined) throw new Error(`${file}: layer ${layer} is missing`);
    const { fs: layerFs } = await walkTar(Readable.from([content]));
    applyLayer(merged, layerFs);
  }
  for (const p of [...merged.keys()]) if (isVolatile(p)) merged.delete(p);
  return { kind: "save", repoTags: image.RepoTags ?? [], config, fs: merged };
}

/** Applies one image layer on top of `lower`, honouring OCI/Docker whiteouts. */
export function applyLayer(lower: FsMap, layer: FsMap): void {
  for (const [p, entry] of layer) {
    const base = path.posix.basename(p);
    const dir = path.posix.dirname(p);
    if (base === ".wh..wh..opq") {
      for (const existing of [...lower.keys()]) if (existing.startsWith(`${dir}/`)) lower.delete(existing);
      continue;
    }
    if (base.startsWith(".wh.")) {
      const gone = path.posix.join(dir, base.slice(".wh.".length));
      for (const existing of [...lower.keys()]) {
        if (existing === gone || existing.startsWith(`${gone}/`)) lower.delete(existing);
      }
      continue;
    }
    lower.set(p, entry);
  }
}
