// Extra vars reach Ansible through files, never argv: `-e key=value` in extra_arguments is parsed
// the way ansible-playbook parses it (parse_kv: strings, quotes removed) and written to a file
// passed as `-e @file`, in the same position so that later `-e` still win. Values of keys that look
// secret are registered for masking, as Packer hides `*password*` / `*secret*` keys.

/** Keys whose values are masked in output (Packer: password, secret; kiln adds a few more). */
export const SENSITIVE_KEY = /password|passwd|secret|token|passphrase|credential|private_key|api_key|apikey/i;

export interface ExtraVarsFile {
  /** Index among the files of one rewrite (used to name the file). */
  index: number;
  content: string;
  ext: "json" | "yml";
}

export interface RewrittenArgs {
  args: string[];
  files: ExtraVarsFile[];
  secrets: string[];
}

/**
 * Rewrites `-e V`, `--extra-vars V`, `--extra-vars=V` and `-eV` whose value is not already `@file`.
 * `pathFor` names the file that will hold file `i` (the caller writes them).
 */
export function rewriteExtraVars(
  args: readonly string[],
  pathFor: (i: number, ext: string) => string,
): RewrittenArgs {
  const out: string[] = [];
  const files: ExtraVarsFile[] = [];
  const secrets: string[] = [];
  const convert = (value: string): string | undefined => {
    if (value.startsWith("@")) return undefined;
    const trimmed = value.trim();
    let file: ExtraVarsFile;
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      // ansible-playbook loads these as YAML (JSON is YAML): the text goes into the file as is.
      file = { index: files.length, content: value, ext: "yml" };
      collectSecrets(tryJson(trimmed), secrets);
    } else {
      const vars = parseKv(value);
      if (vars === undefined) return undefined;
      collectSecrets(vars, secrets);
      file = { index: files.length, content: JSON.stringify(vars, null, 2) + "\n", ext: "json" };
    }
    files.push(file);
    return `@${pathFor(file.index, file.ext)}`;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === "-e" || a === "--extra-vars") && i + 1 < args.length) {
      const v = args[i + 1]!;
      out.push(a, convert(v) ?? v);
      i++;
    } else if (a.startsWith("--extra-vars=")) {
      const v = a.slice("--extra-vars=".length);
      const c = convert(v);
      out.push(c === undefined ? a : `--extra-vars=${c}`);
    } else if (a.startsWith("-e") && !a.startsWith("--") && a.length > 2) {
      const v = a.slice(2);
      const c = convert(v);
      out.push(c === undefined ? a : `-e${c}`);
    } else {
      out.push(a);
    }
  }
  return { args: out, files, secrets };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function collectSecrets(value: unknown, into: string[]): void {
  if (value === null || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SENSITIVE_KEY.test(k) && (typeof v === "string" || typeof v === "number") && String(v) !== "") {
      into.push(String(v));
    } else if (typeof v === "object") {
      collectSecrets(v, into);
    }
  }
}

/** Splits `KEY=value` pairs for the environment (first `=`). */
export function envPairs(pairs: readonly string[]): [string, string][] {
  return pairs.map((kv) => {
    const i = kv.indexOf("=");
    return [kv.slice(0, i), kv.slice(i + 1)];
  });
}

const ESCAPE = /\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{1,3}|[\\'"abfnrtv])/g;
const SIMPLE: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** Python's unicode-escape for the sequences ansible's parse_kv decodes. */
function decodeEscapes(s: string): string {
  return s.replace(ESCAPE, (_, e: string) => {
    if (e.length === 1 && SIMPLE[e] !== undefined) return SIMPLE[e];
    if (e[0] === "U" || e[0] === "u" || e[0] === "x") return String.fromCodePoint(parseInt(e.slice(1), 16));
    return String.fromCodePoint(parseInt(e, 8));
  });
}

function unquote(s: string): string {
  if (s.length > 1 && (s[0] === '"' || s[0] === "'") && s.at(-1) === s[0] && s.at(-2) !== "\\")
    return s.slice(1, -1);
  return s;
}

/**
 * Splits like ansible's split_args: on whitespace outside quotes and outside `{{ }}`, `{% %}`,
 * `{# #}`; quotes stay in the tokens. Undefined when a quote or a Jinja block is left open.
 */
export function splitArgs(text: string): string[] | undefined {
  const tokens: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let jinja = 0;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const two = text.slice(i, i + 2);
    if (quote === undefined && jinja === 0 && /\s/.test(ch)) {
      if (started) tokens.push(cur);
      cur = "";
      started = false;
      continue;
    }
    started = true;
    if (ch === "\\" && i + 1 < text.length) {
      cur += two;
      i++;
      continue;
    }
    if (quote === undefined && (two === "{{" || two === "{%" || two === "{#")) {
      jinja++;
      cur += two;
      i++;
      continue;
    }
    if (jinja > 0 && (two === "}}" || two === "%}" || two === "#}")) {
      jinja--;
      cur += two;
      i++;
      continue;
    }
    if (jinja === 0 && (ch === '"' || ch === "'")) {
      if (quote === undefined) quote = ch;
      else if (quote === ch) quote = undefined;
    }
    cur += ch;
  }
  if (quote !== undefined || jinja !== 0) return undefined;
  if (started) tokens.push(cur);
  return tokens;
}

/** ansible's parse_kv for extra vars: every value a string; words without `=` go to `_raw_params`. */
export function parseKv(text: string): Record<string, string> | undefined {
  const tokens = splitArgs(text);
  if (tokens === undefined) return undefined;
  const vars: Record<string, string> = {};
  const raw: string[] = [];
  for (const orig of tokens) {
    const x = decodeEscapes(orig);
    let pos = -1;
    for (let p = x.indexOf("=", 1); p !== -1; p = x.indexOf("=", p + 1)) {
      if (x[p - 1] !== "\\") {
        pos = p;
        break;
      }
    }
    if (pos === -1) {
      raw.push(x.includes("=") ? x.replace(/\\=/g, "=") : orig);
      continue;
    }
    vars[x.slice(0, pos).trim()] = unquote(x.slice(pos + 1).trim());
  }
  if (raw.length > 0) vars._raw_params = raw.join(" ");
  return vars;
}
