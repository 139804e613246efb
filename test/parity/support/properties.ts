// A run, flattened into named properties (`exit`, `build[bb].artifact[0].id`,
// `image#0.config.Env`, `image#0.fs[/etc/motd]`, `output[out/image.tar].fs[/bin/sh]` …), each a
// canonical JSON value, and the comparison of two such maps with the documented differences.
import { describeEntry, entryWeight, type FsMap } from "./tar-walk.js";
import { CONFIG_KEYS, normalizeConfigValue, sortedEnv } from "./images.js";
import type { RunSnapshot } from "./run-tool.js";

export interface Prop {
  /** JSON text of the value. */
  value: string;
  /** How many individual properties this one stands for (a file entry has six). */
  weight: number;
}
export type Props = Map<string, Prop>;

export const ABSENT = "<absent>";

export interface Normalizer {
  /** Absolute paths → placeholders, longest first. */
  paths: [string, string][];
}

/** Replaces run-specific text (ids, temp paths, durations) by stable placeholders. */
export function normalizeText(text: string, n: Normalizer): string {
  let out = text;
  for (const [abs, placeholder] of n.paths) out = out.split(abs).join(placeholder);
  return out
    .replace(/sha256:[0-9a-f]{64}/g, "sha256:<hex>")
    .replace(/\b[0-9a-f]{64}\b/g, "<container>")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<uuid>")
    .replace(/\/packer-shell\d+/g, "/packer-shell<n>")
    .replace(/\/script_\d+\.sh/g, "/script_<n>.sh")
    .replace(
      /after (?:\d+ (?:hours?|minutes?|seconds?|milliseconds?|microseconds?|nanoseconds?) ?)+/g,
      "after <duration>",
    );
}

export interface FlattenOptions {
  normalizer: Normalizer;
  /** Renames build targets (HCL `docker.bb` → JSON `bb`) so that two formats line up. */
  targetName?: (target: string) => string;
}

function put(props: Props, key: string, value: unknown, weight = 1): void {
  props.set(key, { value: JSON.stringify(value), weight });
}

function putFs(props: Props, prefix: string, fs: FsMap): void {
  for (const [p, e] of fs)
    props.set(`${prefix}.fs[${p}]`, { value: JSON.stringify(describeEntry(e)), weight: entryWeight(e) });
}

export function flattenRun(run: RunSnapshot, opts: FlattenOptions): Props {
  const props: Props = new Map();
  const norm = (s: string | undefined): string | undefined =>
    s === undefined ? undefined : normalizeText(s, opts.normalizer);
  put(props, "exit", run.exitCode);
  const rename = opts.targetName ?? ((t: string) => t);
  const builds = [...run.builds.entries()]
    .map(([target, b]) => [rename(target), b] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  const imageKeys = new Map<string, string>();
  const imageKey = (id: string | undefined): string => {
    if (id === undefined) return ABSENT;
    let key = imageKeys.get(id);
    if (key === undefined) {
      key = `image#${imageKeys.size}`;
      imageKeys.set(id, key);
    }
    return key;
  };
  for (const [target, b] of builds) {
    const prefix = `build[${target}]`;
    if (b.error !== undefined) put(props, `${prefix}.error`, norm(b.error));
    put(props, `${prefix}.artifact-count`, b.artifactCount ?? ABSENT);
    b.artifacts.forEach((a, i) => {
      const ap = `${prefix}.artifact[${i}]`;
      put(props, `${ap}.builder-id`, a.builderId ?? ABSENT);
      put(props, `${ap}.id`, norm(a.id) ?? ABSENT);
      put(props, `${ap}.string`, norm(a.string) ?? ABSENT);
      put(
        props,
        `${ap}.files`,
        a.files.map((f) => norm(f)),
      );
      put(props, `${ap}.image`, imageKey(a.imageId));
      if (a.tags.length > 0) {
        put(
          props,
          `${ap}.tags`,
          a.tags.map(
            (t) =>
              `${norm(t.tag)}=${t.imageId === undefined ? ABSENT : t.imageId === a.imageId ? "artifact image" : imageKey(t.imageId)}`,
          ),
        );
      }
    });
  }
  for (const [id, key] of imageKeys) {
    const image = run.images.get(id);
    if (image === undefined) continue;
    for (const k of CONFIG_KEYS) put(props, `${key}.config.${k}`, image.config[k]);
    putFs(props, key, image.fs);
  }
  for (const [repo, tags] of run.registryTags) put(props, `registry[${repo}].tags`, tags);
  for (const [rel, out] of run.outputs) {
    const key = `output[${norm(rel)}]`;
    switch (out.kind) {
      case "dir":
        put(props, key, `dir ${out.mode}`);
        break;
      case "symlink":
        put(props, key, `symlink -> ${out.link}`);
        break;
      case "file":
        put(
          props,
          key,
          `file ${out.mode} ${out.size} ${out.sha256}${out.text === undefined ? "" : ` ${JSON.stringify(normalizeText(out.text, opts.normalizer))}`}`,
          3,
        );
        break;
      case "json":
        put(props, key, `json ${out.mode}`);
        flattenJson(props, key, out.value, opts.normalizer);
        break;
      case "tar":
        put(props, key, `tar ${out.mode} ${out.tar.kind}`);
        if (out.tar.kind === "save") {
          put(props, `${key}.repoTags`, out.tar.repoTags);
          const config = (out.tar.config.config ?? {}) as Record<string, unknown>;
          for (const k of CONFIG_KEYS) {
            const raw = k === "Author" || k === "Comment" ? out.tar.config[k.toLowerCase()] : config[k];
            put(props, `${key}.config.${k}`, normalizeConfigValue(k === "Env" ? sortedEnv(raw) : raw));
          }
        }
        putFs(props, key, out.tar.fs);
        break;
    }
  }
  return props;
}

/** A JSON output (e.g. the manifest post-processor's file), one property per leaf. */
function flattenJson(props: Props, prefix: string, value: unknown, n: Normalizer): void {
  if (Array.isArray(value)) {
    put(props, `${prefix}.length`, value.length);
    value.forEach((v, i) => flattenJson(props, `${prefix}[${i}]`, v, n));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flattenJson(props, `${prefix}.${k}`, v, n);
  } else if (prefix.endsWith(".build_time") && typeof value === "number") {
    put(props, prefix, "<unix time>");
  } else {
    put(props, prefix, typeof value === "string" ? normalizeText(value, n) : value);
  }
}

// ---- comparison ------------------------------------------------------------------------------

/** A documented difference for one template: the values each side must have. */
export interface Expectation {
  /** A property key; `*` matches any run of characters. */
  property: string;
  /** The left side's value (Packer 1.6.6, or the JSON build). */
  left?: unknown;
  /** The right side's value (kiln, or the HCL build). */
  right?: unknown;
  /** A regular expression the left side's JSON text must match: a check in part. */
  leftMatch?: string;
  /** A regular expression the right side's JSON text must match: a check in part. */
  rightMatch?: string;
  /**
   * The right side's value is derived exactly: `left` = the left side's JSON text with `replace`
   * applied (the first occurrence of `replace[0]` becomes `replace[1]`); `reference` = compared
   * in full in the template's reference comparison (a Packer run of a variant it can build).
   */
  rightFrom?: "left" | "reference";
  replace?: [string, string];
  /** Why: the docs/compat.md row (or README note) this difference is documented by. */
  compat: string;
}

/** How a documented difference was checked: both sides exactly (`full`), or not (`part`). */
export type Coverage = "full" | "part";

/** A documented difference that code recognises (e.g. the /bin/sh entrypoint of every commit). */
export interface Rule {
  compat: string;
  /** How well both sides are checked when the rule accepts the pair; false: not this rule's. */
  accepts(key: string, left: string | undefined, right: string | undefined): Coverage | false;
}

export interface Difference {
  key: string;
  left: string;
  right: string;
  note?: string;
}

export interface Comparison {
  /** Weight of the properties whose two sides were checked exactly. */
  full: number;
  /** Weight of the properties where a side was checked by a pattern, or not at all. */
  part: number;
  /** Those properties' keys. */
  partKeys: string[];
  /** Keys whose right side the reference comparison checks (counted there, not here). */
  deferred: string[];
  documented: { key: string; compat: string }[];
  differences: Difference[];
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split("*")
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
}

/** `text` with the first `replace[0]` made `replace[1]` (the whole text when no replacement is given). */
export function derive(text: string, replace: [string, string] | undefined): string {
  return replace === undefined ? text : text.replace(replace[0], () => replace[1]);
}

export interface CompareOptions {
  /** Count only these keys (the reference comparison counts what the main one deferred to it). */
  countOnly?: Set<string>;
}

export function compareProps(
  left: Props,
  right: Props,
  expectations: Expectation[],
  rules: Rule[],
  opts: CompareOptions = {},
): Comparison {
  const result: Comparison = {
    full: 0,
    part: 0,
    partKeys: [],
    deferred: [],
    documented: [],
    differences: [],
  };
  const matchers = expectations.map((e) => ({ e, re: globToRegExp(e.property), used: false }));
  const keys = [...new Set([...left.keys(), ...right.keys()])].sort();
  for (const key of keys) {
    const l = left.get(key);
    const r = right.get(key);
    const weight = Math.max(l?.weight ?? 0, r?.weight ?? 0);
    const count = (coverage: Coverage): void => {
      if (opts.countOnly !== undefined && !opts.countOnly.has(key)) return;
      result[coverage] += weight;
      if (coverage === "part") result.partKeys.push(key);
    };
    const lv = l?.value ?? JSON.stringify(ABSENT);
    const rv = r?.value ?? JSON.stringify(ABSENT);
    const matcher = matchers.find((m) => m.re.test(key));
    if (matcher !== undefined) {
      matcher.used = true;
      const { e } = matcher;
      const problems: string[] = [];
      if (e.left !== undefined && JSON.stringify(e.left) !== lv)
        problems.push(`left should be ${JSON.stringify(e.left)}`);
      if (e.leftMatch !== undefined && !new RegExp(e.leftMatch).test(lv))
        problems.push(`left should match /${e.leftMatch}/`);
      if (e.right !== undefined && JSON.stringify(e.right) !== rv)
        problems.push(`right should be ${JSON.stringify(e.right)}`);
      if (e.rightFrom === "left" && derive(lv, e.replace) !== rv)
        problems.push(`right should be ${derive(lv, e.replace)}`);
      if (e.rightMatch !== undefined && !new RegExp(e.rightMatch).test(rv))
        problems.push(`right should match /${e.rightMatch}/`);
      if (problems.length > 0)
        result.differences.push({ key, left: lv, right: rv, note: `${problems.join("; ")} (${e.compat})` });
      else if (lv !== rv) result.documented.push({ key, compat: e.compat });
      if (e.rightFrom === "reference") {
        result.deferred.push(key);
        continue;
      }
      // Derived from the left side, every field is compared except the stated substitution.
      const exact = e.rightFrom === "left" || (e.left !== undefined && e.right !== undefined);
      count(exact ? "full" : "part");
      continue;
    }
    if (lv === rv) {
      count("full");
      continue;
    }
    const accepted = rules
      .map((rule) => ({ rule, coverage: rule.accepts(key, l?.value, r?.value) }))
      .find((a) => a.coverage !== false);
    if (accepted !== undefined && accepted.coverage !== false) {
      result.documented.push({ key, compat: accepted.rule.compat });
      count(accepted.coverage);
    } else {
      result.differences.push({ key, left: lv, right: rv });
      count("full");
    }
  }
  for (const m of matchers) {
    if (!m.used) {
      result.differences.push({
        key: m.e.property,
        left: "",
        right: "",
        note: `expected difference matched no property: remove it or fix the key (${m.e.compat})`,
      });
    }
  }
  return result;
}
export function formatDifferences(
  diffs: Difference[],
  leftName: string,
  rightName: string,
  limit = 40,
): string {
  const lines = diffs
    .slice(0, limit)
    .map((d) =>
      d.left === "" && d.right === ""
        ? `  ${d.key}: ${d.note ?? ""}`
        : `  ${d.key}\n    ${leftName}: ${d.left}\n    ${rightName}: ${d.right}${d.note === undefined ? "" : `\n    ${d.note}`}`,
    );
  if (diffs.length > limit) lines.push(`  … and ${diffs.length - limit} more`);
  return lines.join("\n");
}
