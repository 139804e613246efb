// What a Dockerfile consumes: the images its stages start FROM and `COPY --from` reads, with
// global ARGs (and the build args that override them) substituted as the builder does. Stage names
// are internal; `scratch` is nothing. Used for the chain's edges and for the credentials of the
// registries a build pulls from.

export interface DockerfileImageUse {
  /** The image reference after substitution. */
  image: string;
  /** 1-based line of the instruction. */
  line: number;
  instruction: "FROM" | "COPY --from";
  /** Substitution left something unresolved (`$X` with no value): an edge cannot be known. */
  unresolved: boolean;
}

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Logical instructions: directives read, comments dropped, continuation lines joined. */
export function readInstructions(text: string): Instruction[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let escape = "\\";
  let i = 0;
  // Parser directives: only at the very top, `# name=value`, before any other line.
  for (; i < lines.length; i++) {
    const m = /^\s*#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(lines[i]!);
    if (!m) break;
    if (m[1]!.toLowerCase() === "escape" && (m[2] === "`" || m[2] === "\\")) escape = m[2];
  }
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  for (; i < lines.length; i++) {
    const raw = lines[i]!;
    if (/^\s*#/.test(raw)) continue;
    if (pending === undefined && raw.trim() === "") continue;
    const trimmed = raw.replace(/\s+$/, "");
    const continued = trimmed.endsWith(escape);
    const body = continued ? trimmed.slice(0, -1) : raw;
    if (pending === undefined) pending = { text: body, line: i + 1 };
    else pending.text += body;
    if (continued) continue;
    const m = /^\s*(\S+)\s*(.*)$/s.exec(pending.text);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: pending.line });
    pending = undefined;
  }
  if (pending) {
    const m = /^\s*(\S+)\s*(.*)$/s.exec(pending.text);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: pending.line });
  }
  return out;
}

export function dockerfileImages(
  text: string,
  buildArgs: Readonly<Record<string, string>>,
  target?: string,
): DockerfileImageUse[] {
  const globals = new Map<string, string | undefined>();
  const stages: string[] = [];
  const uses: (DockerfileImageUse & { stage: number })[] = [];
  let targetStage: number | undefined;
  let stage = -1;
  for (const ins of readInstructions(text)) {
    if (ins.keyword === "ARG" && stage === -1) {
      for (const decl of splitArgDeclarations(ins.args)) {
        const eq = decl.indexOf("=");
        const name = eq === -1 ? decl : decl.slice(0, eq);
        const dflt = eq === -1 ? undefined : unquote(decl.slice(eq + 1));
        globals.set(name, Object.hasOwn(buildArgs, name) ? buildArgs[name] : dflt);
      }
      continue;
    }
    if (ins.keyword === "FROM") {
      stage++;
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const { value, unresolved } = substitute(words[0] ?? "", globals);
      if (words.length >= 3 && words[1]!.toUpperCase() === "AS") {
        const name = words[2]!.toLowerCase();
        stages[stage] = name;
        if (target !== undefined && name === target.toLowerCase()) targetStage = stage;
      }
      const internal = stages.slice(0, stage).includes(value.toLowerCase());
      if (value !== "" && value.toLowerCase() !== "scratch" && !internal) {
        uses.push({ image: value, line: ins.line, instruction: "FROM", unresolved, stage });
      }
      continue;
    }
    if (ins.keyword === "COPY" && stage >= 0) {
      const m = /(?:^|\s)--from=(\S+)/.exec(ins.args);
      if (!m) continue;
      const from = m[1]!;
      const internal = /^\d+$/.test(from) || stages.slice(0, stage).includes(from.toLowerCase());
      // COPY --from does not expand variables in the classic builder: the value is literal.
      if (!internal)
        uses.push({
          image: from,
          line: ins.line,
          instruction: "COPY --from",
          unresolved: from.includes("$"),
          stage,
        });
    }
  }
  // Stages after the target are not built.
  return uses
    .filter((u) => targetStage === undefined || u.stage <= targetStage)
    .map(({ stage: _stage, ...u }) => u);
}

/** `ARG a=1 b="x y"`: several declarations on one line (quotes keep spaces). */
function splitArgDeclarations(args: string): string[] {
  const out: string[] = [];
  let current = "";
  let quote: string | undefined;
  for (const ch of args) {
    if (quote) {
      current += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (/\s/.test(ch)) {
      if (current) out.push(current);
      current = "";
    } else current += ch;
  }
  if (current) out.push(current);
  return out;
}

function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/s.exec(value);
  return m ? m[2]! : value;
}

/**
 * The builder's variable substitution: `$X`, `${X}`, `${X:-word}`, `${X-word}`, `${X:+word}`,
 * `${X+word}`; `\$` is a literal dollar. Variables without a value are empty, as in the builder.
 */
export function substitute(
  text: string,
  vars: ReadonlyMap<string, string | undefined>,
): { value: string; unresolved: boolean } {
  let out = "";
  let unresolved = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && text[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    if (c !== "$") {
      out += c;
      continue;
    }
    if (text[i + 1] === "{") {
      const close = text.indexOf("}", i + 2);
      if (close === -1) {
        unresolved = true;
        out += text.slice(i);
        break;
      }
      const body = text.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?$/s.exec(body);
      i = close;
      if (!m) {
        unresolved = true;
        continue;
      }
      const [, name, op, word = ""] = m;
      const known = vars.get(name!);
      // Without a value, only a default (`:-` / `-`) gives the reference a known value.
      if (known === undefined && op !== ":-" && op !== "-") unresolved = true;
      const empty = known === undefined || known === "";
      switch (op) {
        case undefined:
          out += known ?? "";
          break;
        case ":-":
          out += empty ? word : known;
          break;
        case "-":
          out += known === undefined ? word : known;
          break;
        case ":+":
          out += empty ? "" : word;
          break;
        case "+":
          out += known === undefined ? "" : word;
          break;
        default:
          out += known ?? "";
      }
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      out += "$";
      continue;
    }
    if (vars.get(m[0]) === undefined) unresolved = true;
    out += vars.get(m[0]) ?? "";
    i += m[0].length;
  }
  return { value: out, unresolved };
}
