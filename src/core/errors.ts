// Errors of a build, for users: messages without stacks (a stack only with --debug / KILN_LOG),
// and the structured form the run events and the report carry.

/** A failure with a message meant for the user (no stack), and a cause chain. */
export class BuildError extends Error {
  override readonly name = "BuildError";
}

/** Where in a build something failed: what the report and machine consumers branch on. */
export type BuildPhase = "prepare" | "builder" | "provision" | "post-process" | "cleanup";

export interface BuildFailure {
  phase: BuildPhase;
  /** The step that failed (e.g. `provisioner 2 (shell)`, `pull`, `docker-push`), when known. */
  step?: string;
  /** What the user reads: the top-level message. */
  message: string;
  /** The messages of the error's causes, outermost first (without the top-level one). */
  causes: string[];
  cancelled: boolean;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The messages of `e`'s cause chain below `e` itself, deduplicated where a wrapper repeats them. */
export function causeMessages(e: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>([e]);
  let text = errorMessage(e);
  for (let c = e instanceof Error ? e.cause : undefined; c !== undefined && !seen.has(c);) {
    seen.add(c);
    const m = errorMessage(c);
    if (m && !text.includes(m)) out.push(m);
    text += `\n${m}`;
    c = c instanceof Error ? c.cause : undefined;
  }
  return out;
}

export function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return (
    (signal?.aborted ?? false) ||
    (e instanceof Error && (e.name === "AbortError" || (e as { kind?: string }).kind === "aborted"))
  );
}

/**
 * For -debug: the error's stack, then each cause's (`caused by: …`). Never shown without -debug:
 * users get errorMessage, which names the problem; stacks are for reporting a bug in kiln.
 */
export function debugDetail(e: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let cur: unknown = e; cur !== undefined && cur !== null && !seen.has(cur);) {
    seen.add(cur);
    const text = cur instanceof Error ? (cur.stack ?? `${cur.name}: ${cur.message}`) : JSON.stringify(cur);
    parts.push(parts.length === 0 ? text : `caused by: ${text}`);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join("\n");
}
