// Acquire, then register the undo on the next line. Undos run in reverse order exactly once,
// whatever happened; a failing undo is reported and never hides the error that caused cleanup.

export interface CleanupEntry {
  description: string;
  undo: () => Promise<void>;
}

export class CleanupStack {
  private entries: CleanupEntry[] = [];
  /** The undo running now: a forced exit must list it too, it may never finish. */
  private running: CleanupEntry | undefined;

  push(description: string, undo: () => Promise<void>): void {
    this.entries.push({ description, undo });
  }

  /** Drop an entry without running it (ownership passed on, e.g. an artifact the user keeps). */
  release(description: string): void {
    this.entries = this.entries.filter((e) => e.description !== description);
  }

  /** What would still be undone, most recent first (printed when a run is forced to exit). */
  pending(): string[] {
    const waiting = this.entries.map((e) => e.description).reverse();
    return this.running ? [`${this.running.description} (in progress)`, ...waiting] : waiting;
  }

  /** Runs every undo, most recent first; returns the failures instead of throwing. */
  async runAll(onStep?: (description: string) => void): Promise<{ description: string; error: unknown }[]> {
    const failures: { description: string; error: unknown }[] = [];
    while (this.entries.length > 0) {
      const entry = this.entries.pop()!;
      onStep?.(entry.description);
      this.running = entry;
      try {
        await entry.undo();
      } catch (error) {
        failures.push({ description: entry.description, error });
      } finally {
        this.running = undefined;
      }
    }
    return failures;
  }
}
