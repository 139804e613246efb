// Error text for users: the message without stacks; with -debug, the stack and every cause.
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
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
    const text = cur instanceof Error ? (cur.stack ?? `${cur.name}: ${cur.message}`) : String(cur);
    parts.push(parts.length === 0 ? text : `caused by: ${text}`);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join("\n");
}
