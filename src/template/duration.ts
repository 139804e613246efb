// Go's time.ParseDuration ("1m30s", "500ms", "2h", "1.5h"), returning milliseconds. A bare
// number (or numeric string) counts as seconds: kiln's reading of `"timeout": 30`, which Packer
// would take as 30 nanoseconds or refuse.

/** Go duration units in milliseconds (shared by the JSON loader and HCL functions). */
export const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)) return Number(s) * 1000;
  const m = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) return undefined;
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * DURATION_UNITS_MS[part[2]!]!;
  }
  return m[1] === "-" ? -total : total;
}
