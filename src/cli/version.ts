// The version, read from package.json at run time so it can never drift.
import { readFileSync } from "node:fs";

export const PACKER_COMPAT_VERSION = "1.6.6";

/** package.json is two levels up from dist/cli/ and one level up from the bundle in dist/. */
export function kilnVersion(): string {
  for (const rel of ["../../package.json", "../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as {
        name?: string;
        version: string;
      };
      if (pkg.name === "kiln") return pkg.version;
    } catch {
      // not at this level: try the next one
    }
  }
  return "unknown";
}
