// Error text for users: the message chain without stacks (a stack only with -debug / KILN_LOG).
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
