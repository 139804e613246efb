// `-progress=auto|tty|plain`, shared by `kiln build` and `kiln chain`: the flag and its check
// (invalid input, exit 2, with a did-you-mean, before anything runs).
import type { Command } from "commander";
import { suggest } from "../template/suggest.js";
import { PROGRESS_MODES, type ProgressMode } from "../ui/progress/progress-mode.js";

export interface ProgressFlags {
  progress: string;
}

export function addProgressOptions(cmd: Command): Command {
  return cmd.option(
    "--progress <mode>",
    "auto, tty (a live status of each running build under the output) or plain (prefixed lines only); auto is tty on a terminal unless TERM=dumb or CI is set, and -machine-readable is always plain",
    "auto",
  );
}

/** The mode, or undefined having said why the value is invalid. */
export function progressModeOrSay(
  flags: ProgressFlags,
  err: (line: string) => void,
): ProgressMode | undefined {
  const parsed = parseProgressMode(flags.progress);
  if ("mode" in parsed) return parsed.mode;
  err(parsed.error);
  return undefined;
}

/** The mode, or the message for an invalid value (the caller exits 2 before contacting the engine). */
export function parseProgressMode(value: string): { mode: ProgressMode } | { error: string } {
  const mode = PROGRESS_MODES.find((m) => m === value);
  if (mode !== undefined) return { mode };
  const near = suggest(value, PROGRESS_MODES, 1);
  return {
    error:
      `-progress: expected auto, tty or plain, got ${JSON.stringify(value)}` +
      (near.length > 0 ? `; did you mean ${JSON.stringify(near[0])}?` : ".") +
      ` Use -progress=plain for logs and CI, -progress=tty for the live view, or leave it out (auto).`,
  };
}
