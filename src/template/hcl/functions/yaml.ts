// A small YAML codec for yamlencode()/yamldecode(). kiln has no YAML dependency; templates use
// YAML for simple configuration data, so the decoder covers block and flow collections, plain /
// quoted / block scalars and comments, and rejects anchors, aliases, tags and multi-documents.

export class YamlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

// ---- encoder (the style of HCL's yamlencode: quoted strings, block collections) ----------

export function yamlEncode(x: unknown): string {
  return emit(x, 0) + "\n";
}

function quote(s: string): string {
  return JSON.stringify(s).replace(
    /\u0085|\u2028|\u2029/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function scalar(x: unknown): string | undefined {
  if (x === null) return "null";
  if (typeof x === "string") return quote(x);
  if (typeof x === "number")
    return Number.isFinite(x) ? String(x) : x > 0 ? ".inf" : x < 0 ? "-.inf" : ".nan";
  if (typeof x === "boolean") return String(x);
  if (Array.isArray(x) && x.length === 0) return "[]";
  if (typeof x === "object" && Object.keys(x).length === 0) return "{}";
  return undefined;
}

function emit(x: unknown, indent: number): string {
  const s = scalar(x);
  if (s !== undefined) return s;
  const pad = " ".repeat(indent);
  if (Array.isArray(x)) {
    return x
      .map((item, i) => {
        const sc = scalar(item);
        const prefix = i === 0 ? "" : pad;
        if (sc !== undefined) return `${prefix}- ${sc}`;
        return `${prefix}- ${emit(item, indent + 2)}`;
      })
      .join("\n");
  }
  return Object.entries(x as Record<string, unknown>)
    .map(([k, v], i) => {
      const prefix = i === 0 ? "" : pad;
      const sc = scalar(v);
      if (sc !== undefined) return `${prefix}${quote(k)}: ${sc}`;
      if (Array.isArray(v)) return `${prefix}${quote(k)}:\n${pad}${emit(v, indent)}`;
      return `${prefix}${quote(k)}:\n${pad}  ${emit(v, indent + 2)}`;
    })
    .join("\n");
}

// ---- decoder -----------------------------------------------------------------------------

interface Line {
  indent: number;
  text: string; // without indentation and comments
  raw: string;
  no: number;
}

export function yamlDecode(src: string): unknown {
  const lines: Line[] = [];
  let started = false;
  src.split(/\r?\n/).forEach((raw, i) => {
    const no = i + 1;
    if (/^(---|\.\.\.)(\s|$)/.test(raw)) {
      if (raw.startsWith("---") && started) throw new YamlError("multiple documents are not supported", no);
      started = true;
      const rest = raw.slice(3).trim();
      if (rest && !rest.startsWith("#"))
        lines.push({ indent: 0, text: stripComment(rest, no), raw: rest, no });
      return;
    }
    if (/^\s*%/.test(raw) && !started) return;
    const indent = /^ */.exec(raw)![0].length;
    if (raw.slice(indent).startsWith("\t")) throw new YamlError("tabs are not allowed for indentation", no);
    const text = stripComment(raw.slice(indent), no);
    lines.push({ indent, text, raw, no });
  });
  const p = new YamlParser(lines);
  const v = p.parseDocument();
  return v;
}

function stripComment(s: string, no: number): string {
  let inSingle = false;
  let inDouble = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && inDouble) {
      i++;
      continue;
    }
    if (c === "'" && !inDouble) inSingle = !inSingle;
    else if (c === '"' && !inSingle) inDouble = !inDouble;
    else if (c === "#" && !inSingle && !inDouble && (i === 0 || s[i - 1] === " " || s[i - 1] === "\t")) {
      return s.slice(0, i).trimEnd();
    }
  }
  void no;
  return s.trimEnd();
}

class YamlParser {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  private skipBlank(): void {
    while (this.i < this.lines.length && this.lines[this.i]!.text === "") this.i++;
  }

  parseDocument(): unknown {
    this.skipBlank();
    if (this.i >= this.lines.length) return null;
    const v = this.parseNode(this.lines[this.i]!.indent);
    this.skipBlank();
    if (this.i < this.lines.length) throw new YamlError("unexpected content", this.lines[this.i]!.no);
    return v;
  }

  private parseNode(indent: number): unknown {
    this.skipBlank();
    const line = this.lines[this.i];
    if (!line || line.indent < indent) return null;
    if (line.text === "-" || line.text.startsWith("- ")) return this.parseSeq(line.indent);
    if (mappingKey(line.text) !== undefined) return this.parseMap(line.indent);
    this.i++;
    return this.inlineValue(line.text, line, line.indent);
  }

  private parseSeq(indent: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      this.skipBlank();
      const line = this.lines[this.i];
      if (!line || line.indent !== indent || !(line.text === "-" || line.text.startsWith("- "))) break;
      const rest = line.text.slice(1).trimStart();
      if (rest === "") {
        this.i++;
        out.push(this.parseNode(indent + 1));
        continue;
      }
      // `- key: value` starts a mapping indented at the item's content column.
      const col = indent + (line.text.length - rest.length);
      if (mappingKey(rest) !== undefined || rest.startsWith("- ")) {
        this.lines[this.i] = { ...line, indent: col, text: rest };
        out.push(this.parseNode(col));
        continue;
      }
      this.i++;
      out.push(this.inlineValue(rest, line, col));
    }
    return out;
  }

  private parseMap(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skipBlank();
      const line = this.lines[this.i];
      if (!line || line.indent !== indent) break;
      const key = mappingKey(line.text);
      if (key === undefined) throw new YamlError("expected a mapping key", line.no);
      const [name, rest] = key;
      this.i++;
      if (rest === "") {
        this.skipBlank();
        const next = this.lines[this.i];
        if (
          next &&
          (next.indent > indent ||
            (next.indent === indent && (next.text === "-" || next.text.startsWith("- "))))
        ) {
          out[name] = this.parseNode(next.indent);
        } else {
          out[name] = null;
        }
      } else {
        out[name] = this.inlineValue(rest, line, indent);
      }
    }
    return out;
  }

  /** A value on the same line as its key or dash: scalar, flow collection or block scalar. */
  private inlineValue(text: string, line: Line, indent: number): unknown {
    if (/^[&*!]/.test(text)) throw new YamlError("anchors, aliases and tags are not supported", line.no);
    if (text.startsWith("|") || text.startsWith(">")) return this.blockScalar(text, line, indent);
    if (text.startsWith("[") || text.startsWith("{")) {
      // Flow collections may continue on following, more indented lines.
      let src = text;
      while (!balanced(src) && this.i < this.lines.length) src += " " + this.lines[this.i++]!.text;
      const fp = new FlowParser(src, line.no);
      const v = fp.value();
      fp.end();
      return v;
    }
    if (text.startsWith('"') || text.startsWith("'")) {
      const fp = new FlowParser(text, line.no);
      const v = fp.value();
      fp.end();
      return v;
    }
    // Plain scalars may be folded over more indented lines.
    let s = text;
    while (this.i < this.lines.length) {
      const next = this.lines[this.i]!;
      if (
        next.text === "" ||
        next.indent <= indent ||
        mappingKey(next.text) !== undefined ||
        next.text.startsWith("- ")
      )
        break;
      s += " " + next.text;
      this.i++;
    }
    return plainScalar(s);
  }

  private blockScalar(header: string, line: Line, indent: number): string {
    const m = /^([|>])([+-]?)(\d?)([+-]?)$/.exec(header);
    if (!m) throw new YamlError("invalid block scalar header", line.no);
    const folded = m[1] === ">";
    const chomp = m[2] || m[4] || "";
    const body: string[] = [];
    let blockIndent = m[3] ? indent + Number(m[3]) : -1;
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      const rawIndent = /^ */.exec(l.raw)![0].length;
      if (l.raw.trim() === "") {
        body.push("");
        this.i++;
        continue;
      }
      if (blockIndent < 0) blockIndent = rawIndent;
      if (rawIndent < blockIndent || rawIndent <= indent) break;
      body.push(l.raw.slice(blockIndent));
      this.i++;
    }
    let trailing = 0;
    while (body.length > 0 && body[body.length - 1] === "") {
      body.pop();
      trailing++;
    }
    let text: string;
    if (folded) {
      text = "";
      body.forEach((b, k) => {
        if (k === 0) text = b;
        else if (b === "" || body[k - 1] === "" || b.startsWith(" ")) text += "\n" + b;
        else text += " " + b;
      });
    } else {
      text = body.join("\n");
    }
    if (chomp === "-") return text;
    if (chomp === "+") return text + "\n".repeat(trailing + 1);
    return body.length > 0 ? text + "\n" : "";
  }
}

function balanced(s: string): boolean {
  let depth = 0;
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === "\\" && q === '"') i++;
      else if (c === q) q = undefined;
      continue;
    }
    if (c === '"' || c === "'") q = c;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
  }
  return depth <= 0;
}

/** `key: rest` → [key, rest]; undefined when the line is not a mapping entry. */
function mappingKey(text: string): [string, string] | undefined {
  if (text.startsWith('"') || text.startsWith("'")) {
    const fp = new FlowParser(text, 0);
    try {
      const k = fp.quoted();
      const rest = text.slice(fp.pos).trimStart();
      if (rest === ":" || rest.startsWith(": ")) return [String(k), rest.slice(1).trim()];
    } catch {
      return undefined;
    }
    return undefined;
  }
  if (/^[[{]/.test(text)) return undefined;
  const m = /^([^:#]*?[^\s:]|[^:]*?):(?:\s+|$)(.*)$/.exec(text);
  if (!m || m[1]!.startsWith("- ") || m[1] === "-") return undefined;
  return [m[1]!.trim(), m[2]!];
}

export function plainScalar(s: string): unknown {
  const t = s.trim();
  if (t === "" || t === "~" || /^(null|Null|NULL)$/.test(t)) return null;
  if (/^(true|True|TRUE)$/.test(t)) return true;
  if (/^(false|False|FALSE)$/.test(t)) return false;
  if (/^[-+]?[0-9]+$/.test(t)) return Number(t);
  if (/^0o[0-7]+$/.test(t)) return parseInt(t.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(t)) return parseInt(t.slice(2), 16);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(t)) return Number(t);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(t)) return NaN;
  return t;
}

class FlowParser {
  pos = 0;
  constructor(
    private readonly s: string,
    private readonly line: number,
  ) {}

  private ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  end(): void {
    this.ws();
    if (this.pos < this.s.length)
      throw new YamlError(`unexpected ${JSON.stringify(this.s.slice(this.pos))}`, this.line);
  }

  value(): unknown {
    this.ws();
    const c = this.s[this.pos];
    if (c === "[") {
      this.pos++;
      const out: unknown[] = [];
      for (;;) {
        this.ws();
        if (this.s[this.pos] === "]") {
          this.pos++;
          return out;
        }
        out.push(this.value());
        this.ws();
        if (this.s[this.pos] === ",") this.pos++;
        else if (this.s[this.pos] !== "]") throw new YamlError("expected , or ] in flow sequence", this.line);
      }
    }
    if (c === "{") {
      this.pos++;
      const out: Record<string, unknown> = {};
      for (;;) {
        this.ws();
        if (this.s[this.pos] === "}") {
          this.pos++;
          return out;
        }
        const k = this.s[this.pos] === '"' || this.s[this.pos] === "'" ? this.quoted() : this.plain(true);
        this.ws();
        if (this.s[this.pos] !== ":") throw new YamlError("expected : in flow mapping", this.line);
        this.pos++;
        out[String(k)] = this.value();
        this.ws();
        if (this.s[this.pos] === ",") this.pos++;
        else if (this.s[this.pos] !== "}") throw new YamlError("expected , or } in flow mapping", this.line);
      }
    }
    if (c === '"' || c === "'") return this.quoted();
    return this.plain(false);
  }

  private plain(key: boolean): unknown {
    const start = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s[this.pos]!;
      if (
        c === "," ||
        c === "]" ||
        c === "}" ||
        (c === ":" && (key || /\s/.test(this.s[this.pos + 1] ?? " ")))
      )
        break;
      this.pos++;
    }
    const t = this.s.slice(start, this.pos).trim();
    return key ? t : plainScalar(t);
  }

  quoted(): string {
    const q = this.s[this.pos]!;
    this.pos++;
    let out = "";
    while (this.pos < this.s.length) {
      const c = this.s[this.pos]!;
      if (q === "'" && c === "'") {
        if (this.s[this.pos + 1] === "'") {
          out += "'";
          this.pos += 2;
          continue;
        }
        this.pos++;
        return out;
      }
      if (q === '"' && c === '"') {
        this.pos++;
        return out;
      }
      if (q === '"' && c === "\\") {
        const e = this.s[this.pos + 1];
        const map: Record<string, string> = {
          n: "\n",
          t: "\t",
          r: "\r",
          '"': '"',
          "\\": "\\",
          "/": "/",
          "0": "\0",
          " ": " ",
          e: "\x1b",
          b: "\b",
          f: "\f",
          a: "\x07",
          v: "\v",
        };
        if (e !== undefined && map[e] !== undefined) {
          out += map[e];
          this.pos += 2;
          continue;
        }
        const hex = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
        if (hex) {
          out += String.fromCodePoint(parseInt(this.s.slice(this.pos + 2, this.pos + 2 + hex), 16));
          this.pos += 2 + hex;
          continue;
        }
        throw new YamlError(`invalid escape \\${e ?? ""}`, this.line);
      }
      out += c;
      this.pos++;
    }
    throw new YamlError("unterminated quoted string", this.line);
  }
}
