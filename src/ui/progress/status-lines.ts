// The live region's lines, from the progress state at a moment and the terminal's width: a header
// (elapsed time, lanes running and finished), then a line per running lane. Pure, so the tests
// drive it with a fake clock and width.
import { formatTransfer } from "./bytes.js";
import type { StepRef } from "../../core/events.js";
import type { LaneProgress, ProgressState } from "./progress-state.js";

/** Escape sequences (colours, cursor moves) in provisioner output: removed. */
// eslint-disable-next-line no-control-regex
const SEQUENCE = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-_]/g;
/** Other control characters (`\r` progress bars, bells, tabs) would move the cursor: a space each. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function statusLines(state: ProgressState, now: number, width: number, runStart = 0): string[] {
  const running = [...state.running.values()];
  // Before the run says what it will run (engine checks, leftovers removed): nothing to show yet.
  if (state.planned === undefined && running.length === 0) return [];
  const what = state.kind === "chain" ? "Chain" : "Building";
  const done =
    state.planned !== undefined
      ? `${state.finished} of ${state.planned} finished`
      : `${state.finished} finished`;
  const failed = state.failed > 0 ? `, ${state.failed} failed` : "";
  const header = `[+] ${what} ${seconds(now - runStart)} (${running.length} running, ${done}${failed})`;
  const nameWidth = Math.min(24, Math.max(0, ...running.map((l) => l.name.length)));
  return [header, ...running.map((l) => laneLine(l, now, nameWidth))].map((line) => fit(line, width));
}

function laneLine(l: LaneProgress, now: number, nameWidth: number): string {
  const parts = [` => ${clean(l.name).padEnd(nameWidth)}`];
  parts.push(l.step ? stepText(l.step, l.steps) : "starting");
  parts.push(seconds(now - l.startedAt));
  if (l.transfer) {
    const arrow = l.transfer.direction === "pull" ? "pull" : "push";
    parts.push(`${arrow} ${formatTransfer(l.transfer.current, l.transfer.total)}`);
  }
  const line = parts.join("  ");
  return l.lastLine !== undefined && clean(l.lastLine).trim() !== ""
    ? `${line}  | ${clean(l.lastLine).trim()}`
    : line;
}

/**
 * What the lane is doing: `step k/n <provisioner>` (n: the build's provisioners), `builder <step>`
 * for the builder's own steps (pull, create, commit…), `post-processor <type>` after them.
 */
function stepText(step: StepRef, steps: number | undefined): string {
  const name = clean(step.name);
  if (step.phase === "builder") return `builder ${name}`;
  if (step.phase === "post-process") return step.type === "push" ? name : `post-processor ${name}`;
  return steps !== undefined ? `step ${step.index + 1}/${steps} ${name}` : name;
}

/** `12.3s`, `2m05s`. */
export function seconds(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s - m * 60)).padStart(2, "0")}s`;
}

/** Control sequences and characters out: a line in the region must never move the cursor. */
export function clean(text: string): string {
  return text.replace(SEQUENCE, "").replace(CONTROL, " ");
}

/**
 * At most `width - 1` columns (a line filling the last column makes some terminals wrap, which
 * would break the count of lines to erase), with `…` where it was cut. Counts code points.
 */
export function fit(line: string, width: number): string {
  const max = Math.max(1, width - 1);
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join("")}…`;
}
