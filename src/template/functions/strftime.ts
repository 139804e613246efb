// C-style strftime for Packer's `strftime` function (UTC, like every Packer time function).
// Unknown conversions are copied through unchanged, as the Go library Packer uses does.
import { formatGoTime } from "./go-time.js";

const CONVERSIONS: Record<string, string> = {
  a: "Mon",
  A: "Monday",
  b: "Jan",
  h: "Jan",
  B: "January",
  c: "Mon Jan _2 15:04:05 2006",
  d: "02",
  D: "01/02/06",
  e: "_2",
  F: "2006-01-02",
  H: "15",
  I: "03",
  m: "01",
  M: "04",
  p: "PM",
  r: "03:04:05 PM",
  R: "15:04",
  S: "05",
  T: "15:04:05",
  x: "01/02/06",
  X: "15:04:05",
  y: "06",
  Y: "2006",
  z: "-0700",
  Z: "MST",
};

export function strftime(format: string, t: Date): string {
  return format.replace(/%(.)/gs, (whole, c: string) => {
    switch (c) {
      case "%":
        return "%";
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "j":
        return String(
          Math.floor((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86_400_000) + 1,
        ).padStart(3, "0");
      case "k":
        return String(t.getUTCHours()).padStart(2, " ");
      case "l":
        return String(t.getUTCHours() % 12 || 12).padStart(2, " ");
      case "u":
        return String(t.getUTCDay() || 7);
      case "w":
        return String(t.getUTCDay());
      case "s":
        return String(Math.floor(t.getTime() / 1000));
      case "L":
        return String(t.getUTCMilliseconds()).padStart(3, "0");
      case "f":
        return String(t.getUTCMilliseconds() * 1000).padStart(6, "0");
      case "C":
        return String(Math.floor(t.getUTCFullYear() / 100)).padStart(2, "0");
      default: {
        const layout = CONVERSIONS[c];
        return layout === undefined ? whole : formatGoTime(t, layout);
      }
    }
  });
}
