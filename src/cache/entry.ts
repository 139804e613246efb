// Cache entries in the engine: images tagged `kiln-cache:<key>` (a repository no user image
// carries). Found by that tag, never by searching labels (labels are inherited, so every user
// image built on an entry would match). The commit comment says which step made it; it is the
// history line users see in their image, and carries nothing secret.

export const CACHE_REPO = "kiln-cache";

export function entryRef(key: string): string {
  return `${CACHE_REPO}:${key}`;
}

/** The commit comment of a step image: `kiln: provisioner 2 (shell) [cache 3f2a9c1b7d4e]`. */
export function entryComment(step: string, key: string): string {
  return `kiln: ${step} [cache ${key.slice(0, 12)}]`;
}

export function parseEntryComment(
  comment: string | undefined,
): { step: string; shortKey: string } | undefined {
  const m = /^kiln: (.+) \[cache ([0-9a-f]{12})\]$/.exec(comment ?? "");
  return m ? { step: m[1]!, shortKey: m[2]! } : undefined;
}
