// Packer prints durations with hako/durafmt limited to the first two units
// (`durafmt.Parse(d).LimitFirstN(2)`): "835 milliseconds 305 microseconds", "5 minutes 1 second".
//
// Input is nanoseconds as a bigint, i.e. a `process.hrtime.bigint()` delta: that is what Go's
// time.Duration is, it keeps microsecond precision exactly (a float of milliseconds rounds), and
// it needs no unit conversion at the call sites.

const NS_PER_US = 1000n;

// durafmt's units, largest first; a year is 365 days and weeks are counted within the year.
const UNITS: readonly { name: string; us: bigint }[] = [
  { name: "years", us: 365n * 24n * 3600n * 1_000_000n },
  { name: "weeks", us: 7n * 24n * 3600n * 1_000_000n },
  { name: "days", us: 24n * 3600n * 1_000_000n },
  { name: "hours", us: 3600n * 1_000_000n },
  { name: "minutes", us: 60n * 1_000_000n },
  { name: "seconds", us: 1_000_000n },
  { name: "milliseconds", us: 1000n },
  { name: "microseconds", us: 1n },
];

/**
 * Formats a duration the way Packer's build summary does. Zero (and anything under a microsecond,
 * where durafmt would print an empty string) is `0 seconds`. Negative durations are prefixed `-`.
 */
export function formatDuration(ns: bigint, limit = 2): string {
  const sign = ns < 0n ? "-" : "";
  let rest = (ns < 0n ? -ns : ns) / NS_PER_US;
  if (rest === 0n) return `${sign}0 seconds`;
  const parts: string[] = [];
  for (const unit of UNITS) {
    const count = rest / unit.us;
    rest %= unit.us;
    if (count === 0n) continue;
    parts.push(count === 1n ? `1 ${unit.name.slice(0, -1)}` : `${count} ${unit.name}`);
  }
  return sign + parts.slice(0, limit).join(" ");
}

/** Convenience for `formatDuration(process.hrtime.bigint() - start)`. */
export function formatElapsed(startNs: bigint, nowNs: bigint = process.hrtime.bigint()): string {
  return formatDuration(nowNs - startNs);
}
