// Validates one component block against its schema, shared by the JSON and HCL loaders: unknown
// keys (with did-you-mean), rendering, Packer's weak type coercion, choices, deprecations,
// defaults, required options, then the component's cross-field check. Every problem is collected
// with the position of the key, value or list item it concerns; nothing stops at the first.
import { InvalidInputError, type Diagnostic, type SourcePos } from "./diagnostic.js";
import type { CheckProblem, ComponentSpec, FieldDef } from "./schema.js";
import { suggest } from "./suggest.js";
import { parseDuration } from "./duration.js";
import { plain, type ObjectEntry, type ValueNode } from "./value-tree.js";

export interface ValidateConfigOptions {
  /**
   * JSON: a string where a list is expected is split on commas after rendering, as Packer's
   * decoder does (mapstructure StringToSliceHookFunc(",") in config.Decode); "" is an empty list.
   * HCL (Packer decodes it with HCL's types, which refuse a string): a one-element list.
   */
  format: "json" | "hcl";
  /** Renders a template string found at `pos`; throws InvalidInputError. HCL passes identity. */
  render: (s: string, pos?: SourcePos) => string;
  /** Checks a late field's template syntax without rendering it; throws InvalidInputError. */
  checkLate?: (s: string, pos?: SourcePos) => void;
  file: string;
  templateDir: string;
  /** Relative paths in checks (scripts, sources) resolve from here; default process.cwd(). */
  cwd?: string;
  blockPos?: SourcePos;
  /** Where the block is, for messages: e.g. `builder "docker"`, `provisioner 2 (shell)`. */
  what?: string;
}

export interface ValidateConfigResult {
  config: Record<string, unknown>;
  diagnostics: Diagnostic[];
}

type Got = { ok: true; value: unknown } | { ok: false };
const FAIL: Got = { ok: false };

export function validateConfig(
  spec: ComponentSpec,
  node: ValueNode,
  opts: ValidateConfigOptions,
): ValidateConfigResult {
  const v = new Validator(spec, opts);
  return v.run(node);
}

class Validator {
  readonly diagnostics: Diagnostic[] = [];
  /** Keys with a problem of their own: cross-field checks about them would only add noise. */
  readonly failed = new Set<string>();
  readonly entries = new Map<string, ObjectEntry>();
  /** Options an unknown key was suggested as. */
  readonly misspelt = new Set<string>();
  /** List items split out of an already rendered string: not rendered twice. */
  readonly prerendered = new WeakSet<ValueNode>();

  constructor(
    readonly spec: ComponentSpec,
    readonly opts: ValidateConfigOptions,
  ) {}

  /** `kiln fix` rewrites JSON templates only; HCL2 ones are edited by hand. */
  private fixHint(): string {
    return this.opts.format === "json" ? ` (\`kiln fix ${this.opts.file}\` does it)` : "";
  }

  private where(): string | undefined {
    return this.opts.what ? `in ${this.opts.what}` : undefined;
  }

  error(pos: SourcePos | undefined, summary: string, detail?: string, suggestions?: string[]): void {
    this.diagnostics.push({
      severity: "error",
      pos: pos ?? this.opts.blockPos,
      summary,
      detail: [detail, this.where()].filter(Boolean).join("\n") || undefined,
      suggestions: suggestions?.length ? suggestions : undefined,
    });
  }

  /** A diagnostic from rendering, with the block it happened in added. */
  located(d: Diagnostic): Diagnostic {
    const where = this.where();
    return where ? { ...d, detail: [d.detail, where].filter(Boolean).join("\n") } : d;
  }

  warn(pos: SourcePos | undefined, summary: string, detail?: string): void {
    this.diagnostics.push({
      severity: "warning",
      pos: pos ?? this.opts.blockPos,
      summary,
      detail: [detail, this.where()].filter(Boolean).join("\n") || undefined,
    });
  }

  run(node: ValueNode): ValidateConfigResult {
    const config: Record<string, unknown> = {};
    if (node.kind !== "object") {
      this.error(node.pos, `expected an object of options, got ${describe(node)}`);
      return { config, diagnostics: this.diagnostics };
    }
    const schema = this.spec.schema;
    for (const e of node.entries) {
      this.entries.set(e.key, e);
      const field = Object.prototype.hasOwnProperty.call(schema, e.key) ? schema[e.key] : undefined;
      const obsolete = this.spec.obsolete;
      if (!field && obsolete && Object.prototype.hasOwnProperty.call(obsolete, e.key)) {
        this.failed.add(e.key);
        this.error(
          e.keyPos ?? e.value.pos,
          `${JSON.stringify(e.key)} is deprecated and no longer supported`,
          `${obsolete[e.key]}${this.fixHint()}.`,
        );
        continue;
      }
      if (!field) {
        const suggestions = suggest(e.key, Object.keys(schema));
        for (const sug of suggestions) this.misspelt.add(sug);
        this.failed.add(e.key);
        this.error(
          e.keyPos ?? e.value.pos,
          `unknown key ${JSON.stringify(e.key)}`,
          suggestions.length
            ? undefined
            : `the ${this.spec.type} options are: ${Object.keys(schema).join(", ")}`,
          suggestions,
        );
        continue;
      }
      if (field.ignored) this.warn(e.keyPos, `${e.key} is ignored: ${field.ignored}`);
      if (field.deprecated) {
        const message = field.deprecated.includes(e.key)
          ? field.deprecated
          : `${e.key} is deprecated: ${field.deprecated}`;
        this.warn(e.keyPos, `${message}${field.kilnFix ? this.fixHint() : ""}`);
      }
      if (e.value.kind === "null") continue; // as Packer: null leaves the option unset
      const got = field.late ? this.late(e.key, field, e.value) : this.coerce(e.key, field, e.value);
      if (got.ok) config[e.key] = got.value;
      else this.failed.add(e.key);
    }
    for (const [key, field] of Object.entries(schema)) {
      if (key in config || this.failed.has(key)) continue;
      // "repositry" already got "did you mean repository": saying it is missing adds nothing.
      if (field.required && this.misspelt.has(key)) continue;
      if (field.required) {
        this.failed.add(key);
        this.error(
          this.opts.blockPos,
          `missing required option ${JSON.stringify(key)}`,
          `${key}: ${field.doc}`,
        );
      } else if (field.hasDefault && field.defaultValue !== undefined) {
        config[key] = structuredClone(field.defaultValue);
      }
    }
    if (this.spec.normalize && !this.diagnostics.some((d) => d.severity === "error"))
      this.spec.normalize(config);
    this.check(config, node);
    return { config, diagnostics: this.diagnostics };
  }

  private check(config: Record<string, unknown>, node: Extract<ValueNode, { kind: "object" }>): void {
    if (!this.spec.check) return;
    // Some options failing (some silently: a variable that already failed) makes block-level
    // problems like "needs image" unreliable.
    const hadErrors = this.failed.size > 0 || this.diagnostics.some((d) => d.severity === "error");
    // Options that failed still count for conflicts ("inline" and "script" both given), so the
    // check sees their raw values; problems about those options themselves are dropped below.
    const seen: Record<string, unknown> = { ...config };
    for (const e of node.entries) {
      if (this.failed.has(e.key) && Object.prototype.hasOwnProperty.call(this.spec.schema, e.key))
        seen[e.key] = plain(e.value);
    }
    let problems: CheckProblem[];
    try {
      problems = this.spec.check(seen, { templateDir: this.opts.templateDir, cwd: this.opts.cwd });
    } catch (e) {
      // A check may assume what an earlier error already reported missing.
      if (hadErrors) return;
      throw e;
    }
    for (const [field, message, extras] of problems) {
      const key = field.replace(/\[\d+\]$/, "");
      if (hadErrors && (field === "" || this.failed.has(key))) continue;
      this.error(this.fieldPos(field), message, extras?.detail, extras?.suggestions);
    }
  }

  /** `key` → the key's position; `key[i]` → that list item's; "" → the block's. */
  private fieldPos(field: string): SourcePos | undefined {
    const m = /^(.*)\[(\d+)\]$/.exec(field);
    const e = this.entries.get(m ? m[1]! : field);
    if (!e) return this.opts.blockPos;
    if (m && e.value.kind === "array") return e.value.items[Number(m[2])]?.pos ?? e.value.pos;
    return m ? e.value.pos : (e.keyPos ?? e.value.pos);
  }

  /** Renders; on failure records the diagnostics and returns undefined. */
  private rendered(s: string, pos: SourcePos | undefined): string | undefined {
    try {
      return this.opts.render(s, pos);
    } catch (e) {
      if (e instanceof InvalidInputError) {
        this.diagnostics.push(...e.diagnostics.map((d) => this.located(d)));
        return undefined;
      }
      throw e;
    }
  }

  private late(key: string, field: FieldDef, node: ValueNode): Got {
    const check = (s: string, pos: SourcePos | undefined): boolean => {
      try {
        this.opts.checkLate?.(s, pos);
        return true;
      } catch (e) {
        if (e instanceof InvalidInputError) {
          this.diagnostics.push(...e.diagnostics.map((d) => this.located(d)));
          return false;
        }
        throw e;
      }
    };
    if (field.kind === "strings") {
      // Packer does not render late fields at decode time, but still splits them.
      const items = this.splitString(
        key,
        field,
        node,
        node.kind === "string" ? node.value : undefined,
        false,
      );
      if (!items) return FAIL;
      const out: string[] = [];
      let ok = true;
      for (const item of items) {
        if (item.kind !== "string") {
          this.error(item.pos, `${key}: expected a list of strings, got ${describe(item)} in the list`);
          ok = false;
        } else if (check(item.value, item.pos)) {
          out.push(item.value);
        } else {
          ok = false;
        }
      }
      return ok ? { ok: true, value: out } : FAIL;
    }
    if (node.kind !== "string") {
      this.error(node.pos, `${key}: expected ${expectedText(field)}, got ${describe(node)}`);
      return FAIL;
    }
    return check(node.value, node.pos) ? { ok: true, value: node.value } : FAIL;
  }

  /** A list node's items; a single scalar becomes a one-element list (Packer's weak decoding). */
  private listItems(key: string, field: FieldDef, node: ValueNode): ValueNode[] | undefined {
    if (node.kind === "array") return node.items;
    if (node.kind === "string" || node.kind === "number") {
      if (!field.single) {
        const what = field.kind === "ints" ? "integers" : "strings";
        this.warn(
          node.pos,
          `${key}: expected a list of ${what}; treating the ${node.kind} as a one-element list`,
          `write [${JSON.stringify(node.value)}]`,
        );
      }
      return [node];
    }
    this.error(node.pos, `${key}: expected ${expectedText(field)}, got ${describe(node)}`);
    return undefined;
  }

  /**
   * A list option's items. In JSON a string (`text`: already rendered, or raw for late fields) is
   * split on commas, as Packer does: `"tags": "{{user \`tags\`}}"` with tags=a,b is two tags. The
   * items are string nodes at the string's position; `rendered` ones are not rendered again.
   */
  private splitString(
    key: string,
    field: FieldDef,
    node: ValueNode,
    text: string | undefined,
    rendered: boolean,
  ): ValueNode[] | undefined {
    if (this.opts.format !== "json" || node.kind !== "string" || text === undefined)
      return this.listItems(key, field, node);
    const parts = text === "" ? [] : text.split(",");
    if (!field.single) {
      const what = field.kind === "ints" ? "integers" : "strings";
      const list = `[${parts.map((p) => (field.kind === "ints" ? p : JSON.stringify(p))).join(", ")}]`;
      if (parts.length === 1)
        this.warn(
          node.pos,
          `${key}: expected a list of ${what}; treating the string as a one-element list`,
          `write ${list}`,
        );
      else
        this.warn(
          node.pos,
          `${key}: expected a list of ${what}; the string is split on commas, as Packer does`,
          `it becomes ${list}; write the list to make that explicit`,
        );
    }
    return parts.map((value) => {
      const item: ValueNode = { kind: "string", value, pos: node.pos };
      if (rendered) this.prerendered.add(item);
      return item;
    });
  }

  private coerce(key: string, field: FieldDef, node: ValueNode): Got {
    switch (field.kind) {
      case "string":
        return this.string(key, node, field);
      case "bool":
        return this.scalar(key, field, node, (s) => parseGoBool(s));
      case "int":
        return this.scalar(key, field, node, (s) => parseGoInt(s));
      case "duration":
        return this.scalar(key, field, node, (s) => parseDuration(s));
      case "strings":
      case "ints": {
        let text: string | undefined;
        if (this.opts.format === "json" && node.kind === "string") {
          text = this.rendered(node.value, node.pos);
          if (text === undefined) return FAIL;
        }
        const items = this.splitString(key, field, node, text, true);
        if (!items) return FAIL;
        if (field.kind === "strings")
          return this.all(items.map((item, i) => this.string(`${key}[${i}]`, item, field)));
        return this.all(
          items.map((item, i) => this.scalar(`${key}[${i}]`, { ...field, kind: "int" }, item, parseGoInt)),
        );
      }
      case "map":
        return this.map(key, node);
      case "any":
        return this.any(node);
    }
  }

  private all(results: Got[]): Got {
    if (results.some((r) => !r.ok)) return FAIL;
    return { ok: true, value: results.map((r) => (r as { value: unknown }).value) };
  }

  private string(key: string, node: ValueNode, field?: FieldDef): Got {
    let value: string;
    if (node.kind === "string" && this.prerendered.has(node)) {
      value = node.value;
    } else if (node.kind === "string") {
      const r = this.rendered(node.value, node.pos);
      if (r === undefined) return FAIL;
      value = r;
    } else if (node.kind === "number") {
      value = String(node.value);
    } else {
      this.error(
        node.pos,
        `${key}: expected string, got ${describe(node)}`,
        node.kind === "bool" ? `quote it if you mean the text: "${node.value}"` : undefined,
      );
      return FAIL;
    }
    if (field?.oneOf && !field.oneOf.includes(value)) {
      this.error(
        node.pos,
        `${key}: ${JSON.stringify(value)} is not one of ${field.oneOf.join(", ")}`,
        undefined,
        suggest(value, field.oneOf),
      );
      return FAIL;
    }
    return { ok: true, value };
  }

  /** Booleans, integers and durations: the native JSON type, or a (rendered) string that parses. */
  private scalar(key: string, field: FieldDef, node: ValueNode, parse: (s: string) => unknown): Got {
    const expected = expectedText(field);
    if (field.kind === "bool" && node.kind === "bool") return { ok: true, value: node.value };
    if (node.kind === "number") {
      if (field.kind === "int" && Number.isInteger(node.value)) return { ok: true, value: node.value };
      if (field.kind === "duration") return { ok: true, value: node.value * 1000 };
      if (field.kind === "bool" && (node.value === 0 || node.value === 1))
        return { ok: true, value: node.value === 1 };
    }
    if (node.kind === "string") {
      const r = this.prerendered.has(node) ? node.value : this.rendered(node.value, node.pos);
      if (r === undefined) return FAIL;
      const value = parse(r);
      if (value !== undefined) return { ok: true, value };
      const from = r !== node.value ? ` (rendered from ${JSON.stringify(node.value)})` : "";
      this.error(node.pos, `${key}: expected ${expected}, got string ${JSON.stringify(r)}${from}`);
      return FAIL;
    }
    this.error(node.pos, `${key}: expected ${expected}, got ${describe(node)}`);
    return FAIL;
  }

  private map(key: string, node: ValueNode): Got {
    if (node.kind !== "object") {
      this.error(node.pos, `${key}: expected an object of strings, got ${describe(node)}`);
      return FAIL;
    }
    const out: Record<string, string> = {};
    let ok = true;
    for (const e of node.entries) {
      const k = this.rendered(e.key, e.keyPos);
      const got = this.string(`${key}.${e.key}`, e.value);
      if (k === undefined || !got.ok) ok = false;
      else out[k] = got.value as string;
    }
    return ok ? { ok: true, value: out } : FAIL;
  }

  private any(node: ValueNode): Got {
    switch (node.kind) {
      case "string": {
        const r = this.rendered(node.value, node.pos);
        return r === undefined ? FAIL : { ok: true, value: r };
      }
      case "array":
        return this.all(node.items.map((i) => this.any(i)));
      case "object": {
        const out: Record<string, unknown> = {};
        let ok = true;
        for (const e of node.entries) {
          const got = this.any(e.value);
          if (got.ok) out[e.key] = got.value;
          else ok = false;
        }
        return ok ? { ok: true, value: out } : FAIL;
      }
      case "null":
        return { ok: true, value: null };
      default:
        return { ok: true, value: node.value };
    }
  }
}

function expectedText(field: FieldDef): string {
  switch (field.kind) {
    case "string":
      return "string";
    case "bool":
      return "boolean";
    case "int":
      return "integer";
    case "duration":
      return 'a duration such as "30s", "1m30s" or a number of seconds';
    case "strings":
      return "a list of strings";
    case "ints":
      return "a list of integers";
    case "map":
      return "an object of strings";
    case "any":
      return "a value";
  }
}

export function describe(node: ValueNode): string {
  switch (node.kind) {
    case "string":
      return `string ${JSON.stringify(node.value)}`;
    case "number":
      return `number ${node.value}`;
    case "bool":
      return `boolean ${node.value}`;
    case "null":
      return "null";
    case "array":
      return "a list";
    case "object":
      return "an object";
  }
}

/** strconv.ParseBool, which Packer's weak decoding uses for strings. */
export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(s)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(s)) return false;
  return undefined;
}

export function parseGoInt(s: string): number | undefined {
  const t = s.trim();
  if (/^[+-]?\d+$/.test(t)) return Number(t);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t))
    return t.startsWith("-") ? -Number(t.slice(1)) : Number(t.replace(/^\+/, ""));
  return undefined;
}
