// `img_parts` of an IMAGES.json tag, as the original names them (registry, registry_host,
// registry_port, repo, image, tag), for `{img_parts[tag]}` in extra_args. Parts not written are
// None, as in the original; any valid reference is accepted (the original's pattern refused
// registries without a port and repositories with more than one path component).
import { ImageReference } from "../engine/reference.js";

export interface ImageParts {
  registry: string | null;
  registry_host: string | null;
  registry_port: string | null;
  repo: string | null;
  image: string;
  tag: string | null;
}

export function parseImageParts(ref: string): ImageParts | undefined {
  const parsed = ImageReference.tryParse(ref);
  if (!parsed || parsed.digest !== undefined) return undefined;
  // What was written, not the normalised form: `ubuntu` has no repo, not `library`.
  let rest = ref;
  let registry: string | null = null;
  const slash = rest.indexOf("/");
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === "localhost") {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  const colon = rest.lastIndexOf(":");
  const tag = colon > rest.lastIndexOf("/") ? rest.slice(colon + 1) : null;
  if (tag !== null) rest = rest.slice(0, colon);
  const last = rest.lastIndexOf("/");
  const [host, port] = registry ? (registry.split(":") as [string, string | undefined]) : [null, undefined];
  return {
    registry,
    registry_host: host,
    registry_port: port ?? null,
    repo: last === -1 ? null : rest.slice(0, last),
    image: last === -1 ? rest : rest.slice(last + 1),
    tag,
  };
}
