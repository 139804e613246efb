// Artifacts are plain data (a discriminated union) so they serialize to machine-readable output,
// the manifest post-processor and the run report. Builder ids are Packer's, for compatibility.

export type Artifact =
  | {
      kind: "image"; // builder commit or docker-import or docker-tag or docker-push
      builderId: string; // packer.post-processor.docker-import | …docker-tag
      imageId: string; // sha256:…
      id: string; // Packer's Id(): image id, or last repo:tag
      tags: string[]; // docker_tags state: every repo:tag this artifact carries
      /** filled by docker-push: reference → manifest digest (and the bytes the push uploaded) */
      pushed?: { ref: string; digest: string; bytes?: number }[];
    }
  | {
      kind: "export"; // export_path or discard
      builderId: "packer.docker";
      path: string; // "" for discard
    }
  | {
      kind: "files"; // artifice
      builderId: string;
      id: string;
      files: string[];
    };

/**
 * Builder IDs of image artifacts that docker-tag and docker-push take: Packer's two, and kiln's
 * docker-squash (its result is an image like docker-import's).
 */
export const IMAGE_ARTIFACT_IDS: readonly string[] = [
  "packer.post-processor.docker-import",
  "packer.post-processor.docker-tag",
  "kiln.post-processor.docker-squash",
];

/** Packer's Artifact.String() */
export function describeArtifact(a: Artifact): string {
  switch (a.kind) {
    case "image": {
      const base = `Imported Docker image: ${a.id}`;
      const withTags = a.builderId === "packer.post-processor.docker-tag" && a.tags.length > 0;
      let s = withTags ? `${base} with tags ${a.tags.join(" ")}` : base;
      if (a.pushed && a.pushed.length > 0) {
        s += `\n    pushed: ${a.pushed.map((p) => `${p.ref}@${p.digest}`).join(", ")}`;
      }
      return s;
    }
    case "export":
      return `Exported Docker file: ${a.path}`;
    case "files": // artifice's
      return `Created artifact from files: ${a.files.join(", ")}`;
  }
}

export function artifactId(a: Artifact): string {
  return a.kind === "export" ? "Container" : a.id;
}

export function artifactFiles(a: Artifact): string[] {
  return a.kind === "export" ? [a.path] : a.kind === "files" ? a.files : [];
}
