// corpusops' folder discovery: the docker folder is `docker` (or DOCKER_FOLDER / --docker-folder),
// or `.docker` when only that exists; the same for `ansible` and `salt` (used by
// --generate-images). Relative to the directory kiln runs in.
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";

export function discoverFolder(cwd: string, name: string): string {
  if (isAbsolute(name)) return name;
  const candidates = name.startsWith(".") ? [name] : [name, `.${name}`];
  return candidates.find((c) => existsSync(join(cwd, c))) ?? name;
}
