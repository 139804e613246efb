// The `X-Docker-Container-Path-Stat` header of the archive endpoints: base64 JSON whose `mode` is
// a Go os.FileMode (type bits high, not the unix S_IF* layout), so helpers read it for callers.
import { EngineError } from "./errors.js";
import type { ArchiveStat } from "./types.js";

export const PATH_STAT_HEADER = "x-docker-container-path-stat";

const GO_MODE_DIR = 31;
const GO_MODE_SYMLINK = 27;
const GO_MODE_SETUID = 23;
const GO_MODE_SETGID = 22;
const GO_MODE_STICKY = 20;

export function decodePathStat(header: string | string[] | undefined, action: string): ArchiveStat {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) throw new EngineError("server", `${action}: the engine sent no path stat header`);
  try {
    const raw = JSON.parse(Buffer.from(value, "base64").toString("utf8")) as Partial<ArchiveStat>;
    return {
      name: String(raw.name ?? ""),
      size: Number(raw.size ?? 0),
      mode: Number(raw.mode ?? 0),
      mtime: String(raw.mtime ?? ""),
      linkTarget: String(raw.linkTarget ?? ""),
    };
  } catch (cause) {
    throw new EngineError("server", `${action}: the engine sent an unreadable path stat header`, undefined, {
      cause,
    });
  }
}

const bit = (mode: number, position: number): boolean => ((mode >>> position) & 1) === 1;

export function isDirectoryMode(mode: number): boolean {
  return bit(mode, GO_MODE_DIR);
}

export function isSymlinkMode(mode: number): boolean {
  return bit(mode, GO_MODE_SYMLINK);
}

/** The unix st_mode equivalent; files that are neither directories nor symlinks count as regular. */
export function toUnixMode(mode: number): number {
  const type = isDirectoryMode(mode) ? 0o040000 : isSymlinkMode(mode) ? 0o120000 : 0o100000;
  return (
    type |
    (bit(mode, GO_MODE_SETUID) ? 0o4000 : 0) |
    (bit(mode, GO_MODE_SETGID) ? 0o2000 : 0) |
    (bit(mode, GO_MODE_STICKY) ? 0o1000 : 0) |
    (mode & 0o777)
  );
}
