// Numeric functions.
import { NUMBER, STRING } from "../types.js";
import { num } from "../value.js";
import { FunctionError, fn, p, type FunctionDef } from "./registry.js";

const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";

export const numericFunctions: Record<string, FunctionDef> = {
  abs: fn([p("num", NUMBER)], ([n]) => num(Math.abs(n!.num))),
  ceil: fn([p("num", NUMBER)], ([n]) => num(Math.ceil(n!.num))),
  floor: fn([p("num", NUMBER)], ([n]) => num(Math.floor(n!.num))),
  log: fn([p("num", NUMBER), p("base", NUMBER)], ([n, b]) => num(Math.log(n!.num) / Math.log(b!.num))),
  max: fn(
    [],
    (args) => {
      if (args.length === 0) throw new FunctionError("must pass at least one number");
      return num(Math.max(...args.map((a) => a.num)));
    },
    p("numbers", NUMBER),
  ),
  min: fn(
    [],
    (args) => {
      if (args.length === 0) throw new FunctionError("must pass at least one number");
      return num(Math.min(...args.map((a) => a.num)));
    },
    p("numbers", NUMBER),
  ),
  parseint: fn([p("number", STRING), p("base", NUMBER)], ([s, b]) => {
    const base = b!.num;
    if (!Number.isInteger(base) || base < 2 || base > 62)
      throw new FunctionError("base must be a whole number between 2 and 62 inclusive", 1);
    const text = s!.str;
    const m = /^([+-]?)(.+)$/.exec(text);
    const body = m?.[2] ?? "";
    const alphabet =
      base <= 36
        ? DIGITS.slice(0, base)
        : "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".slice(0, base);
    let value = 0n;
    for (const c of body) {
      const d = alphabet.indexOf(base <= 36 ? c.toLowerCase() : c);
      if (d < 0) throw new FunctionError(`cannot parse ${JSON.stringify(text)} as a base ${base} integer`, 0);
      value = value * BigInt(base) + BigInt(d);
    }
    if (body === "")
      throw new FunctionError(`cannot parse ${JSON.stringify(text)} as a base ${base} integer`, 0);
    const n = Number(value);
    return num(m?.[1] === "-" ? -n : n);
  }),
  pow: fn([p("num", NUMBER), p("power", NUMBER)], ([a, b]) => num(Math.pow(a!.num, b!.num))),
  signum: fn([p("num", NUMBER)], ([n]) => num(n!.num > 0 ? 1 : n!.num < 0 ? -1 : 0)),
};
