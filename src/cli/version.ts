// The version, read from package.json at run time so it can never drift.
import { readFileSync } from "node:fs";

export const PACKER_COMPAT_VERSION = "1.6.6";

export function kilnVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
