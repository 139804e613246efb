// Image references compared as the engine resolves them: `base` and `docker.io/library/base:latest`
// are the same image. References with a digest (or not parseable) never match a tag.
import { ImageReference } from "../engine/reference.js";

export function imageKey(ref: string): string | undefined {
  const parsed = ImageReference.tryParse(ref);
  if (!parsed || parsed.digest !== undefined) return undefined;
  return `${parsed.name}:${parsed.tagOrLatest}`;
}
