// Date and time functions. "Now" is the run's start time, so every call in one run agrees
// (Packer's JSON timestamp/isotime behave that way; kiln does the same for HCL).
import { NUMBER, STRING } from "../types.js";
import { num, objectOf, str, type Value } from "../value.js";
import { FunctionError, fn, p, type FunctionDef } from "./registry.js";
import {
  DAYS,
  MONTHS,
  fields,
  formatDateSpec,
  formatGoLayout,
  formatRfc3339,
  formatStrftime,
  isoWeek,
  parseGoDuration,
  parseRfc3339,
  utcTime,
  type ZonedTime,
} from "./time-format.js";

function dateObject(t: ZonedTime): Value {
  const f = fields(t);
  const iso = isoWeek(t);
  return objectOf([
    ["year", num(f.year)],
    ["year_day", num(f.yearDay)],
    ["month", num(f.month)],
    ["month_name", str(MONTHS[f.month - 1]!)],
    ["day", num(f.day)],
    ["weekday", num(f.weekday)],
    ["weekday_name", str(DAYS[f.weekday]!)],
    ["hour", num(f.hour)],
    ["minute", num(f.minute)],
    ["second", num(f.second)],
    ["unix", num(Math.floor(t.ms / 1000))],
    ["iso_year", num(iso.year)],
    ["iso_week", num(iso.week)],
  ]);
}

export const datetimeFunctions: Record<string, FunctionDef> = {
  formatdate: fn([p("format", STRING), p("time", STRING)], ([spec, time]) => {
    const t = parseRfc3339(time!.str, 1);
    return str(formatDateSpec(t, spec!.str));
  }),
  legacy_isotime: fn([p("format", STRING)], ([layout], env) =>
    str(formatGoLayout(utcTime(env.startTime), layout!.str)),
  ),
  legacy_strftime: fn([p("format", STRING)], ([format], env) =>
    str(formatStrftime(utcTime(env.startTime), format!.str)),
  ),
  rfc3339_parse: fn([p("timestamp", STRING)], ([s]) => dateObject(parseRfc3339(s!.str, 0, true))),
  timeadd: fn([p("timestamp", STRING), p("duration", STRING)], ([time, dur]) => {
    const t = parseRfc3339(time!.str, 0);
    const d = parseGoDuration(dur!.str, 1);
    const whole = Math.trunc(d);
    const nanos = t.nanos + Math.round((d - whole) * 1e6);
    return str(
      formatRfc3339({ ...t, ms: t.ms + whole + Math.floor(nanos / 1e6), nanos: ((nanos % 1e6) + 1e6) % 1e6 }),
    );
  }),
  timestamp: fn([], (_args, env) =>
    str(formatRfc3339(utcTime(new Date(Math.floor(env.startTime.getTime() / 1000) * 1000)))),
  ),
  unix_timestamp_parse: fn([p("timestamp", NUMBER)], ([n]) => {
    if (!Number.isFinite(n!.num)) throw new FunctionError("the timestamp must be a finite number", 0);
    return dateObject({ ms: Math.floor(n!.num) * 1000, nanos: 0, offset: 0, utc: true });
  }),
};
