// Image references as values: parsed once, normalised the way the docker CLI normalises them
// (`ubuntu` → `docker.io/library/ubuntu`), and printed back in the short ("familiar") form the
// engine shows in RepoTags.
import { EngineError } from "./errors.js";

export const DOCKER_HUB = "docker.io";
/** The key Docker Hub credentials are stored under in config.json and sent as serveraddress. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const IMAGE_ID = /^(?:sha256:)?[a-f0-9]{64}$/;
const MAX_NAME = 255;

/** True for engine image IDs (`sha256:<64 hex>` or bare 64 hex), which are not references. */
export function isImageId(value: string): boolean {
  return IMAGE_ID.test(value);
}

export class ImageReference {
  private constructor(
    /** The registry host (`docker.io`, `localhost:5000`, `ghcr.io`). */
    readonly registry: string,
    /** The repository path inside the registry (`library/ubuntu`, `team/app`). */
    readonly path: string,
    /** Only what was written; see `tagOrLatest` for the docker default. */
    readonly tag?: string,
    readonly digest?: string,
  ) {}

  static parse(input: string): ImageReference {
    const fail = (why: string): never => {
      throw new EngineError("bad-request", `invalid image reference "${input}": ${why}`);
    };
    if (input === "") fail("it is empty");
    if (isImageId(input) || /^sha256:[a-f0-9]*$/.test(input)) {
      fail("it is an image ID, not a reference");
    }

    let rest = input;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at !== -1) {
      digest = rest.slice(at + 1);
      rest = rest.slice(0, at);
      if (!DIGEST.test(digest)) fail(`"${digest}" is not a digest (algorithm:hex)`);
      if (digest.startsWith("sha256:") && !SHA256_DIGEST.test(digest)) {
        fail("a sha256 digest has exactly 64 lowercase hex digits");
      }
    }

    let tag: string | undefined;
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      tag = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
      if (!TAG.test(tag))
        fail(`"${tag}" is not a valid tag (letters, digits, _ . -; at most 128; not starting with . or -)`);
    }

    let registry = DOCKER_HUB;
    let path = rest;
    const slash = rest.indexOf("/");
    if (slash !== -1) {
      const first = rest.slice(0, slash);
      // The docker rule: the first component is a registry only if it looks like a host.
      if (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase()) {
        registry = first === "index.docker.io" ? DOCKER_HUB : first;
        path = rest.slice(slash + 1);
        if (!DOMAIN.test(registry)) fail(`"${registry}" is not a valid registry host`);
      }
    }
    if (path === "") fail("the repository name is empty");
    for (const component of path.split("/")) {
      if (PATH_COMPONENT.test(component)) continue;
      if (PATH_COMPONENT.test(component.toLowerCase())) fail("repository names must be lowercase");
      fail(
        `"${component}" is not a valid path component (lowercase letters, digits, and . _ __ - between them)`,
      );
    }
    if (registry === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
    if (registry.length + 1 + path.length > MAX_NAME) fail(`the name is longer than ${MAX_NAME} characters`);
    return new ImageReference(registry, path, tag, digest);
  }

  static tryParse(input: string): ImageReference | undefined {
    try {
      return ImageReference.parse(input);
    } catch {
      return undefined;
    }
  }

  get isDockerHub(): boolean {
    return this.registry === DOCKER_HUB;
  }

  /** The full repository name (`docker.io/library/ubuntu`), as sent to the engine for pull and push. */
  get name(): string {
    return `${this.registry}/${this.path}`;
  }

  /** The short repository name the docker CLI prints (`ubuntu`, `team/app`, `localhost:5000/app`). */
  get familiarName(): string {
    if (!this.isDockerHub) return this.name;
    return this.path.startsWith("library/") && this.path.split("/").length === 2
      ? this.path.slice(8)
      : this.path;
  }

  /** The credentials key for this registry (Docker Hub's is `https://index.docker.io/v1/`). */
  get authKey(): string {
    return this.isDockerHub ? DOCKER_HUB_AUTH_KEY : this.registry;
  }

  get tagOrLatest(): string {
    return this.tag ?? "latest";
  }

  withTag(tag: string): ImageReference {
    return ImageReference.parse(`${this.name}:${tag}`);
  }

  withDigest(digest: string): ImageReference {
    return ImageReference.parse(`${this.name}${this.tag ? `:${this.tag}` : ""}@${digest}`);
  }

  /** Without tag and digest. */
  get repository(): ImageReference {
    return new ImageReference(this.registry, this.path);
  }

  /** The familiar form (`ubuntu:22.04`), matching `docker images` and RepoTags. */
  toString(): string {
    return this.format(this.familiarName);
  }

  /** The fully qualified form (`docker.io/library/ubuntu:22.04`). */
  toCanonicalString(): string {
    return this.format(this.name);
  }

  equals(other: ImageReference): boolean {
    return this.toCanonicalString() === other.toCanonicalString();
  }

  private format(name: string): string {
    return `${name}${this.tag !== undefined ? `:${this.tag}` : ""}${this.digest !== undefined ? `@${this.digest}` : ""}`;
  }
}
