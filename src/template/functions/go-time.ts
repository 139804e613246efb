// Go's time.Format for `isotime`: a layout is an example rendering of the reference time
// Mon Jan 2 15:04:05 MST 2006 (-0700). Tokens are recognised in the same order Go's
// nextStdChunk does, so ambiguous layouts ("2006-01-02", "Jan _2", "15:04:05.000") read alike.
// Times here are always UTC, as Packer's InitTime is.

export const LONG_MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
export const LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export const RFC3339 = "2006-01-02T15:04:05Z07:00";

type Std = (t: Date) => string;

const pad = (n: number, w: number, c = "0") => String(n).padStart(w, c);
const hour12 = (t: Date) => t.getUTCHours() % 12 || 12;
const yearDay = (t: Date) => Math.floor((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;

/** Finds the next layout token at or after `i`: [start, end, formatter]. */
function nextToken(layout: string, from: number): [number, number, Std] | undefined {
  for (let i = from; i < layout.length; i++) {
    const at = (s: string) => layout.startsWith(s, i);
    const c = layout[i]!;
    switch (c) {
      case "J":
        if (at("January")) return [i, i + 7, (t) => LONG_MONTHS[t.getUTCMonth()]!];
        if (at("Jan")) return [i, i + 3, (t) => LONG_MONTHS[t.getUTCMonth()]!.slice(0, 3)];
        break;
      case "M":
        if (at("Monday")) return [i, i + 6, (t) => LONG_DAYS[t.getUTCDay()]!];
        if (at("Mon")) return [i, i + 3, (t) => LONG_DAYS[t.getUTCDay()]!.slice(0, 3)];
        if (at("MST")) return [i, i + 3, () => "UTC"];
        break;
      case "0": {
        const d = layout[i + 1];
        if (d && d >= "1" && d <= "6") {
          const f: Record<string, Std> = {
            "1": (t) => pad(t.getUTCMonth() + 1, 2),
            "2": (t) => pad(t.getUTCDate(), 2),
            "3": (t) => pad(hour12(t), 2),
            "4": (t) => pad(t.getUTCMinutes(), 2),
            "5": (t) => pad(t.getUTCSeconds(), 2),
            "6": (t) => pad(t.getUTCFullYear() % 100, 2),
          };
          return [i, i + 2, f[d]!];
        }
        if (at("002")) return [i, i + 3, (t) => pad(yearDay(t), 3)];
        break;
      }
      case "1":
        if (at("15")) return [i, i + 2, (t) => pad(t.getUTCHours(), 2)];
        return [i, i + 1, (t) => String(t.getUTCMonth() + 1)];
      case "2":
        if (at("2006")) return [i, i + 4, (t) => pad(t.getUTCFullYear(), 4)];
        return [i, i + 1, (t) => String(t.getUTCDate())];
      case "_":
        if (layout[i + 1] === "2") {
          // "_2006" is a literal underscore followed by the year.
          if (layout.startsWith("2006", i + 1)) return [i + 1, i + 5, (t) => pad(t.getUTCFullYear(), 4)];
          return [i, i + 2, (t) => pad(t.getUTCDate(), 2, " ")];
        }
        if (at("__2")) return [i, i + 3, (t) => pad(yearDay(t), 3, " ")];
        break;
      case "3":
        return [i, i + 1, (t) => String(hour12(t))];
      case "4":
        return [i, i + 1, (t) => String(t.getUTCMinutes())];
      case "5":
        return [i, i + 1, (t) => String(t.getUTCSeconds())];
      case "P":
        if (at("PM")) return [i, i + 2, (t) => (t.getUTCHours() >= 12 ? "PM" : "AM")];
        break;
      case "p":
        if (at("pm")) return [i, i + 2, (t) => (t.getUTCHours() >= 12 ? "pm" : "am")];
        break;
      case "-":
        for (const [tok, out] of [
          ["-070000", "+000000"],
          ["-07:00:00", "+00:00:00"],
          ["-0700", "+0000"],
          ["-07:00", "+00:00"],
          ["-07", "+00"],
        ] as const) {
          if (at(tok)) return [i, i + tok.length, () => out];
        }
        break;
      case "Z":
        for (const tok of ["Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07"]) {
          if (at(tok)) return [i, i + tok.length, () => "Z"];
        }
        break;
      case ".":
      case ",": {
        const d = layout[i + 1];
        if (d === "0" || d === "9") {
          let j = i + 1;
          while (layout[j] === d) j++;
          // Only a fractional second if the run of digits ends here.
          if (!/[0-9]/.test(layout[j] ?? "")) {
            const digits = j - i - 1;
            return [i, j, (t) => fraction(t, c, digits, d === "9")];
          }
        }
        break;
      }
    }
  }
  return undefined;
}

function fraction(t: Date, sep: string, digits: number, trim: boolean): string {
  // JavaScript dates carry milliseconds; finer digits are zeros.
  let s = pad(t.getUTCMilliseconds(), 3).padEnd(9, "0").slice(0, digits);
  if (trim) {
    s = s.replace(/0+$/, "");
    return s ? sep + s : "";
  }
  return sep + s;
}

export function formatGoTime(t: Date, layout: string): string {
  let out = "";
  let i = 0;
  for (let tok = nextToken(layout, 0); tok; tok = nextToken(layout, i)) {
    const [start, end, f] = tok;
    out += layout.slice(i, start) + f(t);
    i = end;
  }
  return out + layout.slice(i);
}
