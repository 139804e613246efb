// A subset of Go's fmt.Sprintf for the `printf` template builtin: verbs %v %s %d %q %x %X %o %b
// %f %e %g %t %c %%, with flags (- + # 0 space), width and precision.
import { FuncError } from "./errors.js";
import { describeValue, goString } from "./func.js";

export function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let argi = 0;
  const re = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = "", w, p, verb] = m;
    if (verb === "%") {
      out += "%";
      continue;
    }
    const width = w === "*" ? Number(args[argi++]) : w ? Number(w) : undefined;
    const prec = p === "*" ? Number(args[argi++]) : p !== undefined ? Number(p) : undefined;
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += pad(formatOne(verb!, args[argi++], flags, prec), width, flags);
  }
  out += format.slice(last);
  if (argi < args.length) out += `%!(EXTRA ${args.slice(argi).map(describeValue).join(", ")})`;
  return out;
}

function pad(s: string, width: number | undefined, flags: string): string {
  if (width === undefined || s.length >= width) return s;
  if (flags.includes("-")) return s.padEnd(width);
  if (flags.includes("0") && /^[+-]?\d/.test(s)) {
    const sign = /^[+-]/.test(s) ? s[0]! : "";
    return sign + s.slice(sign.length).padStart(width - sign.length, "0");
  }
  return s.padStart(width);
}

function sign(n: number, s: string, flags: string): string {
  if (n >= 0 && flags.includes("+")) return "+" + s;
  if (n >= 0 && flags.includes(" ")) return " " + s;
  return s;
}

function formatOne(verb: string, v: unknown, flags: string, prec: number | undefined): string {
  const bad = () => `%!${verb}(${describeValue(v).replace(" ", "=")})`;
  switch (verb) {
    case "v":
      return typeof v === "string" && flags.includes("#") ? JSON.stringify(v) : goString(v);
    case "s":
      return typeof v === "string" ? (prec !== undefined ? v.slice(0, prec) : v) : goString(v);
    case "q":
      return typeof v === "string"
        ? JSON.stringify(v)
        : typeof v === "number"
          ? `'${String.fromCodePoint(v)}'`
          : bad();
    case "t":
      return typeof v === "boolean" ? String(v) : bad();
    case "c":
      return typeof v === "number" ? String.fromCodePoint(v) : bad();
    case "d":
    case "x":
    case "X":
    case "o":
    case "b": {
      if (typeof v === "string" && (verb === "x" || verb === "X")) {
        const hex = Buffer.from(v, "utf8").toString("hex");
        return verb === "X" ? hex.toUpperCase() : hex;
      }
      if (typeof v !== "number" || !Number.isInteger(v)) return bad();
      const radix = { d: 10, x: 16, X: 16, o: 8, b: 2 }[verb];
      let s = Math.abs(v).toString(radix);
      if (verb === "X") s = s.toUpperCase();
      if (flags.includes("#")) s = ({ x: "0x", X: "0X", o: "0", b: "" }[verb as "x"] ?? "") + s;
      return sign(v, v < 0 ? "-" + s : s, flags);
    }
    case "f":
    case "F":
    case "e":
    case "g": {
      if (typeof v !== "number") return bad();
      const s =
        verb === "e"
          ? v.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, "e$10$2")
          : verb === "g"
            ? prec !== undefined
              ? String(Number(v.toPrecision(prec)))
              : goString(v)
            : v.toFixed(prec ?? 6);
      return sign(v, s, flags);
    }
    default:
      throw new FuncError(`printf: unsupported verb %${verb}`);
  }
}
