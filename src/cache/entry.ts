// Cache entries in the engine: images tagged `kiln-cache:<key>` (a repository no user image
// carries). Found by that tag, never by searching labels (labels are inherited, so every user
// image built on an entry would match). The commit comment says which step made it; it is the
// history line users see in their image, and carries nothing secret.

export const CACHE_REPO = "kiln-cache";

export function entryRef(key: string): string {
  return `${CACHE_REPO}:${key}`;
}

/**
 * The commit comment of a step image: `kiln: provisioner 2 (shell) [cache 3f2a9c1b7d4e]`, then
 * ` [scratch /packer-files]` when the image keeps the builder's scratch directory (a step that is
 * not the build's last keeps it, so the next step need not make it again; the result never has
 * it), then the step's build outputs as JSON when it published any: ` outputs {"version":"12.5"}`.
 * The comment travels with the image config, so an entry pulled with -cache-from carries both; a
 * cached rebuild gets the same values. Outputs that match a sensitive value are never written
 * here (run/provision-steps.ts does not save such a step).
 */
export function entryComment(
  step: string,
  key: string,
  outputs?: Record<string, string>,
  scratch?: string,
): string {
  let comment = `kiln: ${step} [cache ${key.slice(0, 12)}]`;
  if (scratch) comment += ` [scratch ${scratch}]`;
  if (outputs && Object.keys(outputs).length > 0) comment += ` outputs ${JSON.stringify(outputs)}`;
  return comment;
}

export interface EntryComment {
  step: string;
  shortKey: string;
  outputs: Record<string, string>;
  /** The scratch directory the entry's image keeps, if any. */
  scratch?: string;
}

export function parseEntryComment(comment: string | undefined): EntryComment | undefined {
  const m = /^kiln: (.+?) \[cache ([0-9a-f]{12})\](?: \[scratch (\/[^\]]*)\])?(?: outputs (\{.*\}))?$/s.exec(
    comment ?? "",
  );
  if (!m) return undefined;
  let outputs: Record<string, string> = {};
  if (m[4]) {
    try {
      const parsed: unknown = JSON.parse(m[4]);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        outputs = Object.fromEntries(
          Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"),
        );
      }
    } catch {
      return undefined;
    }
  }
  return { step: m[1]!, shortKey: m[2]!, outputs, ...(m[3] ? { scratch: m[3] } : {}) };
}
