// Encoding functions: base64, JSON, CSV, URL, YAML, text encodings.
import { gzipSync } from "node:zlib";
import { STRING } from "../types.js";
import { fromJS, listOf, objectOf, str, toJS } from "../value.js";
import { FunctionError, fn, p, type FunctionDef } from "./registry.js";
import { yamlDecode, yamlEncode } from "./yaml.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeBase64(s: string, arg: number): Buffer {
  const clean = s.replace(/[\r\n]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
    throw new FunctionError("failed to decode base64 data: the string is not valid base64", arg);
  }
  return Buffer.from(clean, "base64");
}

/** JSON as Go's encoder writes it (HCL's jsonencode): `<`, `>` and `&` escaped. */
export function goJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
      i++;
      continue;
    }
    if (c === ",") {
      row.push(field);
      field = "";
      fieldStarted = false;
      i++;
      continue;
    }
    if (c === "\n" || c === "\r") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      fieldStarted = false;
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      continue;
    }
    if (c === '"') throw new FunctionError(`bare " in non-quoted field on line ${rows.length + 1}`, 0);
    field += c;
    fieldStarted = true;
    i++;
  }
  if (quoted) throw new FunctionError('extraneous or missing " in quoted field', 0);
  if (fieldStarted || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const ENCODINGS: Record<string, BufferEncoding> = {
  "utf-8": "utf8",
  utf8: "utf8",
  "utf-16le": "utf16le",
  utf16le: "utf16le",
  "iso-8859-1": "latin1",
  latin1: "latin1",
  "us-ascii": "ascii",
  ascii: "ascii",
};

function encodingOf(name: string, arg: number): BufferEncoding {
  const e = ENCODINGS[name.toLowerCase()];
  if (!e)
    throw new FunctionError(
      `"${name}" is not a supported IANA encoding name or alias (supported: UTF-8, UTF-16LE, ISO-8859-1, US-ASCII)`,
      arg,
    );
  return e;
}

export const encodingFunctions: Record<string, FunctionDef> = {
  base64decode: fn([p("str", STRING)], ([s]) => {
    const buf = decodeBase64(s!.str, 0);
    try {
      return str(utf8.decode(buf));
    } catch {
      throw new FunctionError("the result of decoding the provided string is not valid UTF-8", 0);
    }
  }),
  base64encode: fn([p("str", STRING)], ([s]) => str(Buffer.from(s!.str, "utf8").toString("base64"))),
  base64gzip: fn([p("str", STRING)], ([s]) => str(gzipSync(Buffer.from(s!.str, "utf8")).toString("base64"))),
  csvdecode: fn([p("str", STRING)], ([s]) => {
    const rows = parseCsv(s!.str);
    if (rows.length === 0) throw new FunctionError("missing header line", 0);
    const [header, ...data] = rows as [string[], ...string[][]];
    const out = data.map((r, i) => {
      if (r.length !== header.length) {
        throw new FunctionError(`record on line ${i + 2}: wrong number of fields`, 0);
      }
      return objectOf(header.map((h, j) => [h, str(r[j]!)]));
    });
    return listOf(out[0]?.type ?? objectOf(header.map((h) => [h, str("")])).type, out);
  }),
  jsondecode: fn([p("str", STRING)], ([s]) => {
    try {
      return fromJS(JSON.parse(s!.str));
    } catch (e) {
      throw new FunctionError(`invalid JSON: ${(e as Error).message}`, 0);
    }
  }),
  jsonencode: fn([p("val", undefined, true)], ([v]) => str(goJson(toJS(v!)))),
  textdecodebase64: fn([p("source", STRING), p("encoding", STRING)], ([s, e]) => {
    const enc = encodingOf(e!.str, 1);
    return str(decodeBase64(s!.str, 0).toString(enc));
  }),
  textencodebase64: fn([p("string", STRING), p("encoding", STRING)], ([s, e]) => {
    const enc = encodingOf(e!.str, 1);
    if (
      (enc === "latin1" || enc === "ascii") &&
      [...s!.str].some((c) => c.codePointAt(0)! > (enc === "ascii" ? 0x7f : 0xff))
    ) {
      throw new FunctionError(
        `the given string contains characters that cannot be represented in ${e!.str}`,
        0,
      );
    }
    return str(Buffer.from(s!.str, enc).toString("base64"));
  }),
  urlencode: fn([p("str", STRING)], ([s]) =>
    str(
      Array.from(Buffer.from(s!.str, "utf8"))
        .map((b) => {
          const c = String.fromCharCode(b);
          if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
          if (c === " ") return "+";
          return "%" + b.toString(16).toUpperCase().padStart(2, "0");
        })
        .join(""),
    ),
  ),
  yamldecode: fn([p("src", STRING)], ([s]) => {
    try {
      return fromJS(yamlDecode(s!.str));
    } catch (e) {
      throw new FunctionError(`on line ${(e as { line?: number }).line ?? "?"}: ${(e as Error).message}`, 0);
    }
  }),
  yamlencode: fn([p("value", undefined, true)], ([v]) => str(yamlEncode(toJS(v!)))),
};
