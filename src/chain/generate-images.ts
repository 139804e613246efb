// `--generate-images`: writes `<images folder>/packer/<file>` for each Packer entry from one
// template (default `<docker folder>/packer.json`), replacing __VERSION__, __NAME__,
// __ANSIBLE_FOLDER, __SALT_FOLDER and __DOCKER_FOLDER, as the original does. Dockerfile entries
// are left alone (the original wrote the Packer template over them). Files are written under a
// temporary name and renamed: an interrupted run never leaves a half-written template.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import type { ImagesEntry } from "./images-json.js";

export interface GenerateFolders {
  docker: string;
  ansible: string;
  salt: string;
}

export function fillTemplate(
  content: string,
  entry: { name: string; version: string },
  folders: GenerateFolders,
): string {
  return content
    .replaceAll("__VERSION__", entry.version)
    .replaceAll("__NAME__", entry.name)
    .replaceAll("__ANSIBLE_FOLDER", folders.ansible)
    .replaceAll("__SALT_FOLDER", folders.salt)
    .replaceAll("__DOCKER_FOLDER", folders.docker);
}

/** Returns the files written, in entry order. */
export async function generateImages(
  entries: readonly ImagesEntry[],
  templatePath: string,
  folders: GenerateFolders,
  onWrite: (path: string) => void,
): Promise<string[]> {
  const content = await readFile(templatePath, "utf8");
  const written: string[] = [];
  for (const e of entries) {
    if (e.builderType !== "packer") continue;
    await mkdir(dirname(e.path), { recursive: true });
    const temp = `${e.path}.kiln-${randomBytes(4).toString("hex")}`;
    await writeFile(temp, fillTemplate(content, e, folders));
    await rename(temp, e.path);
    onWrite(e.path);
    written.push(e.path);
  }
  return written;
}
