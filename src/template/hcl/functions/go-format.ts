// format()'s verbs, which follow Go's fmt as HCL's stdlib exposes them:
// %v %#v %t %b %d %o %x %X %e %E %f %g %G %s %q %%, with flags, width, precision and %[n] indexes.
import { convert } from "../convert.js";
import { NUMBER, STRING } from "../types.js";
import { numberToString, toJS, type Value } from "../value.js";
import { FunctionError } from "./registry.js";

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width?: number;
  precision?: number;
}

export function goFormat(format: string, args: Value[]): string {
  let out = "";
  let argIdx = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    i++;
    if (format[i] === "%") {
      out += "%";
      i++;
      continue;
    }
    const spec: Spec = { minus: false, plus: false, space: false, zero: false, sharp: false };
    for (;;) {
      const f = format[i];
      if (f === "-") spec.minus = true;
      else if (f === "+") spec.plus = true;
      else if (f === " ") spec.space = true;
      else if (f === "0") spec.zero = true;
      else if (f === "#") spec.sharp = true;
      else break;
      i++;
    }
    const explicit = /^\[(\d+)\]/.exec(format.slice(i));
    if (explicit) {
      argIdx = Number(explicit[1]) - 1;
      i += explicit[0].length;
    }
    const width = /^\d+/.exec(format.slice(i));
    if (width) {
      spec.width = Number(width[0]);
      i += width[0].length;
    }
    if (format[i] === ".") {
      i++;
      const prec = /^\d*/.exec(format.slice(i))![0];
      spec.precision = prec === "" ? 0 : Number(prec);
      i += prec.length;
    }
    const verb = format[i];
    if (verb === undefined)
      throw new FunctionError("invalid format string: unterminated verb at end of string", 0);
    i++;
    if (argIdx >= args.length) {
      throw new FunctionError(`not enough arguments for "%${verb}" at offset ${i - 1}`, 0);
    }
    const arg = args[argIdx++]!;
    out += pad(formatOne(verb, arg, spec), spec, verb);
  }
  if (argIdx < args.length) {
    throw new FunctionError(`too many arguments; only ${argIdx} used by format string`);
  }
  return out;
}

function pad(s: string, spec: Spec, verb: string): string {
  if (spec.width === undefined || [...s].length >= spec.width) return s;
  const n = spec.width - [...s].length;
  if (spec.minus) return s + " ".repeat(n);
  if (spec.zero && "dbfoxXeEgG".includes(verb)) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : "";
    return sign + "0".repeat(n) + s.slice(sign.length);
  }
  return " ".repeat(n) + s;
}

function signed(s: string, n: number, spec: Spec): string {
  if (n >= 0 && !Object.is(n, -0)) {
    if (spec.plus) return "+" + s;
    if (spec.space) return " " + s;
  }
  return s;
}

function asNumber(v: Value, verb: string): number {
  try {
    return convert(v, NUMBER).num;
  } catch {
    throw new FunctionError(`unsupported value for "%${verb}": number required`);
  }
}

function asInteger(v: Value, verb: string): number {
  const n = asNumber(v, verb);
  if (!Number.isInteger(n))
    throw new FunctionError(`unsupported value for "%${verb}": an integer is required`);
  return n;
}

function goExp(n: number, prec: number, upper: boolean): string {
  let s = n.toExponential(prec);
  s = s.replace(/e([+-])(\d)$/, "e$10$2");
  return upper ? s.toUpperCase() : s;
}

function goG(n: number, prec: number | undefined, upper: boolean): string {
  if (prec === undefined) {
    // Shortest representation, exponent for large/small magnitudes as Go's %g does.
    const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
    if (exp < -4 || exp >= 21)
      return goExp(
        n,
        Math.max(0, String(Math.abs(n)).replace(/e.*$/, "").replace(".", "").replace(/^0+/, "").length - 1),
        upper,
      );
    return numberToString(n);
  }
  const p = prec === 0 ? 1 : prec;
  const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= p)
    return goExp(n, p - 1, upper)
      .replace(/\.?0+e/, "e")
      .replace(/\.?0+E/, "E");
  return String(Number(n.toPrecision(p)));
}

function formatOne(verb: string, v: Value, spec: Spec): string {
  switch (verb) {
    case "v":
      if (spec.sharp) return JSON.stringify(toJS(v));
      if (v.isNull) return "null";
      if (v.type.kind === "string" || v.type.kind === "number" || v.type.kind === "bool")
        return convert(v, STRING).str;
      return JSON.stringify(toJS(v));
    case "t":
      if (v.type.kind !== "bool" && v.type.kind !== "string")
        throw new FunctionError(`unsupported value for "%t": bool required`);
      return convert(v, STRING).str;
    case "s": {
      if (v.isNull || (v.type.kind !== "string" && v.type.kind !== "number" && v.type.kind !== "bool")) {
        throw new FunctionError(`unsupported value for "%s": string required`);
      }
      const s = convert(v, STRING).str;
      return spec.precision !== undefined ? [...s].slice(0, spec.precision).join("") : s;
    }
    case "q": {
      if (v.isNull || (v.type.kind !== "string" && v.type.kind !== "number" && v.type.kind !== "bool")) {
        throw new FunctionError(`unsupported value for "%q": string required`);
      }
      return JSON.stringify(convert(v, STRING).str);
    }
    case "d": {
      const n = asInteger(v, verb);
      return signed(String(n), n, spec);
    }
    case "b": {
      const n = asInteger(v, verb);
      return signed(n.toString(2), n, spec);
    }
    case "o": {
      const n = asInteger(v, verb);
      return signed((spec.sharp ? "0" : "") + n.toString(8), n, spec);
    }
    case "x":
    case "X": {
      let s: string;
      if (v.type.kind === "string") {
        s = Buffer.from(v.str, "utf8").toString("hex");
      } else {
        const n = asInteger(v, verb);
        s = (n < 0 ? "-" : "") + (spec.sharp ? "0x" : "") + Math.abs(n).toString(16);
      }
      return verb === "X" ? s.toUpperCase() : s;
    }
    case "e":
    case "E": {
      const n = asNumber(v, verb);
      return signed(goExp(n, spec.precision ?? 6, verb === "E"), n, spec);
    }
    case "f":
    case "F": {
      const n = asNumber(v, verb);
      return signed(n.toFixed(spec.precision ?? 6), n, spec);
    }
    case "g":
    case "G": {
      const n = asNumber(v, verb);
      return signed(goG(n, spec.precision, verb === "G"), n, spec);
    }
    default:
      throw new FunctionError(`unsupported format verb "%${verb}"`, 0);
  }
}
