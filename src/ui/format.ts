// Packer's line formatting (packer@v1.6.6:packer/ui.go), shared by the human and machine Uis.

/** ANSI colour codes, in the order Packer hands them to builds. */
export const BUILD_COLORS = [32, 36, 35, 33, 34] as const; // green, cyan, magenta, yellow, blue
export const ERROR_COLOR = 31; // red

/**
 * Packer's ColoredUi writes `ESC[<bold>;<colour>m…ESC[0m` around the whole message. We emit those
 * bytes ourselves rather than through picocolors: picocolors produces `ESC[1mESC[32m…ESC[39mESC[22m`,
 * which looks the same on a terminal but breaks byte-for-byte parity with Packer's transcripts.
 */
export function colorize(message: string, color: number, bold: boolean): string {
  return `\u001b[${bold ? 1 : 0};${color}m${message}\u001b[0m`;
}

/**
 * Whether to colour human output. `-color=false` wins; otherwise `NO_COLOR` (no-color.org) or
 * `PACKER_NO_COLOR` (Packer) turn colour off, except that an explicit `-color=true` overrides
 * `NO_COLOR`, as no-color.org asks. Never detects a TTY: Packer colours pipes too.
 */
export function colorEnabled(
  flag: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (flag === false) return false;
  if (nonEmpty(env.PACKER_NO_COLOR)) return false;
  if (flag === true) return true;
  return !nonEmpty(env.NO_COLOR);
}

function nonEmpty(v: string | undefined): boolean {
  return v !== undefined && v !== "";
}

// Go's unicode.IsSpace (not JavaScript's \s, which adds U+FEFF and lacks U+0085).
const TRAILING_GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/;

/**
 * TargetedUI.prefixLines: every line gets `==> target: ` (or four spaces for messages), then the
 * trailing whitespace of the whole result is trimmed, so a message ending in "\n" loses its
 * empty last line and an empty message prints `==> target:` without the space.
 */
export function prefixLines(arrow: boolean, target: string, message: string): string {
  const head = arrow ? "==>" : "   ";
  let result = "";
  for (const line of message.split("\n")) result += `${head} ${target}: ${line}\n`;
  return result.replace(TRAILING_GO_SPACE, "");
}

/** TimestampedUi: RFC3339 in UTC, prefixed once to the whole (possibly multi-line) message. */
export function timestampLine(message: string, now: Date): string {
  return `${now.toISOString().replace(/\.\d{3}Z$/, "Z")}: ${message}`;
}
