// corpusops' IMAGES.json (docker_build_chain.py), read as the original documents it:
// `{"images": [...]}`, each entry a Packer template under `<images folder>/packer/` or a Dockerfile
// relative to its working_dir, with `{…}` fields substituted as Python's str.format would, and
// `extra_args` holding the builder's own flags. Facts and deliberate differences: docs/chains.md.
import { statSync } from "node:fs";
import { basename, dirname, isAbsolute, resolve } from "node:path";
import type { SourcePos } from "../template/diagnostic.js";
import { parseJson } from "../template/json/parse-json.js";
import { suggest } from "../template/suggest.js";
import { describe } from "../template/validate-config.js";
import type { ValueNode } from "../template/value-tree.js";
import { parseDockerArgs, parsePackerArgs } from "./builder-args.js";
import { member, offsetPosition, type Problems, stringMember } from "./json-input.js";
import type { ChainNodeSpec } from "./model.js";
import { ShellWordsError, shellWords, type Word } from "./shell-words.js";
import { FormatError, pyFormat, type FormatValue } from "./str-format.js";
import { parseImageParts, type ImageParts } from "./image-parts.js";

export interface ImagesJsonOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** `--builder-args` / BUILDER_ARGS: flags given to every builder, before the entry's extra_args. */
  builderArgs: string;
  /** Dockerfile images are squashed unless `--no-squash` / NO_SQUASH. */
  squash: boolean;
}

/** What the original computes for an entry, kept for `--generate-images` and `--list`. */
export interface ImagesEntry {
  node: ChainNodeSpec;
  builderType: "packer" | "dockerfile";
  name: string;
  version: string;
  /** The file as computed (`file`, the dockerfile key, or the default), after substitution. */
  file: string;
  /** The absolute path the entry builds from (`<folder>/packer/<file>`, or `<working_dir>/<file>`). */
  path: string;
  tag?: string;
}

const KNOWN_KEYS = [
  "builder_type",
  "file",
  "dockerfile",
  "docker_file",
  "tag",
  "name",
  "version",
  "working_dir",
  "extra_args",
];
const BUILDER_TYPES = ["packer", "dockerfile", "docker"];
const EXAMPLE = '{"images": [{"file": "myimg.json", "builder_type": "packer"}]}';

/** Reads one IMAGES.json; `indexBase` numbers its entries after those of earlier files. */
export function readImagesJson(
  file: string,
  text: string,
  opts: ImagesJsonOptions,
  problems: Problems,
  indexBase = 0,
): ImagesEntry[] {
  const parsed = parseJson(text, file);
  const root = parsed.root;
  const folder = dirname(file);
  const top = resolve(folder, "..");
  const images = member(root, "images");
  if (root.kind !== "object" || !images) {
    const near =
      root.kind === "object"
        ? suggest(
            "images",
            root.entries.map((e) => e.key),
          )
        : [];
    problems.error(
      root.pos,
      `${basename(file)}: expected an object with an "images" list`,
      `e.g. ${EXAMPLE}`,
      near,
    );
    return [];
  }
  if (images.value.kind !== "array") {
    problems.error(
      images.value.pos,
      `images: expected a list of entries, got ${describe(images.value)}`,
      `e.g. ${EXAMPLE}`,
    );
    return [];
  }
  const out: ImagesEntry[] = [];
  images.value.items.forEach((item, i) => {
    const entry = readEntry(item, i, { file, folder, top, opts, problems, raw: parsed.rawStrings });
    if (entry) {
      entry.node.index = indexBase + out.length;
      out.push(entry);
    }
  });
  return out;
}

interface EntryContext {
  file: string;
  folder: string;
  top: string;
  opts: ImagesJsonOptions;
  problems: Problems;
  raw: WeakMap<SourcePos, string>;
}

function readEntry(item: ValueNode, i: number, ctx: EntryContext): ImagesEntry | undefined {
  const { problems } = ctx;
  const where = `images[${i}]`;
  if (item.kind !== "object") {
    problems.error(item.pos, `${where}: expected an object, got ${describe(item)}`, `e.g. ${EXAMPLE}`);
    return undefined;
  }
  const before = problems.list.length;
  for (const e of item.entries) {
    if (KNOWN_KEYS.includes(e.key)) continue;
    const near = suggest(e.key, KNOWN_KEYS);
    // The original accepts any key (they are fields for `{…}` in extra_args); a near-miss is a warning.
    if (near.length > 0)
      problems.warning(e.keyPos, `${where}: unknown key ${JSON.stringify(e.key)}`, undefined, near);
  }
  const dockerfileKey =
    stringMember(item, "dockerfile", where, problems) ?? stringMember(item, "docker_file", where, problems);
  const typeEntry = stringMember(item, "builder_type", where, problems);
  let builderType: "packer" | "dockerfile" = "packer";
  if (dockerfileKey) builderType = "dockerfile";
  else if (typeEntry) {
    if (typeEntry.value === "docker" || typeEntry.value === "dockerfile") builderType = "dockerfile";
    else if (typeEntry.value !== "packer") {
      problems.error(
        typeEntry.pos,
        `${where}: builder_type ${JSON.stringify(typeEntry.value)} is not one kiln builds`,
        'use "packer" (the default) or "dockerfile" (alias "docker")',
        suggest(typeEntry.value, BUILDER_TYPES),
      );
      return undefined;
    }
  }
  const fields: Record<string, FormatValue> = {};
  for (const e of item.entries) fields[e.key] = plainValue(e.value);
  fields.images_file = ctx.file;
  fields.builder_type = builderType;

  // name: the entry's, else the top directory's name without corpusops' `setups.` prefix.
  let name = stringMember(item, "name", where, problems)?.value || basename(ctx.top).replace(/setups\./g, "");
  let version = stringMember(item, "version", where, problems)?.value ?? "";
  const fileEntry = stringMember(item, "file", where, problems) ?? dockerfileKey;
  let file = fileEntry?.value ?? "";
  if (file === "") {
    if (builderType === "packer") file = version ? `${name}-${version}.json` : `${name}.json`;
    else file = version ? `Dockerfile.${name}-${version}` : "Dockerfile";
  }
  let tag: string | undefined;
  const tagEntry = stringMember(item, "tag", where, problems);
  if (tagEntry) tag = tagEntry.value;
  let parts: ImageParts | undefined;
  if (tag !== undefined) {
    parts = parseImageParts(tag);
    if (!parts) {
      problems.error(
        tagEntry?.pos,
        `${where}: tag ${JSON.stringify(tag)} is not an image reference`,
        "e.g. mycorp/myimg:1.0",
      );
      return undefined;
    }
  }
  if (builderType === "dockerfile") {
    if (tag === undefined) {
      problems.error(
        item.pos,
        `${where}: a Dockerfile entry needs "tag"`,
        'the image it produces, e.g. "tag": "mycorp/myimg:1.0"',
      );
      return undefined;
    }
    fields.img_parts = { ...parts! };
    if (parts!.image) name = parts!.image;
    if (parts!.tag) version = parts!.tag;
    fields.name = name;
    if (version) fields.version = version;
    if (file.includes("{") && file.includes("}")) {
      try {
        file = pyFormat(file, [name, version || null], fields);
      } catch (e) {
        formatProblem(e, fileEntry?.pos ?? item.pos, `${where}: file`, problems);
        return undefined;
      }
    }
  }
  fields.name = name;
  fields.file = file;
  // version: the entry's, the tag's, else the file name without its extension.
  if (!version) version = file.split(".").slice(0, -1).join(".").trim();
  if (!version) {
    problems.error(
      item.pos,
      `${where}: no version: give "version", a tag with a version (${builderType === "dockerfile" ? "name:version" : '"tag"'}), or a file name with an extension`,
    );
    return undefined;
  }
  fields.version = version;

  // working_dir: relative to the images file's folder, as documented; default: that folder's parent.
  const wdEntry = stringMember(item, "working_dir", where, problems);
  const workingDir = wdEntry ? resolve(ctx.folder, wdEntry.value) : ctx.top;
  if (!isDirectory(workingDir)) {
    problems.error(
      wdEntry?.pos ?? item.pos,
      `${where}: working_dir ${workingDir} is not a directory`,
      "working_dir is relative to the images file's folder",
    );
    return undefined;
  }
  fields.working_dir = workingDir;
  const path = isAbsolute(file)
    ? file
    : builderType === "packer"
      ? resolve(ctx.folder, "packer", file)
      : resolve(workingDir, file);
  fields.fimage_file = path;

  const extra = stringMember(item, "extra_args", where, problems);
  let extraArgs = extra?.value ?? "";
  let formatted = false;
  if (extraArgs.includes("{") && extraArgs.includes("}")) {
    fields.extra_args = extraArgs;
    try {
      extraArgs = pyFormat(extraArgs, [], fields);
      formatted = true;
    } catch (e) {
      const at = offsetPosition(extra?.pos, extra?.pos && ctx.raw.get(extra.pos), extraArgs);
      formatProblem(
        e,
        e instanceof FormatError ? at(e.offset) : extra?.pos,
        `${where}: extra_args`,
        problems,
      );
      return undefined;
    }
  }
  const extraAt = formatted
    ? () => extra?.pos
    : offsetPosition(extra?.pos, extra?.pos && ctx.raw.get(extra.pos), extraArgs);
  const words: Word[] = [];
  try {
    // --builder-args come first, as in the original's command line; their errors point at the entry.
    words.push(...shellWords(ctx.opts.builderArgs, ctx.opts.env).map((w) => ({ ...w, offset: -1 })));
    words.push(...shellWords(extraArgs, ctx.opts.env));
  } catch (e) {
    if (!(e instanceof ShellWordsError)) throw e;
    problems.error(extraAt(e.offset), `${where}: extra_args: ${e.message}`);
    return undefined;
  }
  const at = (offset: number) => (offset < 0 ? item.pos : extraAt(offset));
  const key = builderType === "dockerfile" ? `dockerfile__${tag}` : `packer__${file}`;
  const common = {
    name: key,
    index: 0,
    file,
    ...(fileEntry?.pos || item.pos ? { filePos: (fileEntry?.pos ?? item.pos)! } : {}),
    workingDir,
    tags: tag !== undefined ? [tag] : [],
    aliases: tag !== undefined ? [tag] : [],
    dependsOn: [],
    references: [],
    push: [],
    final: true,
    engine: "default",
    ...(item.pos ? { pos: item.pos } : {}),
  };
  let node: ChainNodeSpec;
  const argProblems = problems.list.length;
  if (builderType === "packer") {
    const args = parsePackerArgs(words, at, problems.list);
    node = {
      ...common,
      source: {
        kind: "packer",
        template: path,
        vars: args.vars,
        varFiles: args.varFiles.map((f) => resolve(workingDir, f)),
        only: args.only,
        except: args.except,
      },
    };
  } else {
    const args = parseDockerArgs(words, at, ctx.opts.env, problems.list);
    node = {
      ...common,
      tags: [tag!, ...args.tags],
      source: {
        kind: "dockerfile",
        dockerfile: path,
        context: workingDir,
        buildArgs: args.buildArgs.map((b) => ({
          name: b.name,
          value: b.value,
          ...(at(b.offset) ? { pos: at(b.offset)! } : {}),
        })),
        labels: args.labels,
        noCache: args.noCache ?? false,
        pull: args.pull ?? false,
        squash: args.squash ?? ctx.opts.squash,
        ...(args.target !== undefined ? { target: args.target } : {}),
        ...(args.network !== undefined ? { network: args.network } : {}),
        ...(args.platform !== undefined ? { platform: args.platform } : {}),
      },
    };
  }
  // The builder-args parsers do not know the entry: say which one.
  for (const d of problems.list.slice(argProblems)) d.summary = `${where}: ${d.summary}`;
  if (problems.list.slice(before).some((d) => d.severity === "error")) return undefined;
  return { node, builderType, name, version, file, path, ...(tag !== undefined ? { tag } : {}) };
}

function formatProblem(e: unknown, pos: SourcePos | undefined, where: string, problems: Problems): void {
  if (!(e instanceof FormatError)) throw e;
  problems.error(
    pos,
    `${where}: ${e.message}`,
    "{…} fields are the entry's keys and name, version, file, tag, working_dir, images_file, builder_type, img_parts (registry, registry_host, registry_port, repo, image, tag); write {{ and }} for literal braces",
    e.suggestions,
  );
}

function plainValue(node: ValueNode): FormatValue {
  switch (node.kind) {
    case "null":
      return null;
    case "array":
      return node.items.map(plainValue);
    case "object":
      return Object.fromEntries(node.entries.map((e) => [e.key, plainValue(e.value)]));
    default:
      return node.value;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
