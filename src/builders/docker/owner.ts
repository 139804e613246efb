// Resolves the uid:gid that uploads should be owned by, from the container's own /etc/passwd and
// /etc/group (read through the archive API, so it works on images without a shell).
import { extract as tarExtract } from "tar-stream";
import type { Engine } from "../../engine/types.js";
import type { Owner } from "./tar-pack.js";

async function readSmallFile(engine: Engine, id: string, path: string): Promise<string | undefined> {
  try {
    const { tar } = await engine.getArchive(id, path);
    const ex = tarExtract();
    let text: string | undefined;
    const done = new Promise<void>((resolve, reject) => {
      ex.on("entry", (_header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: unknown) => {
          chunks.push(c as Buffer);
        });
        stream.on("end", () => {
          text ??= Buffer.concat(chunks).toString("utf8");
          next();
        });
        stream.resume();
      });
      ex.on("finish", resolve);
      ex.on("error", reject);
    });
    tar.pipe(ex);
    await done;
    return text;
  } catch {
    return undefined;
  }
}

function lookup(table: string | undefined, name: string, field: number): number | undefined {
  for (const line of (table ?? "").split("\n")) {
    const parts = line.split(":");
    if (parts[0] === name && parts[field] !== undefined && /^\d+$/.test(parts[field]))
      return Number(parts[field]);
  }
  return undefined;
}

/**
 * `user` is Docker's `USER` syntax: name, uid, name:group, uid:gid. Empty means root.
 * Throws with a clear message when a name cannot be found in the image.
 */
export async function resolveOwner(engine: Engine, containerId: string, user: string): Promise<Owner> {
  if (!user || user === "root" || user === "0") return { uid: 0, gid: 0 };
  const [u = "", g] = user.split(":");
  let passwd: string | undefined;
  const getPasswd = async () => (passwd ??= await readSmallFile(engine, containerId, "/etc/passwd"));
  let uid: number;
  if (/^\d+$/.test(u)) uid = Number(u);
  else {
    const found = lookup(await getPasswd(), u, 2);
    if (found === undefined)
      throw new Error(`user "${u}" is not in the image's /etc/passwd, so uploads cannot be owned by it`);
    uid = found;
  }
  let gid: number | undefined;
  if (g === undefined) {
    // the user's primary group; a bare uid with no passwd entry gets gid = uid's group 0, as Docker does
    gid = /^\d+$/.test(u) ? (lookupByUid(await getPasswd(), uid) ?? 0) : lookup(await getPasswd(), u, 3);
  } else if (/^\d+$/.test(g)) gid = Number(g);
  else {
    gid = lookup(await readSmallFile(engine, containerId, "/etc/group"), g, 2);
    if (gid === undefined) throw new Error(`group "${g}" is not in the image's /etc/group`);
  }
  return { uid, gid: gid ?? 0 };
}

function lookupByUid(table: string | undefined, uid: number): number | undefined {
  for (const line of (table ?? "").split("\n")) {
    const parts = line.split(":");
    if (parts[2] === String(uid) && parts[3] && /^\d+$/.test(parts[3])) return Number(parts[3]);
  }
  return undefined;
}
