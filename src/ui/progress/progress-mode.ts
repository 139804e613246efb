// `-progress=auto|tty|plain` on `kiln build` and `kiln chain`: which output a run gets. `tty` is a
// live status region under the scrolling lines; `plain` is the prefixed lines only, as Packer
// prints them (no cursor movement, ever). `auto` picks tty only for a person at a terminal.
export const PROGRESS_MODES = ["auto", "tty", "plain"] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export interface OutputFacts {
  /** Whether stdout is a terminal. */
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  machineReadable: boolean;
}

/**
 * The output a run gets. Machine-readable output is always plain (its readers parse lines); `auto`
 * is tty when stdout is a terminal, TERM is not `dumb` and CI is not set (CI log viewers keep
 * every redraw), plain otherwise. `tty` forces the live view, even into a pipe.
 */
export function resolveProgress(mode: ProgressMode, facts: OutputFacts): "tty" | "plain" {
  if (facts.machineReadable || mode === "plain") return "plain";
  if (mode === "tty") return "tty";
  const term = facts.env.TERM;
  const ci = facts.env.CI;
  if (!facts.isTTY || term === undefined || term === "" || term === "dumb") return "plain";
  return ci !== undefined && ci !== "" && ci !== "false" && ci !== "0" ? "plain" : "tty";
}
