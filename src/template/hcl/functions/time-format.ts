// Time helpers shared by the date/time functions: RFC 3339 parsing that keeps the UTC offset,
// Go durations, Go reference layouts (legacy_isotime), C strftime (legacy_strftime) and HCL's
// formatdate() specification language.
import { FunctionError } from "./registry.js";
import { LONG_DAYS, LONG_MONTHS } from "../../functions/go-time.js";
import { DURATION_UNITS_MS } from "../../duration.js";

export interface ZonedTime {
  /** Milliseconds since the epoch (UTC). */
  ms: number;
  /** Extra nanoseconds below the millisecond, kept so formatting round-trips. */
  nanos: number;
  /** Offset from UTC in minutes; `utc` marks the `Z` form. */
  offset: number;
  utc: boolean;
}

const MONTHS = LONG_MONTHS;
const DAYS = LONG_DAYS;

export function parseRfc3339(s: string, arg = 0, allowSpace = false): ZonedTime {
  const re = allowSpace
    ? /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/
    : /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
  const m = re.exec(s);
  if (!m) {
    throw new FunctionError(
      `not a valid RFC3339 timestamp: ${JSON.stringify(s)}; timestamps look like "2006-01-02T15:04:05Z"`,
      arg,
    );
  }
  const [, y, mo, d, h, mi, se, frac, zone] = m as unknown as string[];
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const min = Number(mi);
  const sec = Number(se);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59) {
    throw new FunctionError(
      `not a valid RFC3339 timestamp: ${JSON.stringify(s)}: a field is out of range`,
      arg,
    );
  }
  const utc = zone === "Z" || zone === "z";
  const offset = utc
    ? 0
    : (zone!.startsWith("-") ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  const fracDigits = (frac ?? "").slice(1).padEnd(9, "0").slice(0, 9);
  const fracNs = frac ? Number(fracDigits) : 0;
  const ms = Date.UTC(Number(y), month - 1, day, hour, min, sec) - offset * 60_000 + Math.floor(fracNs / 1e6);
  return { ms, nanos: fracNs % 1e6, offset, utc };
}

/** Wall-clock fields of a zoned time. */
export function fields(t: ZonedTime): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
  yearDay: number;
  nanos: number;
} {
  const d = new Date(t.ms + t.offset * 60_000);
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
    yearDay:
      Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - start) / 86_400_000) + 1,
    nanos: d.getUTCMilliseconds() * 1e6 + t.nanos,
  };
}

export function isoWeek(t: ZonedTime): { year: number; week: number } {
  const f = fields(t);
  const date = new Date(Date.UTC(f.year, f.month - 1, f.day));
  const dayNum = (f.weekday + 6) % 7; // Monday = 0
  date.setUTCDate(date.getUTCDate() - dayNum + 3); // Thursday of this week
  const year = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const week =
    1 +
    Math.round(
      (date.getTime() - firstThursday.getTime()) / 86_400_000 / 7 -
        ((firstThursday.getUTCDay() + 6) % 7) / 7 +
        3 / 7,
    );
  return { year, week };
}

const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, "0");

function offsetString(t: ZonedTime, colon: boolean, zForUtc: boolean): string {
  if (zForUtc && t.utc) return "Z";
  const sign = t.offset < 0 ? "-" : "+";
  const o = Math.abs(t.offset);
  return `${sign}${pad(Math.floor(o / 60))}${colon ? ":" : ""}${pad(o % 60)}`;
}

export function formatRfc3339(t: ZonedTime): string {
  const f = fields(t);
  let frac = "";
  if (f.nanos) frac = "." + String(f.nanos).padStart(9, "0").replace(/0+$/, "");
  return `${f.year}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${frac}${offsetString(t, true, true)}`;
}

export function utcTime(d: Date): ZonedTime {
  return { ms: d.getTime(), nanos: 0, offset: 0, utc: true };
}

const UNITS = DURATION_UNITS_MS;

/** Go's time.ParseDuration, in milliseconds (fractions kept). */
export function parseGoDuration(s: string, arg = 1): number {
  if (s === "0" || s === "+0" || s === "-0") return 0;
  const m = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m)
    throw new FunctionError(
      `invalid duration ${JSON.stringify(s)}; durations look like "1h30m", "10s" or "500ms"`,
      arg,
    );
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNITS[part[2]!]!;
  }
  return m[1] === "-" ? -total : total;
}

/** Go reference-time layouts ("2006-01-02T15:04:05Z07:00"), as legacy_isotime uses. */
export function formatGoLayout(t: ZonedTime, layout: string): string {
  const f = fields(t);
  const tokens: [string, () => string][] = [
    ["January", () => MONTHS[f.month - 1]!],
    ["Monday", () => DAYS[f.weekday]!],
    ["2006", () => pad(f.year, 4)],
    ["Z07:00", () => offsetString(t, true, true)],
    ["-07:00", () => offsetString(t, true, false)],
    ["Z0700", () => offsetString(t, false, true)],
    ["-0700", () => offsetString(t, false, false)],
    ["Z07", () => (t.utc ? "Z" : offsetString(t, false, false).slice(0, 3))],
    ["-07", () => offsetString(t, false, false).slice(0, 3)],
    ["Jan", () => MONTHS[f.month - 1]!.slice(0, 3)],
    ["Mon", () => DAYS[f.weekday]!.slice(0, 3)],
    ["MST", () => (t.offset === 0 ? "UTC" : offsetString(t, false, false))],
    ["002", () => pad(f.yearDay, 3)],
    ["__2", () => String(f.yearDay).padStart(3, " ")],
    ["01", () => pad(f.month)],
    ["02", () => pad(f.day)],
    ["_2", () => String(f.day).padStart(2, " ")],
    ["03", () => pad(f.hour % 12 === 0 ? 12 : f.hour % 12)],
    ["04", () => pad(f.minute)],
    ["05", () => pad(f.second)],
    ["06", () => pad(f.year % 100)],
    ["15", () => pad(f.hour)],
    ["PM", () => (f.hour < 12 ? "AM" : "PM")],
    ["pm", () => (f.hour < 12 ? "am" : "pm")],
    ["1", () => String(f.month)],
    ["2", () => String(f.day)],
    ["3", () => String(f.hour % 12 === 0 ? 12 : f.hour % 12)],
    ["4", () => String(f.minute)],
    ["5", () => String(f.second)],
  ];
  let out = "";
  let i = 0;
  outer: while (i < layout.length) {
    const frac = /^[.,](0+|9+)/.exec(layout.slice(i));
    if (frac && !/\d/.test(layout[i + frac[0].length] ?? "")) {
      const digits = frac[1]!.length;
      let s = String(f.nanos).padStart(9, "0").slice(0, digits);
      if (frac[1]![0] === "9") {
        s = s.replace(/0+$/, "");
        out += s ? layout[i] + s : "";
      } else {
        out += layout[i] + s;
      }
      i += frac[0].length;
      continue;
    }
    for (const [tok, render] of tokens) {
      if (layout.startsWith(tok, i)) {
        out += render();
        i += tok.length;
        continue outer;
      }
    }
    out += layout[i];
    i++;
  }
  return out;
}

/** C strftime conversions (the subset Packer's legacy_strftime supports, plus common ones). */
export function formatStrftime(t: ZonedTime, format: string): string {
  const f = fields(t);
  const h12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  const conv: Record<string, () => string> = {
    a: () => DAYS[f.weekday]!.slice(0, 3),
    A: () => DAYS[f.weekday]!,
    b: () => MONTHS[f.month - 1]!.slice(0, 3),
    h: () => MONTHS[f.month - 1]!.slice(0, 3),
    B: () => MONTHS[f.month - 1]!,
    c: () => `${conv.a!()} ${conv.b!()} ${String(f.day).padStart(2, " ")} ${conv.T!()} ${f.year}`,
    C: () => pad(Math.floor(f.year / 100)),
    d: () => pad(f.day),
    D: () => `${pad(f.month)}/${pad(f.day)}/${pad(f.year % 100)}`,
    e: () => String(f.day).padStart(2, " "),
    f: () => String(f.nanos).padStart(9, "0").slice(0, 6),
    F: () => `${f.year}-${pad(f.month)}-${pad(f.day)}`,
    H: () => pad(f.hour),
    I: () => pad(h12),
    j: () => pad(f.yearDay, 3),
    k: () => String(f.hour).padStart(2, " "),
    l: () => String(h12).padStart(2, " "),
    L: () => String(Math.floor(f.nanos / 1e6)).padStart(3, "0"),
    m: () => pad(f.month),
    M: () => pad(f.minute),
    n: () => "\n",
    p: () => (f.hour < 12 ? "AM" : "PM"),
    r: () => `${pad(h12)}:${pad(f.minute)}:${pad(f.second)} ${f.hour < 12 ? "AM" : "PM"}`,
    R: () => `${pad(f.hour)}:${pad(f.minute)}`,
    s: () => String(Math.floor(t.ms / 1000)),
    S: () => pad(f.second),
    t: () => "\t",
    T: () => `${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}`,
    u: () => String(f.weekday === 0 ? 7 : f.weekday),
    V: () => pad(isoWeek(t).week),
    G: () => String(isoWeek(t).year),
    w: () => String(f.weekday),
    x: () => `${pad(f.month)}/${pad(f.day)}/${pad(f.year % 100)}`,
    X: () => `${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}`,
    y: () => pad(f.year % 100),
    Y: () => String(f.year),
    z: () => offsetString(t, false, false),
    Z: () => (t.offset === 0 ? "UTC" : offsetString(t, false, false)),
    "%": () => "%",
  };
  return format.replace(/%(.)/g, (m, c: string) => (conv[c] ? conv[c]() : m));
}

/** HCL's formatdate() specification language (YYYY, MMM, DD, hh, mm, ss, ZZZZZ, 'quoted'…). */
export function formatDateSpec(t: ZonedTime, spec: string): string {
  const f = fields(t);
  const h12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  let out = "";
  let i = 0;
  while (i < spec.length) {
    const c = spec[i]!;
    if (c === "'") {
      if (spec[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      const end = spec.indexOf("'", i + 1);
      if (end < 0)
        throw new FunctionError(
          "unterminated literal: a single quote must be closed, use '' for a literal quote",
          0,
        );
      let j = i + 1;
      let lit = "";
      // '' inside a quoted literal is an escaped quote.
      for (;;) {
        const q = spec.indexOf("'", j);
        if (q < 0) throw new FunctionError("unterminated literal: a single quote must be closed", 0);
        lit += spec.slice(j, q);
        if (spec[q + 1] === "'") {
          lit += "'";
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out += lit;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let j = i;
    while (spec[j] === c) j++;
    const seq = spec.slice(i, j);
    i = j;
    switch (seq) {
      case "YYYY":
        out += pad(f.year, 4);
        break;
      case "YY":
        out += pad(f.year % 100);
        break;
      case "MMMM":
        out += MONTHS[f.month - 1];
        break;
      case "MMM":
        out += MONTHS[f.month - 1]!.slice(0, 3);
        break;
      case "MM":
        out += pad(f.month);
        break;
      case "M":
        out += String(f.month);
        break;
      case "DD":
        out += pad(f.day);
        break;
      case "D":
        out += String(f.day);
        break;
      case "EEEE":
        out += DAYS[f.weekday];
        break;
      case "EEE":
        out += DAYS[f.weekday]!.slice(0, 3);
        break;
      case "hh":
        out += pad(f.hour);
        break;
      case "h":
        out += String(f.hour);
        break;
      case "HH":
        out += pad(h12);
        break;
      case "H":
        out += String(h12);
        break;
      case "AA":
        out += f.hour < 12 ? "AM" : "PM";
        break;
      case "aa":
        out += f.hour < 12 ? "am" : "pm";
        break;
      case "mm":
        out += pad(f.minute);
        break;
      case "m":
        out += String(f.minute);
        break;
      case "ss":
        out += pad(f.second);
        break;
      case "s":
        out += String(f.second);
        break;
      case "ZZZZZ":
        out += offsetString(t, true, false);
        break;
      case "ZZZZ":
        out += offsetString(t, false, false);
        break;
      case "ZZZ":
        out += t.offset === 0 ? "UTC" : offsetString(t, false, false);
        break;
      case "Z":
        out += offsetString(t, true, true);
        break;
      default:
        throw new FunctionError(
          `invalid date format verb ${JSON.stringify(seq)}: quote literal text with single quotes, e.g. 'T'`,
          0,
        );
    }
  }
  return out;
}

export { DAYS, MONTHS };
