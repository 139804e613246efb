// Byte counts as a person reads them in a progress line: decimal units, as docker prints them.

const UNITS = ["B", "kB", "MB", "GB", "TB"];

export function formatBytes(n: number): string {
  let v = Math.max(0, n);
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${UNITS[u]}`;
}

/** `12.3 MB / 45.0 MB`, or the bytes so far when the total is not known. */
export function formatTransfer(current: number, total: number): string {
  return total > 0 ? `${formatBytes(current)} / ${formatBytes(total)}` : formatBytes(current);
}
